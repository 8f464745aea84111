import { API_ROUTES, type ProviderKeysResponse } from '@byok/contracts';
import Redis from 'ioredis';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { TestRedisServer } from './support/redis-server';

const OPENAI_KEY = 'sk-test-lifetime-1a2b3c4d5e6f7a8b9c0d';
const HOUR = 3_600_000;

describe('session lifetime', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;
  let inspector: Redis;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    api = await ApiInstance.start({ REDIS_URL: redis.url, SESSION_IDLE_TIMEOUT: '30m', SESSION_ABSOLUTE_TIMEOUT: '8h' });
    inspector = new Redis(redis.url);
  });

  afterAll(async () => {
    inspector?.disconnect();
    await api?.close();
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
});
