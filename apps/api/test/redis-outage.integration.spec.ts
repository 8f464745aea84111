import { API_ROUTES, type ApiErrorBody, type ProviderKeysResponse } from '@byok/contracts';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { TestRedisServer } from './support/redis-server';
import { storeReconnected } from './reliability/reliability-helpers';

const OPENAI_KEY = 'sk-test-outage-9a8b7c6d5e4f3a2b1c0d';

describe('Redis outage and recovery', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await TestRedisServer.start();
    api = await ApiInstance.start({ REDIS_URL: redis.url });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await api?.close();
    await redis?.destroy();
  });

  it('answers 503 while Redis is down, stays alive, and recovers with the keys intact', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);

    await redis.stop();

    const listed = await client.get<ApiErrorBody>(API_ROUTES.providerKeys);
    expect(listed.status).toBe(503);
    expect(listed.body.code).toBe('store_unavailable');
    expect(listed.body.message).toMatch(/session store is unreachable/);
    expect(listed.headers.get('retry-after')).toBe('5');

    const set = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: 'AIzaTestGemini0123456789abcdefghijkl' });
    expect(set.status).toBe(503);

    // A visitor without a session needs nothing from the store to read the list, but cannot save a key.
    const fresh = new BrowserClient(api.url);
    const freshList = await fresh.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(freshList.status).toBe(200);
    expect(freshList.body.providers.every((provider) => provider.source === 'none')).toBe(true);
    const freshSet = await fresh.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(freshSet.status).toBe(503);
    expect(freshSet.body.code).toBe('store_unavailable');

    expect((await client.get(API_ROUTES.health)).status).toBe(200);
    const ready = await client.get<ApiErrorBody>(API_ROUTES.ready);
    expect(ready.status).toBe(503);

    await redis.restart();
    await storeReconnected(api);

    const recovered = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(recovered.status).toBe(200);
    expect(recovered.body.providers.find((provider) => provider.id === 'openai')).toMatchObject({
      source: 'session',
      masked: 'sk-…1c0d',
    });
    expect((await client.get(API_ROUTES.ready)).status).toBe(200);
    const setAgain = await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: 'AIzaTestGemini0123456789abcdefghijkl' });
    expect(setAgain.status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});
