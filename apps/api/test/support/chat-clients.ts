import {
  API_ROUTES,
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatDoneEvent,
  type ChatErrorEvent,
  type ChatServerToClientEvents,
  type ChatStartRequest,
  XSRF_COOKIE_NAME,
  XSRF_HEADER_NAME,
} from '@byok/contracts';
import { createParser } from 'eventsource-parser';
import { io, type Socket } from 'socket.io-client';
import type { BrowserClient } from './browser-client';
import { leakAudit } from './leak-audit';

export type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

export interface StreamResult {
  deltas: string[];
  done?: ChatDoneEvent;
  error?: ChatErrorEvent;
}

/** Opens the chat socket with the browser client's cookies, as the web app does. */
export async function connectChat(client: BrowserClient, headers: Record<string, string> = {}): Promise<ChatSocket> {
  const socket: ChatSocket = io(`${client.baseUrl}${CHAT_NAMESPACE}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { ...client.options.headers, cookie: client.cookieHeader(), ...headers },
    // engine.io-client hands this to ws: the handshake comes from the client's source address, as its HTTP requests do.
    ...(client.options.localAddress ? { localAddress: client.options.localAddress } : {}),
  });
  socket.onAny((event: string, ...args: unknown[]) => leakAudit.payload('socket', JSON.stringify([event, ...args])));
  socket.onAnyOutgoing((event: string, ...args: unknown[]) => leakAudit.registerKey(JSON.stringify([event, ...args])));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      leakAudit.payload('socket', JSON.stringify(['connect_error', error.message, (error as { data?: unknown }).data]));
      reject(error);
    });
  });
  return socket;
}

/** Starts a stream and collects its events until done or error. */
export function streamOverSocket(socket: ChatSocket, request: ChatStartRequest, timeoutMs = 10_000): Promise<StreamResult> {
  const result: StreamResult = { deltas: [] };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`stream ${request.id} did not end within ${timeoutMs} ms`)), timeoutMs);
    const onDelta = (event: { id: string; text: string }): void => {
      if (event.id === request.id) result.deltas.push(event.text);
    };
    const onDone = (event: ChatDoneEvent): void => {
      if (event.id !== request.id) return;
      result.done = event;
      finish();
    };
    const onError = (event: ChatErrorEvent): void => {
      if (event.id !== request.id) return;
      result.error = event;
      finish();
    };
    function finish(error?: Error): void {
      clearTimeout(timer);
      socket.off('chat:delta', onDelta);
      socket.off('chat:done', onDone);
      socket.off('chat:error', onError);
      if (error) reject(error);
      else resolve(result);
    }
    socket.on('chat:delta', onDelta);
    socket.on('chat:done', onDone);
    socket.on('chat:error', onError);
    socket.emit('chat:start', request);
  });
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** POSTs to the SSE endpoint and parses events as they arrive; `onEvent` may abort the request. */
export async function streamOverSse(
  client: BrowserClient,
  request: ChatStartRequest,
  options: { signal?: AbortSignal; onEvent?: (event: SseEvent) => void } = {},
): Promise<{ status: number; events: SseEvent[]; contentType: string | null }> {
  const body = JSON.stringify(request);
  leakAudit.registerKeysInBody(body);
  const response = await fetch(`${client.baseUrl}${API_ROUTES.chatStream}`, {
    method: 'POST',
    body,
    signal: options.signal,
    headers: {
      'content-type': 'application/json',
      cookie: client.cookieHeader(),
      [XSRF_HEADER_NAME]: client.cookies.get(XSRF_COOKIE_NAME) ?? '',
    },
  });
  const events: SseEvent[] = [];
  const contentType = response.headers.get('content-type');
  if (!response.body || !contentType?.startsWith('text/event-stream')) {
    const text = await response.text();
    leakAudit.payload('http', text);
    events.push({ event: 'http', data: JSON.parse(text) as unknown });
    return { status: response.status, events, contentType };
  }
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (message) => {
      leakAudit.payload('sse', `event: ${message.event ?? 'message'}\ndata: ${message.data}`);
      const parsed = { event: message.event ?? 'message', data: message.data === '' ? undefined : (JSON.parse(message.data) as unknown) };
      events.push(parsed);
      options.onEvent?.(parsed);
    },
  });
  try {
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  }
  return { status: response.status, events, contentType };
}
