import { API_ROUTES, type ApiErrorBody, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from '../support/api-instance';
import { BrowserClient } from '../support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from '../support/chat-clients';
import { TestRedisServer } from '../support/redis-server';
import { providerUrls, storeReconnected, watchProcessFailures } from './reliability-helpers';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const GEMINI_KEY = DEFAULT_KEYS.gemini?.[0] ?? '';
const messages = [{ role: 'user' as const, content: 'Keep talking while the store goes away' }];
const openai = { provider: 'openai', model: 'gpt-4o-mini', messages };

/**
 * Redis killed with SIGKILL (a crash, not a shutdown) while idle and while streams run. The
 * simpler idle SIGTERM case, with the key endpoints' 503 and recovery, is redis-outage.integration.spec.ts.
 */
describe('Redis crashing under the API', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  let api: ApiInstance;
  const failures = watchProcessFailures();
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream();
    await fake.start();
    api = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake) });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    fake.configure({ chunkCount: 8, chunkDelayMs: 0 });
    if (!redis.running) await redis.restart();
    // The API's Redis client reconnects with a backoff; the next test starts once it has.
    await storeReconnected(api);
    expect((await new BrowserClient(api.url).get(API_ROUTES.ready)).status).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await fake?.stop();
    await redis?.destroy();
    failures.stop();
  });

  async function userWithKeys(): Promise<BrowserClient> {
    const client = new BrowserClient(api.url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY })).status).toBe(200);
    return client;
  }

  async function socketOf(client: BrowserClient): Promise<ChatSocket> {
    const socket = await connectChat(client);
    sockets.push(socket);
    return socket;
  }

  /** Once the API has reconnected to the restarted Redis, the client's keys are all there. */
  async function recovered(client: BrowserClient): Promise<void> {
    await storeReconnected(api);
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(listed.status).toBe(200);
    expect(listed.body.providers.filter((provider) => provider.source === 'session').map((provider) => provider.id)).toEqual([
      'openai',
      'gemini',
    ]);
  }

  it('lets streams already running when Redis dies finish, since their key was read when they started', async () => {
    fake.configure({ chunkCount: 12, chunkDelayMs: 40 });
    const client = await userWithKeys();
    const socket = await socketOf(client);
    const firstDelta = new Promise<void>((resolve) => socket.once('chat:delta', () => resolve()));
    const running = Promise.all([
      streamOverSocket(socket, { id: 'run1', ...openai }),
      streamOverSocket(socket, { id: 'run2', provider: 'gemini', model: 'gemini-2.5-flash', messages }),
    ]);
    const runningSse = streamOverSse(client, { id: 'run3', ...openai });
    await firstDelta;
    await redis.stop('SIGKILL');

    const [[first, second], sse] = await Promise.all([running, runningSse]);
    expect(first.error).toBeUndefined();
    expect(first.deltas).toEqual(fake.expectedChunks());
    expect(second.deltas).toEqual(fake.expectedChunks());
    expect(second.done?.credentialSource).toBe('session');
    expect(sse.events.filter((event) => event.event === 'delta')).toHaveLength(12);
    expect(sse.events.at(-1)?.event).toBe('done');
    expect(failures.seen()).toEqual([]);
  });

  it('refuses new streams on an open socket with store_unavailable while Redis is down, and serves them again after it restarts', async () => {
    const client = await userWithKeys();
    const socket = await socketOf(client);
    await redis.stop('SIGKILL');
    fake.clearRequests();

    const refused = await streamOverSocket(socket, { id: 'down1', ...openai }, 5000);
    expect(refused.error).toMatchObject({ id: 'down1', code: 'store_unavailable', message: expect.stringMatching(/session store is unreachable/) });
    expect(refused.deltas).toEqual([]);
    expect(fake.requests.filter((request) => request.endpoint === 'chat')).toHaveLength(0);

    await redis.restart();
    await storeReconnected(api);
    const again = await streamOverSocket(socket, { id: 'up1', ...openai }, 5000);
    // The same socket, not a reconnect: its session survived in the append-only file.
    expect(again.done?.credentialSource).toBe('session');
    expect(again.deltas).toEqual(fake.expectedChunks());
    expect(failures.seen()).toEqual([]);
  });

  it('answers SSE streams and key endpoints with 503 store_unavailable while Redis is down, without hanging', async () => {
    const client = await userWithKeys();
    await redis.stop('SIGKILL');
    const started = Date.now();

    const sse = await streamOverSse(client, { id: 'sse-down', ...openai });
    expect(sse.status).toBe(503);
    expect(sse.events).toEqual([{ event: 'http', data: expect.objectContaining({ code: 'store_unavailable' }) }]);
    for (const response of [
      await client.get<ApiErrorBody>(API_ROUTES.providerKeys),
      await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: DEFAULT_KEYS.anthropic?.[0] }),
      await client.post<ApiErrorBody>(API_ROUTES.validateProviderKey, { provider: 'openai' }),
      await client.post<ApiErrorBody>(API_ROUTES.clearProviderKey, { provider: 'openai' }),
      await client.get<ApiErrorBody>('/api/providers/openai/models'),
    ]) {
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'store_unavailable', message: expect.stringMatching(/session store is unreachable/) });
      expect(response.headers.get('retry-after')).toBe('5');
    }
    // Each refusal is immediate (no queueing until Redis returns).
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await client.get(API_ROUTES.health)).status).toBe(200);

    await redis.restart();
    await recovered(client);
    const streamed = await streamOverSse(client, { id: 'sse-up', ...openai });
    expect(streamed.events.at(-1)?.event).toBe('done');
    expect(failures.seen()).toEqual([]);
  });

  it('refuses a chat socket opened while Redis is down with a store_unavailable connect error', async () => {
    const client = await userWithKeys();
    await redis.stop('SIGKILL');

    const refusal = await connectChat(client).then(
      (socket) => {
        sockets.push(socket);
        return null;
      },
      (error: Error & { data?: unknown }) => error,
    );
    expect(refusal?.message).toMatch(/session store is unreachable/);
    expect(refusal?.data).toEqual({ code: 'store_unavailable' });

    await redis.restart();
    await recovered(client);
    const socket = await socketOf(client);
    const result = await streamOverSocket(socket, { id: 'after-restart', ...openai });
    expect(result.done?.credentialSource).toBe('session');
    expect(failures.seen()).toEqual([]);
  });

  it('keeps every key set before a crash once Redis restarts from its append-only file', async () => {
    const clients = await Promise.all([userWithKeys(), userWithKeys(), userWithKeys()]);
    // Crashed at once after the last acknowledged write: the AOF has it.
    await redis.stop('SIGKILL');
    await redis.restart();
    for (const client of clients) await recovered(client);
    const socket = await socketOf(clients[2]);
    const result = await streamOverSocket(socket, { id: 'kept', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    expect(result.done?.credentialSource).toBe('session');
    expect(fake.lastRequest('gemini')?.key).toBe(GEMINI_KEY);
    expect(failures.seen()).toEqual([]);
  });
});
