import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Exchange } from './exchange';
import type { FailurePlan } from './failures';
import type { KeyPolicy } from './key-policy';
import type { StreamSettings } from './options';
import type { Operation, WireProtocol } from './protocol';
import type { Recorder } from './recorder';
import { approximateTokens, replyChunks } from './reply-text';
import { type Route, routeOf } from './routing';
import { runStream } from './stream-runner';

/** What the server reads on every request; the owner may change it between requests. */
export interface ServerState {
  recorder: Recorder;
  failures: FailurePlan;
  keys: KeyPolicy;
  settings(): StreamSettings;
  modelsOf(provider: string): readonly string[];
}

/** The HTTP listener: routes each request to its wire protocol and tracks what is open. */
export class FakeServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private stopping = false;

  constructor(private readonly state: ServerState) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      state.recorder.connectionOpened();
      socket.on('close', () => {
        this.sockets.delete(socket);
        state.recorder.connectionClosed();
      });
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    this.stopping = false;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Closes the listener and every socket, including requests left hanging on purpose. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    this.stopping = true;
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of this.sockets) {
        socket.destroy();
      }
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-upstream.invalid');
    const route = routeOf(url.pathname);
    if (route === null) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `No fake provider serves ${url.pathname}` } }));
      return;
    }
    const { recorder, keys } = this.state;
    const record = recorder.start({
      provider: route.provider,
      family: route.protocol.family,
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: flattenHeaders(req.headers),
    });
    const exchange = new Exchange(res, recorder, record, () => this.stopping);
    const rawBody = await readBody(req);
    const parsed = parseJson(rawBody);
    const operation = route.protocol.operation({
      method: req.method ?? 'GET',
      path: route.path,
      query: url.searchParams,
      body: parsed.ok ? parsed.value : undefined,
      models: this.state.modelsOf(route.provider),
      requestId: record.id,
    });
    const presented = route.protocol.readKey(req.headers, url.searchParams);
    const keyAccepted = keys.accepts(route.provider, presented.key);
    exchange.update({
      key: presented.key,
      keySource: presented.source,
      keyAccepted,
      body: parsed.ok ? parsed.value : rawBody,
      ...describe(operation),
    });

    // The order real APIs check in: credentials, required headers, then the body.
    const rejection =
      (keyAccepted ? null : route.protocol.unauthorized(presented)) ??
      route.protocol.checkHeaders(req.headers) ??
      (parsed.ok ? null : route.protocol.badRequest('The request body is not valid JSON.'));
    if (rejection !== null) {
      exchange.sendJson(rejection, 'rejected');
      return;
    }
    if (operation.kind === 'reject') {
      exchange.sendJson(operation.reply, 'rejected');
      return;
    }
    await this.answer(exchange, route, operation);
  }

  private async answer(exchange: Exchange, route: Route, operation: Exclude<Operation, { kind: 'reject' }>): Promise<void> {
    const failure = this.state.failures.take({
      provider: route.provider,
      endpoint: operation.kind,
      stream: operation.kind === 'chat' && operation.stream,
    });
    exchange.update({ failure: failure?.kind ?? null });
    const protocol: WireProtocol = route.protocol;
    if (failure?.kind === 'status429') {
      exchange.sendJson(protocol.rateLimited(failure.retryAfterSeconds ?? 1), 'injected-error');
      return;
    }
    if (failure?.kind === 'status500') {
      exchange.sendJson(protocol.serverError(), 'injected-error');
      return;
    }
    if (failure?.kind === 'neverAnswer') {
      return;
    }
    if (operation.kind === 'models') {
      exchange.sendJson(operation.reply, 'completed');
      return;
    }
    const settings = this.state.settings();
    const chunks = replyChunks(settings);
    const input = {
      requestId: exchange.record.id,
      provider: route.provider,
      model: operation.model,
      chunks,
      inputTokens: approximateTokens(operation.prompt),
      outputTokens: approximateTokens(chunks.join('')),
      createdAtSeconds: Math.floor(Date.now() / 1000),
    };
    if (!operation.stream) {
      exchange.sendJson(operation.reply(input), 'completed');
      return;
    }
    await runStream(exchange, operation.streamPlan(input), chunks, settings, failure);
  }

  private fail(res: ServerResponse, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `fake-upstream failed: ${message}` } }));
  }
}

function describe(operation: Operation): { endpoint: 'models' | 'chat' | 'other'; model: string | null; stream: boolean } {
  if (operation.kind === 'chat') {
    return { endpoint: 'chat', model: operation.model, stream: operation.stream };
  }
  return { endpoint: operation.kind === 'models' ? 'models' : 'other', model: null, stream: false };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) {
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseJson(raw: string): Parsed {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false };
    throw error;
  }
}
