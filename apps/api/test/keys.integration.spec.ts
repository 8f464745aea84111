import { API_ROUTES, type ApiErrorBody, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { TestRedisServer } from './support/redis-server';

const OPENAI_KEY = 'sk-test-openai-3f9a7c1e5b2d4f6a8c0e';
const ANTHROPIC_KEY = 'sk-ant-test-anthropic-7b1d9e3f5a2c4e6b';
const GEMINI_KEY = 'AIzaTestGemini0123456789abcdefghijkl';

function statusOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus {
  const status = response.providers.find((provider) => provider.id === id);
  if (!status) throw new Error(`no status for ${id}`);
  return status;
}

describe('provider keys over HTTP with a shared Redis', () => {
  let redis: TestRedisServer;
  let apiA: ApiInstance;
  let apiB: ApiInstance;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    apiA = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000' });
    apiB = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000' });
  });

  afterAll(async () => {
    await apiA?.close();
    await apiB?.close();
    await redis?.destroy();
  });

  async function userWithKey(api: ApiInstance, provider: string, apiKey: string): Promise<BrowserClient> {
    const client = new BrowserClient(api.url);
    await client.prime();
    const response = await client.post(API_ROUTES.setProviderKey, { provider, apiKey });
    expect(response.status).toBe(200);
    return client;
  }

  it('lists every provider with source none before any key is set', async () => {
    const client = new BrowserClient(apiA.url);
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(response.status).toBe(200);
    expect(response.body.providers.map((provider) => [provider.id, provider.source])).toEqual([
      ['openai', 'none'],
      ['anthropic', 'none'],
      ['gemini', 'none'],
      ['ollama', 'none'],
    ]);
  });

  it('keeps a session key across requests and reports it masked (8.2)', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    const first = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    const second = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    for (const response of [first, second]) {
      const openai = statusOf(response.body, 'openai');
      expect(openai.source).toBe('session');
      expect(openai.masked).toBe('sk-…8c0e');
      expect(openai.editable).toBe(true);
      expect(Date.parse(openai.expiresAt ?? '')).toBeGreaterThan(Date.now());
    }
  });

  it('answers set with the provider status and regenerates the session id', async () => {
    const client = new BrowserClient(apiA.url);
    await client.prime();
    const before = client.cookies.get('byok.sid');
    const response = await client.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, {
      provider: 'anthropic',
      apiKey: ANTHROPIC_KEY,
    });
    expect(response.body).toMatchObject({ id: 'anthropic', source: 'session', masked: 'sk-ant-…4e6b' });
    expect(client.cookies.get('byok.sid')).toBeDefined();
    expect(client.cookies.get('byok.sid')).not.toBe(before);
  });

  it('keeps earlier keys usable after the session id changes for a new key', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(response.body, 'openai').source).toBe('session');
    expect(statusOf(response.body, 'gemini').source).toBe('session');
  });

  it('clears one key and leaves the others (8.3)', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    const cleared = await client.post<ProviderKeysResponse>(API_ROUTES.clearProviderKey, { provider: 'openai' });
    expect(cleared.status).toBe(200);
    expect(statusOf(cleared.body, 'openai')).toMatchObject({ source: 'none', masked: null });
    expect(statusOf(cleared.body, 'gemini').source).toBe('session');
    const later = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(later.body, 'openai').source).toBe('none');
  });

  it('clears every key at once by deleting the keyring, keeping the session', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    const keyringsBefore = [...(await redis.dump()).keys()].filter((key) => key.startsWith('byok:keyring:{'));
    const cookie = client.cookies.get('byok.sid');
    const response = await client.post<ProviderKeysResponse>(API_ROUTES.clearProviderKey, { all: true });
    expect(response.body.providers.every((provider) => provider.source === 'none' && provider.masked === null)).toBe(true);
    const keyringsAfter = [...(await redis.dump()).keys()].filter((key) => key.startsWith('byok:keyring:{'));
    expect(keyringsBefore.filter((key) => !keyringsAfter.includes(key))).toHaveLength(1);
    // No new session id: open sockets keep reading the (now empty) keyring.
    expect(client.cookies.get('byok.sid')).toBe(cookie);
    const later = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(later.body, 'openai').source).toBe('none');
    const again = await client.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
    expect(again.body.source).toBe('session');
    expect(client.cookies.get('byok.sid')).toBe(cookie);
  });

  it('refuses a clear request naming neither or both of provider and all', async () => {
    const client = new BrowserClient(apiA.url);
    await client.prime();
    for (const body of [{}, { provider: 'openai', all: true }]) {
      const response = await client.post<ApiErrorBody>(API_ROUTES.clearProviderKey, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
  });

  it('serves a key set through instance A to instance B', async () => {
    const client = await userWithKey(apiA, 'anthropic', ANTHROPIC_KEY);
    client.baseUrl = apiB.url;
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(response.body, 'anthropic')).toMatchObject({ source: 'session', masked: 'sk-ant-…4e6b' });
    const cleared = await client.post<ProviderKeysResponse>(API_ROUTES.clearProviderKey, { provider: 'anthropic' });
    expect(cleared.status).toBe(200);
    client.baseUrl = apiA.url;
    const back = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(back.body, 'anthropic').source).toBe('none');
  });

  it('rejects malformed keys with a message naming the problem and stores nothing', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    const cases: Array<[string, string, RegExp]> = [
      ['openai', ANTHROPIC_KEY, /another provider's key/],
      ['anthropic', OPENAI_KEY, /start with "sk-ant-"/],
      ['gemini', 'sk-test-not-a-gemini-key-000000000000', /start with "AIza"/],
      ['openai', 'sk-short', /too short/],
      ['openai', `${OPENAI_KEY}\n`, /without spaces or line breaks/],
      ['openai', `sk-test-\u0000-nul-0123456789`, /control character/],
      ['openai', 'sk-test with-a-space-in-the-middle', /whitespace/],
      ['openai', 'sk-test-üñíçødé-characters-here', /character API keys never have/],
      ['openai', `sk-${'a'.repeat(300)}`, /too long/],
    ];
    for (const [provider, apiKey, message] of cases) {
      const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider, apiKey });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('malformed_key');
      expect(response.body.message).toMatch(message);
    }
    const after = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(after.body, 'openai').masked).toBe('sk-…8c0e');
    expect(statusOf(after.body, 'anthropic').source).toBe('none');
  });

  it('answers 404 for an unknown provider, naming the field and not the id', async () => {
    const client = new BrowserClient(apiA.url);
    await client.prime();
    const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, {
      provider: 'mystery',
      apiKey: OPENAI_KEY,
    });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ statusCode: 404, code: 'unknown_provider', message: expect.stringMatching(/^provider: /) });
  });

  it('never returns a key beyond its masked form', async () => {
    const client = await userWithKey(apiA, 'openai', OPENAI_KEY);
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    await client.get(API_ROUTES.providerKeys);
    await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' });
    await client.post(API_ROUTES.clearProviderKey, { provider: 'gemini' });
    for (const body of client.received) {
      expect(body).not.toContain(OPENAI_KEY);
      expect(body).not.toContain(GEMINI_KEY);
      expect(body).not.toContain(OPENAI_KEY.slice(8, 20));
    }
  });

  it('keeps no key text in Redis, only sealed envelopes', async () => {
    await userWithKey(apiA, 'openai', OPENAI_KEY);
    const client = await userWithKey(apiB, 'anthropic', ANTHROPIC_KEY);
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    const values = await redis.dump();
    const keyrings = [...values].filter(([key]) => key.startsWith('byok:keyring:{'));
    expect(keyrings.length).toBeGreaterThan(0);
    const envelopes = keyrings.flatMap(([, value]) =>
      Object.values(JSON.parse(value) as Record<string, string>).map((field) => (JSON.parse(field) as { sealed: string }).sealed),
    );
    expect(envelopes.length).toBeGreaterThanOrEqual(3);
    for (const envelope of envelopes) expect(envelope).toMatch(/^v1:[\w-]{8}:[\w-]+$/);
    for (const [key, value] of values) {
      for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY]) {
        expect(`${key} ${value}`).not.toContain(secret);
        // A run of 12 characters from the middle is enough to identify a key.
        expect(`${key} ${value}`).not.toContain(secret.slice(8, 20));
      }
    }
  });
});
