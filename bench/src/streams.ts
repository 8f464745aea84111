import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CHAT_NAMESPACE, type ChatClientToServerEvents, type ChatServerToClientEvents } from '@byok/contracts';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { io, type Socket } from 'socket.io-client';

/** What one stream looked like from the client: when it was asked for and when each chunk came. */
export interface StreamTrace {
  startedAt: number;
  arrivals: number[];
  texts: string[];
  outcome: 'done' | 'error';
  error?: string;
}

/** How to reach a target over HTTP and read its event stream. */
export interface HttpTarget {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** `openai`: the provider's own stream (direct or through the pipe); `gateway`: POST /api/chat/stream. */
  format: 'openai' | 'gateway';
}

/** One keep-alive pool for the whole bench, as a browser or an SDK would keep one. */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export function httpStream(target: HttpTarget, body: string): Promise<StreamTrace> {
  const trace: StreamTrace = { startedAt: 0, arrivals: [], texts: [], outcome: 'error' };
  const url = new URL(target.url);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: StreamTrace['outcome'], error?: string): void => {
      if (settled) return;
      settled = true;
      trace.outcome = outcome;
      if (error) trace.error = error;
      resolve(trace);
    };
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: target.path,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          finish('error', `HTTP ${res.statusCode}`);
          return;
        }
        res.setEncoding('utf8');
        // Every event of one read arrived at the same moment: the time the read came in.
        let now = 0;
        const parser = createParser({
          onEvent: (event) => {
            const result = target.format === 'openai' ? readOpenAiEvent(event) : readGatewayEvent(event);
            if (result.text !== undefined) {
              trace.arrivals.push(now);
              trace.texts.push(result.text);
            }
            if (result.end) finish(result.end, result.error);
          },
        });
        res.on('data', (data: string) => {
          now = performance.now();
          parser.feed(data);
        });
        res.on('end', () => finish('error', 'stream ended without done'));
        res.on('error', (error) => finish('error', error.message));
      },
    );
    req.on('error', (error) => finish('error', error.message));
    trace.startedAt = performance.now();
    req.end(body);
  });
}

interface ParsedEvent {
  text?: string;
  end?: StreamTrace['outcome'];
  error?: string;
}

function readOpenAiEvent({ data }: EventSourceMessage): ParsedEvent {
  if (data === '[DONE]') return { end: 'done' };
  if (!data) return {};
  const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
  const text = chunk.choices?.[0]?.delta?.content;
  return text ? { text } : {};
}

function readGatewayEvent(message: EventSourceMessage): ParsedEvent {
  const event = message.event ?? 'message';
  const data = JSON.parse(message.data) as { text?: string; code?: string };
  if (event === 'delta') return { text: data.text ?? '' };
  if (event === 'done') return { end: 'done' };
  return { end: 'error', error: data.code ?? event };
}

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

/** One browser tab's chat socket: many streams, told apart by id. */
export class GatewaySocket {
  private readonly running = new Map<string, { trace: StreamTrace; resolve: (trace: StreamTrace) => void }>();
  private nextId = 0;

  private constructor(private readonly socket: ChatSocket) {
    socket.on('chat:delta', ({ id, text }) => {
      const stream = this.running.get(id);
      if (!stream) return;
      stream.trace.arrivals.push(performance.now());
      stream.trace.texts.push(text);
    });
    socket.on('chat:done', ({ id }) => this.finish(id, 'done'));
    socket.on('chat:error', ({ id, code }) => this.finish(id, 'error', code));
    socket.on('disconnect', (reason) => {
      for (const id of [...this.running.keys()]) this.finish(id, 'error', `disconnected: ${reason}`);
    });
  }

  static async connect(baseUrl: string, cookie: string): Promise<GatewaySocket> {
    const socket: ChatSocket = io(`${baseUrl}${CHAT_NAMESPACE}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    return new GatewaySocket(socket);
  }

  stream(request: { provider: string; model: string; messages: Array<{ role: 'user'; content: string }> }): Promise<StreamTrace> {
    const id = `b${this.nextId++}`;
    const trace: StreamTrace = { startedAt: 0, arrivals: [], texts: [], outcome: 'error' };
    return new Promise((resolve) => {
      this.running.set(id, { trace, resolve });
      trace.startedAt = performance.now();
      this.socket.emit('chat:start', { id, ...request });
    });
  }

  close(): void {
    this.socket.disconnect();
  }

  private finish(id: string, outcome: StreamTrace['outcome'], error?: string): void {
    const stream = this.running.get(id);
    if (!stream) return;
    this.running.delete(id);
    stream.trace.outcome = outcome;
    if (error) stream.trace.error = error;
    stream.resolve(stream.trace);
  }
}
