import { request } from 'node:https';
import {
  API_ROUTES,
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatServerToClientEvents,
  type ChatStartRequest,
  RETRYABLE_CHAT_ERROR_CODES,
  type ChatErrorCode,
} from '@byok/contracts';
import { io, type Socket } from 'socket.io-client';

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

export interface HttpResponse {
  status: number;
  body: string;
}

/** How one attempt at a stream ended; `silent` is a stream that stopped with neither done nor error. */
export interface Attempt {
  ending: 'done' | 'error' | 'silent';
  code?: ChatErrorCode;
  text: string;
}

/** A stream as a user saw it: one attempt, or two when the first ended with a retryable error. */
export interface StreamOutcome {
  transport: 'socket' | 'sse';
  attempts: Attempt[];
}

/** Handshakes refused by a draining instance are tried again after this (the web app backs off the same way). */
const DRAINING_HANDSHAKE_RETRY_MS = 250;
const MAX_DRAINING_HANDSHAKES = 40;

/**
 * A browser-like user of the cluster, through nginx over HTTPS: cookies kept, the XSRF token
 * echoed, the site's own Origin. Its streams follow the web app's rule: a stream ended with a
 * retryable error (`server_draining`) is asked again once, over a new connection.
 */
export class ChatUser {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly base: string,
    private readonly ca: string,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** One request on a new connection: a kept-alive one could outlive the balancer's configuration. */
  send(path: string, options: { method?: string; body?: unknown; onChunk?: (chunk: string) => void } = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { origin: this.base };
    if (this.cookies.size > 0) headers['cookie'] = this.cookieHeader();
    const xsrf = this.cookies.get('XSRF-TOKEN');
    if (xsrf) headers['x-xsrf-token'] = decodeURIComponent(xsrf);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        { method: options.method ?? 'GET', headers, ca: this.ca, servername: 'localhost', agent: false },
        (res) => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const at = pair.indexOf('=');
            this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
          }
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
            options.onChunk?.(chunk);
          });
          res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.once('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${path} within 30 s`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  async setKey(provider: string, apiKey: string): Promise<number> {
    return (await this.send(API_ROUTES.setProviderKey, { method: 'POST', body: { provider, apiKey } })).status;
  }

  /** The masked key the API shows for `provider`, and where it comes from. */
  async keyStatus(provider: string): Promise<{ source: string; masked: string | null } | undefined> {
    const response = await this.send(API_ROUTES.providerKeys);
    const { providers } = JSON.parse(response.body) as { providers: Array<{ id: string; source: string; masked: string | null }> };
    return providers.find((entry) => entry.id === provider);
  }

  /** Streams over SSE; `onStarted` fires at the first delta of the first attempt. */
  async streamSse(chat: ChatStartRequest, onStarted: () => void): Promise<StreamOutcome> {
    const attempts: Attempt[] = [];
    for (;;) {
      const attempt = await this.sseAttempt(chat, attempts.length === 0 ? onStarted : () => undefined);
      attempts.push(attempt);
      if (!retryable(attempt) || attempts.length === 2) return { transport: 'sse', attempts };
    }
  }

  /** Streams over the chat socket (WebSocket through nginx), on a new connection for the retry. */
  async streamSocket(chat: ChatStartRequest, onStarted: () => void): Promise<StreamOutcome> {
    const attempts: Attempt[] = [];
    for (;;) {
      const socket = await this.connect();
      const { attempt, sentAway } = await socketAttempt(socket, chat, attempts.length === 0 ? onStarted : () => undefined);
      attempts.push(attempt);
      if (!retryable(attempt) || attempts.length === 2) {
        socket.disconnect();
        return { transport: 'socket', attempts };
      }
      // As the web app does: the draining server sends the socket away, then the next one connects.
      await sentAway;
      socket.disconnect();
    }
  }

  private async sseAttempt(chat: ChatStartRequest, onStarted: () => void): Promise<Attempt> {
    let buffer = '';
    const attempt: Attempt = { ending: 'silent', text: '' };
    const response = await this.send(API_ROUTES.chatStream, {
      method: 'POST',
      body: chat,
      onChunk: (chunk) => {
        buffer += chunk;
        for (let boundary = buffer.indexOf('\n\n'); boundary >= 0; boundary = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as { text?: string; code?: ChatErrorCode };
          if (event === 'delta') {
            attempt.text += data.text ?? '';
            onStarted();
          } else if (event === 'done') {
            attempt.ending = 'done';
          } else if (event === 'error') {
            attempt.ending = 'error';
            attempt.code = data.code;
          }
        }
      },
    });
    if (response.status !== 200) return { ending: 'error', text: response.body };
    return attempt;
  }

  /** A socket through nginx; a handshake a draining instance refuses is tried again, as the web app does. */
  private async connect(): Promise<ChatSocket> {
    for (let refusals = 0; ; refusals++) {
      const socket: ChatSocket = io(`${this.base}${CHAT_NAMESPACE}`, {
        path: '/socket.io',
        transports: ['websocket'],
        ca: this.ca,
        reconnection: false,
        forceNew: true,
        extraHeaders: { cookie: this.cookieHeader(), origin: this.base },
      });
      const refusal = await new Promise<string | null>((resolve) => {
        socket.once('connect', () => resolve(null));
        socket.once('connect_error', (error: Error & { data?: { code?: string } }) => resolve(error.data?.code ?? error.message));
      });
      if (refusal === null) return socket;
      socket.disconnect();
      if (refusal !== 'server_draining' || refusals === MAX_DRAINING_HANDSHAKES) {
        throw new Error(`the chat socket was refused: ${refusal}`);
      }
      await new Promise((resolve) => setTimeout(resolve, DRAINING_HANDSHAKE_RETRY_MS));
    }
  }
}

function retryable(attempt: Attempt): boolean {
  return attempt.ending === 'error' && attempt.code !== undefined && RETRYABLE_CHAT_ERROR_CODES.includes(attempt.code);
}

/** One stream on a socket; `sentAway` settles once the server has asked the socket to reconnect and closed it. */
function socketAttempt(
  socket: ChatSocket,
  chat: ChatStartRequest,
  onStarted: () => void,
): Promise<{ attempt: Attempt; sentAway: Promise<void> }> {
  const attempt: Attempt = { ending: 'silent', text: '' };
  let announced = false;
  const sentAway = new Promise<void>((resolve, reject) => {
    socket.on('chat:reconnect', () => (announced = true));
    socket.on('disconnect', (reason) => {
      if (announced && reason === 'io server disconnect') resolve();
      else reject(new Error(`the socket closed without being sent away (${reason})`));
    });
  });
  sentAway.catch(() => undefined);
  return new Promise((resolve) => {
    socket.on('chat:delta', (event) => {
      if (event.id !== chat.id) return;
      attempt.text += event.text;
      onStarted();
    });
    socket.on('chat:done', (event) => {
      if (event.id !== chat.id) return;
      attempt.ending = 'done';
      resolve({ attempt, sentAway });
    });
    socket.on('chat:error', (event) => {
      if (event.id !== chat.id) return;
      attempt.ending = 'error';
      attempt.code = event.code;
      resolve({ attempt, sentAway });
    });
    // Closed before the stream ended: the stream was lost, which must never happen.
    socket.on('disconnect', () => resolve({ attempt, sentAway }));
    socket.emit('chat:start', chat);
  });
}
