import { API_ROUTES, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import Redis from 'ioredis';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { connectChat, streamOverSocket } from './support/chat-clients';
import { closeClient, TestRedisServer } from './support/redis-server';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const HOUR = 3_600_000;

describe('session lifetime', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;
  let inspector: Redis;
  let fake: FakeUpstream;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream();
    await fake.start();
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      SESSION_IDLE_TIMEOUT: '30m',
      SESSION_ABSOLUTE_TIMEOUT: '8h',
      OPENAI_BASE_URL: fake.urlFor('openai'),
    });
    inspector = new Redis(redis.url);
  });

  afterAll(async () => {
    if (inspector) await closeClient(inspector);
    await api?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  async function sessionKeyOf(client: BrowserClient): Promise<string> {
    const signed = client.cookies.get('byok.sid') ?? '';
    const sid = signed.slice(2, signed.lastIndexOf('.'));
    return `byok:sess:${sid}`;
  }

  it('expires the session in Redis after the idle timeout', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const ttl = await inspector.ttl(await sessionKeyOf(client));
    expect(ttl).toBeGreaterThan(29 * 60);
    expect(ttl).toBeLessThanOrEqual(30 * 60);
  });

  it('reports expiresAt as the idle deadline while it comes before the absolute one', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    const expiresAt = Date.parse(response.body.providers[0].expiresAt ?? '');
    expect(Math.abs(expiresAt - (Date.now() + 30 * 60_000))).toBeLessThan(5000);
  });

  it('ends a session past its absolute timeout, however recently it was used', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const key = await sessionKeyOf(client);
    const stored = JSON.parse((await inspector.get(key)) ?? '{}') as { createdAt: number };
    // Seven and a half hours old: one more half hour of use reaches the absolute deadline.
    stored.createdAt = Date.now() - 7.5 * HOUR - 60_000;
    await inspector.set(key, JSON.stringify(stored), 'KEEPTTL');
    const nearEnd = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    const expiresAt = Date.parse(nearEnd.body.providers[0].expiresAt ?? '');
    expect(Math.abs(expiresAt - (stored.createdAt + 8 * HOUR))).toBeLessThan(1000);

    stored.createdAt = Date.now() - 8 * HOUR - 1000;
    await inspector.set(key, JSON.stringify(stored), 'KEEPTTL');
    const after = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(after.body.providers[0]).toMatchObject({ source: 'none', masked: null });
    expect(await inspector.exists(key)).toBe(0);
  });

  it('extends the idle expiry in Redis when the user chats over the socket', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const key = await sessionKeyOf(client);
    await inspector.expire(key, 60);
    const socket = await connectChat(client);
    const result = await streamOverSocket(socket, { id: 'idle', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    socket.disconnect();
    expect(result.done?.credentialSource).toBe('session');
    expect(await inspector.ttl(key)).toBeGreaterThan(29 * 60);
    // The keyring lives as long as its session.
    const { keyringId } = JSON.parse((await inspector.get(key)) ?? '{}') as { keyringId: string };
    expect(await inspector.ttl(`byok:keyring:{${keyringId}}`)).toBeGreaterThan(29 * 60);
  });

  it('refuses a socket stream on a session past its absolute timeout', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const key = await sessionKeyOf(client);
    const stored = JSON.parse((await inspector.get(key)) ?? '{}') as { createdAt: number };
    stored.createdAt = Date.now() - 8 * HOUR - 1000;
    await inspector.set(key, JSON.stringify(stored), 'KEEPTTL');
    // The socket takes the session as its handshake finds it, and checks the lifetime on every stream.
    const socket = await connectChat(client);
    fake.clearRequests();
    const result = await streamOverSocket(socket, { id: 'old', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    socket.disconnect();
    expect(result.error?.code).toBe('session_expired');
    expect(fake.requestsFor('openai')).toHaveLength(0);
  });
});
