import { API_ROUTES } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from '../support/api-instance';
import { BrowserClient } from '../support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from '../support/chat-clients';
import { TestRedisServer } from '../support/redis-server';
import { providerUrls, upstreamSettled, watchProcessFailures } from './reliability-helpers';

const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const request = { provider: 'anthropic', model: 'claude-haiku-4-5', messages: [{ role: 'user' as const, content: 'A long answer, please' }] };

/** Two instances on one Redis, as behind a load balancer; one of them dies mid-stream. */
describe('an API instance dying mid-stream', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  let survivor: ApiInstance;
  let doomed: ApiInstance | null = null;
  let env: Record<string, string>;
  const failures = watchProcessFailures();
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ chunkCount: 30, chunkDelayMs: 30 });
    await fake.start();
    env = { REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake) };
    survivor = await ApiInstance.start(env);
  });

  beforeEach(async () => {
    doomed = await ApiInstance.start(env);
    fake.clearRequests();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await doomed?.close().catch(() => undefined);
  });

  afterAll(async () => {
    await survivor?.close();
    await fake?.stop();
    await redis?.destroy();
    failures.stop();
  });

  async function userOn(api: ApiInstance): Promise<BrowserClient> {
    const client = new BrowserClient(api.url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(200);
    return client;
  }

  it('disconnects a socket mid-stream with a reason the client can act on, and the retry on the other instance succeeds', async () => {
    const client = await userOn(doomed as ApiInstance);
    const socket = await connectChat(client);
    sockets.push(socket);
    const deltas: string[] = [];
    const disconnected = new Promise<string>((resolve) => socket.on('disconnect', resolve));
    socket.on('chat:delta', (event) => {
      deltas.push(event.text);
      if (deltas.length === 3) void doomed?.crash();
    });
    // A disconnected socket receives nothing more, so counting at the disconnect is the whole story.
    const endings: string[] = [];
    socket.on('chat:done', () => endings.push('done'));
    socket.on('chat:error', (event) => endings.push(`error ${event.code}`));
    socket.emit('chat:start', { id: 'mid', ...request });

    // socket.io's reason for a connection cut without a close frame: the client reconnects on it.
    expect(await disconnected).toBe('transport close');
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.length).toBeLessThan(30);
    expect(endings).toEqual([]);

    client.baseUrl = survivor.url;
    const retry = await connectChat(client);
    sockets.push(retry);
    const result = await streamOverSocket(retry, { id: 'mid', ...request });
    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(fake.expectedChunks());
    expect(result.done?.credentialSource).toBe('session');
    // The dead instance's upstream request did not outlive it.
    const abandoned = fake.requests.find((record) => record.chunksSent < 30);
    expect(abandoned?.outcome).toBe('closed-by-client');
    await upstreamSettled(fake, 2000, { connections: false });
    expect(failures.seen()).toEqual([]);
  });

  it('cuts an SSE stream mid-answer so the client sees an error, and the retry on the other instance succeeds', async () => {
    const client = await userOn(doomed as ApiInstance);
    let seen = 0;
    const cut = await streamOverSse(client, { id: 'sse-mid', ...request }, {
      onEvent: (event) => {
        if (event.event === 'delta' && ++seen === 3) void doomed?.crash();
      },
    }).then(
      (result) => ({ result, error: null }),
      (error: Error) => ({ result: null, error }),
    );
    // fetch reports a body cut short as "terminated"; no done or error event ever came.
    expect(cut.error?.message).toBe('terminated');

    client.baseUrl = survivor.url;
    const retry = await streamOverSse(client, { id: 'sse-mid', ...request });
    expect(retry.status).toBe(200);
    expect(retry.events.filter((event) => event.event === 'delta')).toHaveLength(30);
    expect(retry.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'session' } });
    await upstreamSettled(fake, 2000, { connections: false });
    expect(failures.seen()).toEqual([]);
  });

  it('keeps serving the sessions of the dead instance on the other one, keys included', async () => {
    const client = await userOn(doomed as ApiInstance);
    await doomed?.crash();
    doomed = null;
    client.baseUrl = survivor.url;
    const listed = await client.get<{ providers: Array<{ id: string; source: string }> }>(API_ROUTES.providerKeys);
    expect(listed.body.providers.find((provider) => provider.id === 'anthropic')?.source).toBe('session');
    // Its CSRF token is bound to the session, not the instance, so writes work too.
    expect((await client.post(API_ROUTES.clearProviderKey, { provider: 'anthropic' })).status).toBe(200);
  });
});
