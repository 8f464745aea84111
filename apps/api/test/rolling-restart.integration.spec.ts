import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { API_ROUTES, type ChatErrorEvent, type ChatReconnectEvent, type ChatStartRequest } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { DrainService } from '../src/lifecycle/drain.service';
import { REDIS, type RedisClient } from '../src/redis/redis.module';
import { ApiInstance, TEST_SECRETS } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, type SseEvent, type StreamResult, streamOverSse } from './support/chat-clients';
import { leakAudit } from './support/leak-audit';
import { LogCapture } from './support/log-capture';
import { freePort, isRunning, TestRedisServer } from './support/redis-server';

const DRAIN_TIMEOUT_MS = 1500;
const CHUNK_DELAY_MS = 100;
/** Ends well within DRAIN_TIMEOUT (0.8 s): OpenAI, from its own fake. */
const SHORT_CHUNKS = 8;
/** Outlasts DRAIN_TIMEOUT (4 s): Anthropic, from another fake. */
const LONG_CHUNKS = 40;
const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const API_MAIN = join(__dirname, '..', '..', '..', 'dist', 'apps', 'api', 'main.js');

let nextId = 0;
const shortRequest = (): ChatStartRequest => ({
  id: `short-${++nextId}`,
  provider: 'openai',
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'A short answer' }],
});
const longRequest = (): ChatStartRequest => ({
  id: `long-${++nextId}`,
  provider: 'anthropic',
  model: 'claude-haiku-4-5',
  messages: [{ role: 'user', content: 'A long answer' }],
});

interface Running<T> {
  /** Settles with the first delta: the stream is under way. */
  started: Promise<void>;
  ended: Promise<T & { endedAt: number }>;
}

/** A socket stream, with what the socket was told after it (reconnect, disconnect reason). */
function socketStream(socket: ChatSocket, request: ChatStartRequest): Running<StreamResult> {
  const result: StreamResult = { deltas: [] };
  let onStarted = (): void => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const ended = new Promise<StreamResult & { endedAt: number }>((resolve) => {
    socket.on('chat:delta', (event) => {
      if (event.id !== request.id) return;
      result.deltas.push(event.text);
      onStarted();
    });
    socket.on('chat:done', (event) => {
      if (event.id === request.id) resolve({ ...result, done: event, endedAt: Date.now() });
    });
    socket.on('chat:error', (event) => {
      if (event.id === request.id) resolve({ ...result, error: event, endedAt: Date.now() });
    });
  });
  socket.emit('chat:start', request);
  return { started, ended };
}

function sseStream(client: BrowserClient, request: ChatStartRequest): Running<{ status: number; events: SseEvent[] }> {
  let onStarted = (): void => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const ended = streamOverSse(client, request, {
    onEvent: (event) => {
      if (event.event === 'delta') onStarted();
    },
  }).then((result) => ({ status: result.status, events: result.events, endedAt: Date.now() }));
  return { started, ended };
}

/** What a socket hears of being sent away: the event, then the disconnect and its reason. */
function sentAway(socket: ChatSocket): Promise<{ reconnect: ChatReconnectEvent | null; reason: string }> {
  let reconnect: ChatReconnectEvent | null = null;
  socket.on('chat:reconnect', (event) => (reconnect = event));
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ reconnect, reason })));
}

function deltasOf(events: readonly SseEvent[]): string[] {
  return events.filter((event) => event.event === 'delta').map((event) => (event.data as { text: string }).text);
}

/** Whether a new TCP connection to the port is accepted (false: refused). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function readiness(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${API_ROUTES.ready}`);
  return { status: response.status, body: await response.json() };
}

describe('an API instance drained for a rolling restart', () => {
  let redis: TestRedisServer;
  const short = new FakeUpstream({ chunkCount: SHORT_CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
  const long = new FakeUpstream({ chunkCount: LONG_CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
  let env: Record<string, string>;
  const sockets: ChatSocket[] = [];
  const instances: ApiInstance[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    await Promise.all([short.start(), long.start()]);
    env = {
      REDIS_URL: redis.url,
      DRAIN_TIMEOUT: `${DRAIN_TIMEOUT_MS}ms`,
      KEY_RATE_LIMIT: '1000',
      CHAT_RATE_LIMIT: '1000',
      CHAT_MAX_STREAMS: '50',
      OPENAI_BASE_URL: short.urlFor('openai'),
      ANTHROPIC_BASE_URL: long.urlFor('anthropic'),
    };
  });

  beforeEach(() => {
    short.clearRequests();
    long.clearRequests();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const instance of instances.splice(0)) await instance.close().catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all([short.stop(), long.stop()]);
    await redis?.destroy();
  });

  async function start(): Promise<ApiInstance> {
    const instance = await ApiInstance.start(env);
    instances.push(instance);
    return instance;
  }

  async function userOn(url: string): Promise<BrowserClient> {
    const client = new BrowserClient(url);
    await client.prime();
    for (const [provider, apiKey] of [
      ['openai', OPENAI_KEY],
      ['anthropic', ANTHROPIC_KEY],
    ]) {
      expect((await client.post(API_ROUTES.setProviderKey, { provider, apiKey })).status).toBe(200);
    }
    return client;
  }

  async function socketFor(client: BrowserClient): Promise<ChatSocket> {
    const socket = await connectChat(client);
    sockets.push(socket);
    return socket;
  }

  it('turns readiness 503 at once and refuses new streams and sockets with server_draining, while running streams go on', async () => {
    const api = await start();
    const client = await userOn(api.url);
    const busy = await socketFor(client);
    const running = socketStream(busy, longRequest());
    await running.started;

    const drained = api.app.get(DrainService).drain();

    expect(await readiness(api.url)).toEqual({
      status: 503,
      body: { statusCode: 503, code: 'server_draining', message: expect.any(String) },
    });
    // Liveness stays up: the process is healthy, only leaving.
    expect((await fetch(`${api.url}${API_ROUTES.health}`)).status).toBe(200);

    const refusedOnSocket = await socketStream(busy, shortRequest()).ended;
    expect(refusedOnSocket.error).toMatchObject({ code: 'server_draining' } satisfies Partial<ChatErrorEvent>);
    expect(refusedOnSocket.deltas).toEqual([]);

    const refusedOverSse = await sseStream(client, shortRequest()).ended;
    expect(refusedOverSse.status).toBe(200);
    expect(refusedOverSse.events).toEqual([{ event: 'error', data: expect.objectContaining({ code: 'server_draining' }) }]);

    const handshake = await connectChat(client).then(
      (socket) => {
        sockets.push(socket);
        return null;
      },
      (error: Error & { data?: { code?: string } }) => error.data?.code,
    );
    expect(handshake).toBe('server_draining');

    // Nothing new started upstream after the drain began: only the one running stream.
    expect(short.requestsFor('openai').filter((record) => record.endpoint === 'chat')).toHaveLength(0);
    expect((await running.ended).error?.code).toBe('server_draining');
    await drained;
  });

  it('lets streams that end within DRAIN_TIMEOUT finish, ends longer ones with server_draining at the deadline, then sends every socket away', async () => {
    const api = await start();
    const client = await userOn(api.url);
    const [shortSocket, longSocket, idleSocket] = [await socketFor(client), await socketFor(client), await socketFor(client)];
    const shortAway = sentAway(shortSocket);
    const longAway = sentAway(longSocket);
    const idleAway = sentAway(idleSocket);
    const streams = {
      shortSocket: socketStream(shortSocket, shortRequest()),
      longSocket: socketStream(longSocket, longRequest()),
      shortSse: sseStream(client, shortRequest()),
      longSse: sseStream(client, longRequest()),
    };
    await Promise.all(Object.values(streams).map((stream) => stream.started));

    const drainStarted = Date.now();
    const drained = api.app.get(DrainService).drain();

    // A socket with nothing running is sent away at once.
    expect(await idleAway).toEqual({ reconnect: { code: 'server_draining' }, reason: 'io server disconnect' });

    const shortOverSocket = await streams.shortSocket.ended;
    expect(shortOverSocket.error).toBeUndefined();
    expect(shortOverSocket.deltas).toEqual(short.expectedChunks());
    expect(shortOverSocket.done?.credentialSource).toBe('session');
    // Sent away once its stream has ended, long before the drain is over.
    expect(await shortAway).toEqual({ reconnect: { code: 'server_draining' }, reason: 'io server disconnect' });
    const shortOverSse = await streams.shortSse.ended;
    expect(deltasOf(shortOverSse.events)).toEqual(short.expectedChunks());
    expect(shortOverSse.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'session' } });

    // A key set during the drain is served and stored: Redis stays until the very end.
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);

    const longOverSocket = await streams.longSocket.ended;
    expect(longOverSocket.error).toMatchObject({ code: 'server_draining', message: expect.stringContaining('restarting') });
    expect(longOverSocket.deltas.length).toBeGreaterThan(0);
    expect(longOverSocket.deltas.length).toBeLessThan(LONG_CHUNKS);
    expect(longOverSocket.endedAt - drainStarted).toBeGreaterThanOrEqual(DRAIN_TIMEOUT_MS - 50);
    const longOverSse = await streams.longSse.ended;
    // Never a silent close: the SSE stream's last event says why it ended.
    expect(longOverSse.events.at(-1)).toEqual({ event: 'error', data: expect.objectContaining({ code: 'server_draining' }) });
    expect(longOverSse.events.some((event) => event.event === 'done')).toBe(false);
    expect(await longAway).toEqual({ reconnect: { code: 'server_draining' }, reason: 'io server disconnect' });

    await drained;
    // The upstream requests of the drained streams were aborted, not left running.
    expect(long.requests.filter((record) => record.endpoint === 'chat').map((record) => record.outcome)).toEqual([
      'closed-by-client',
      'closed-by-client',
    ]);
    // Drained: no new connection is accepted, so a balancer's next attempt goes elsewhere; Redis is still open.
    const port = Number(new URL(api.url).port);
    expect(await accepts(port)).toBe(false);
    const store = api.app.get<RedisClient>(REDIS);
    expect(store.status).toBe('ready');
    const storeClosed = new Promise((resolve) => store.once('end', resolve));
    await api.close();
    instances.splice(instances.indexOf(api), 1);
    await storeClosed;

    // The session and its keys, the one set during the drain included, are there for the next instance.
    const next = await start();
    client.baseUrl = next.url;
    const listed = await client.get<{ providers: Array<{ id: string; source: string }> }>(API_ROUTES.providerKeys);
    expect(listed.body.providers.filter((provider) => provider.source === 'session').map((provider) => provider.id).sort()).toEqual([
      'anthropic',
      'openai',
    ]);
  });
});

describe('a real API process sent SIGTERM', () => {
  let redis: TestRedisServer;
  const long = new FakeUpstream({ chunkCount: LONG_CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
  let child: ChildProcess | null = null;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    if (!existsSync(API_MAIN) || !readFileSync(API_MAIN, 'utf8').includes('drainOnSignals')) {
      throw new Error(`${API_MAIN} is missing or older than the drain; build it first: NX_DAEMON=false npx nx build api`);
    }
    redis = await TestRedisServer.start();
    await long.start();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    if (child && isRunning(child)) child.kill('SIGKILL');
    await long.stop();
    await redis?.destroy();
  });

  it('drains (readiness 503, the running stream ended with server_draining, the socket sent away), then exits 0', async () => {
    const port = await freePort();
    const logs = new LogCapture();
    leakAudit.event({ type: 'api-start', label: logs.auditLabel });
    const api = spawn(process.execPath, [API_MAIN], {
      env: {
        PATH: process.env['PATH'],
        ...TEST_SECRETS,
        HOST: '127.0.0.1',
        PORT: String(port),
        REDIS_URL: redis.url,
        DRAIN_TIMEOUT: `${DRAIN_TIMEOUT_MS}ms`,
        LOG_LEVEL: 'info',
        WEB_ROOT: join(redis.dir, 'no-web-root'),
        ANTHROPIC_BASE_URL: long.urlFor('anthropic'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = api;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      api.once('exit', (code, signal) => resolve({ code, signal })),
    );
    /** Settles once the process has written a line containing `text`. */
    const logged = (text: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!logs.text.includes(text)) return;
          api.stdout?.off('data', check);
          resolve();
        };
        api.stdout?.on('data', check);
        void exited.then(() => reject(new Error(`the API exited before logging "${text}":\n${logs.text}`)));
        check();
      });
    api.stdout?.on('data', (chunk: Buffer) => logs.write(chunk));
    api.stderr?.on('data', (chunk: Buffer) => logs.write(chunk));
    await logged('Nest application successfully started');

    const url = `http://127.0.0.1:${port}`;
    const client = new BrowserClient(url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(200);
    const socket = await connectChat(client);
    sockets.push(socket);
    const away = sentAway(socket);
    const running = socketStream(socket, longRequest());
    await running.started;

    api.kill('SIGTERM');
    await logged('SIGTERM: draining');
    expect((await readiness(url)).status).toBe(503);

    const ended = await running.ended;
    expect(ended.error?.code).toBe('server_draining');
    expect(await away).toEqual({ reconnect: { code: 'server_draining' }, reason: 'io server disconnect' });
    expect(await exited).toEqual({ code: 0, signal: null });
    const order = ['SIGTERM: draining', 'ending them with server_draining', 'Drained'].map((line) => logs.text.indexOf(line));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
