import { API_ROUTES, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { TestRedisCluster } from './support/redis-topologies';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const messages = [{ role: 'user' as const, content: 'Say hello' }];

function statusOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus | undefined {
  return response.providers.find((provider) => provider.id === id);
}

describe('Redis Cluster: three primaries, two API instances', () => {
  let cluster: TestRedisCluster;
  let fake: FakeUpstream;
  let apis: ApiInstance[];
  let env: Record<string, string>;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    cluster = await TestRedisCluster.start();
    fake = new FakeUpstream();
    await fake.start();
    env = {
      ...cluster.settings,
      KEY_RATE_LIMIT: '100000',
      CHAT_RATE_LIMIT: '100000',
      CHAT_MAX_STREAMS: '2',
      OPENAI_BASE_URL: fake.urlFor('openai'),
      ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    };
    apis = [await ApiInstance.start(env), await ApiInstance.start(env)];
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    fake.configure({ firstChunkDelayMs: 0, chunkDelayMs: 0 });
  });

  afterAll(async () => {
    for (const api of apis ?? []) await api.close();
    await fake?.stop();
    await cluster?.destroy();
  });

  it('sets, lists, validates and clears keys through either instance, and streams with them over both transports', async () => {
    const client = new BrowserClient(apis[0].url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);
    client.baseUrl = apis[1].url;
    expect(statusOf((await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys)).body, 'openai')?.source).toBe('session');
    expect((await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' })).body).toEqual({ valid: true });
    const socket = await connectChat(client);
    sockets.push(socket);
    expect((await streamOverSocket(socket, { id: 'c1', provider: 'openai', model: 'gpt-4o-mini', messages })).done?.credentialSource).toBe('session');
    client.baseUrl = apis[0].url;
    const sse = await streamOverSse(client, { id: 'c2', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(sse.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'session' } });
    expect((await client.post(API_ROUTES.clearProviderKey, { all: true })).status).toBe(200);
    client.baseUrl = apis[1].url;
    expect(statusOf((await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys)).body, 'openai')?.source).toBe('none');
    // The data is spread over the nodes: sessions and keyrings live in more than one of them.
    expect((await cluster.keys('byok:sess:*')).length).toBeGreaterThan(0);
  });

  it('loses no key when two providers are set at the same moment through different instances, 30 rounds', async () => {
    for (let round = 0; round < 30; round += 1) {
      const one = new BrowserClient(apis[0].url);
      await one.prime();
      const two = new BrowserClient(apis[1].url);
      two.adoptCookies(one.cookieHeader());
      const [first, second] = await Promise.all([
        one.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }),
        two.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY }),
      ]);
      expect([first.status, second.status]).toEqual([200, 200]);
      // Whichever session cookie the browser kept, both keys are in it.
      for (const cookies of [one.cookieHeader(), two.cookieHeader()]) {
        const view = new BrowserClient(apis[round % 2].url);
        view.adoptCookies(cookies);
        const listed = (await view.get<ProviderKeysResponse>(API_ROUTES.providerKeys)).body;
        expect({ round, openai: statusOf(listed, 'openai')?.source, anthropic: statusOf(listed, 'anthropic')?.source }).toEqual({
          round,
          openai: 'session',
          anthropic: 'session',
        });
      }
    }
  });

  it('counts the rate and stream limits over both instances', async () => {
    const limited = [await ApiInstance.start({ ...env, KEY_RATE_LIMIT: '5' }), await ApiInstance.start({ ...env, KEY_RATE_LIMIT: '5' })];
    try {
      await cluster.deleteKeys('byok:rate:keys:*');
      const client = new BrowserClient(limited[0].url);
      await client.prime();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt += 1) {
        client.baseUrl = limited[attempt % 2].url;
        statuses.push((await client.post(API_ROUTES.validateProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      for (const api of limited) await api.close();
    }

    const streamer = new BrowserClient(apis[0].url);
    await streamer.prime();
    await streamer.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    fake.configure({ firstChunkDelayMs: 0, chunkDelayMs: 300 });
    fake.clearRequests();
    const [onA, onB] = await Promise.all(apis.map((api) => connectChat(Object.assign(new BrowserClient(api.url), { cookies: streamer.cookies }))));
    sockets.push(onA, onB);
    const running = [
      streamOverSocket(onA, { id: 'slow-1', provider: 'openai', model: 'gpt-4o-mini', messages }),
      streamOverSocket(onB, { id: 'slow-2', provider: 'openai', model: 'gpt-4o-mini', messages }),
    ];
    // Both are running upstream before the third asks for a slot.
    await fake.waitForRequest((request) => request.endpoint === 'chat' && fake.requests.filter((r) => r.endpoint === 'chat').length >= 2);
    const third = await streamOverSocket(onA, { id: 'slow-3', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(third.error?.code).toBe('too_many_streams');
    expect((await Promise.all(running)).map((result) => result.done?.finishReason)).toEqual(['stop', 'stop']);
  });
});
