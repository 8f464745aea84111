import { API_ROUTES, type ApiErrorBody, type ProviderKeysResponse } from '@byok/contracts';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { TestRedisServer } from './support/redis-server';

const OPENAI_KEY = 'sk-test-security-4b5c6d7e8f9a0b1c2d3e';

function setCookieHeaders(response: { headers: Headers }): string[] {
  return response.headers.getSetCookie();
}

describe('HTTP security of the key endpoints', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      TRUST_PROXY: 'loopback',
      ALLOWED_ORIGINS: 'https://app.example.test',
      KEY_RATE_LIMIT: '1000',
    });
  });

  afterAll(async () => {
    await api?.close();
    await redis?.destroy();
  });

  describe('cookies', () => {
    it('gives a first visit only the CSRF cookies: an HttpOnly seed and a readable token, and no session', async () => {
      const client = new BrowserClient(api.url);
      const response = await client.get(API_ROUTES.providerKeys);
      const cookies = setCookieHeaders(response);
      const seed = cookies.find((cookie) => cookie.startsWith('byok.csrf='));
      expect(seed).toMatch(/; HttpOnly/);
      expect(seed).toMatch(/; SameSite=Strict/);
      expect(cookies.find((cookie) => cookie.startsWith('XSRF-TOKEN='))).not.toMatch(/HttpOnly/);
      expect(cookies.some((cookie) => cookie.startsWith('byok.sid=') || cookie.startsWith('connect.sid='))).toBe(false);
    });

    it('issues an HttpOnly, SameSite=Lax session cookie with a non-default name with the first key, over plain HTTP', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const response = await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: 'sk-test-cookie-flags-0123456789ab' });
      const session = setCookieHeaders(response).find((cookie) => cookie.startsWith('byok.sid='));
      expect(session).toBeDefined();
      expect(session).toMatch(/; HttpOnly/);
      expect(session).toMatch(/; SameSite=Lax/);
      expect(session).not.toMatch(/; Secure/);
    });

    it('behind a TLS proxy issues Secure __Host- seed and session cookies and a Secure XSRF cookie', async () => {
      const client = new BrowserClient(api.url);
      const tls = { 'x-forwarded-proto': 'https' };
      const first = setCookieHeaders(await client.get(API_ROUTES.providerKeys, tls));
      expect(first.find((cookie) => cookie.startsWith('__Host-byok.csrf='))).toMatch(/; Secure/);
      expect(first.find((cookie) => cookie.startsWith('XSRF-TOKEN='))).toMatch(/; Secure/);
      const response = await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: 'sk-test-cookie-flags-0123456789ab' }, tls);
      expect(response.status).toBe(200);
      const session = setCookieHeaders(response).find((cookie) => cookie.startsWith('__Host-byok.sid='));
      expect(session).toMatch(/; Path=\//);
      expect(session).toMatch(/; HttpOnly/);
      expect(session).toMatch(/; Secure/);
      expect(session).not.toMatch(/Domain=/);
    });

    it('sends helmet security headers and no X-Powered-By', async () => {
      const response = await new BrowserClient(api.url).get(API_ROUTES.providerKeys);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('x-powered-by')).toBeNull();
    });
  });

  describe('CSRF', () => {
    it('rejects a mutating request without the X-XSRF-TOKEN header with 403', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const response = await client.post<ApiErrorBody>(
        API_ROUTES.setProviderKey,
        { provider: 'openai', apiKey: OPENAI_KEY },
        { 'X-XSRF-TOKEN': '' },
      );
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('csrf_invalid');
      expect(response.body.message).toMatch(/X-XSRF-TOKEN/);
    });

    it("rejects a token issued to another session", async () => {
      const victim = new BrowserClient(api.url);
      await victim.prime();
      const attacker = new BrowserClient(api.url);
      await attacker.prime();
      const attackerToken = attacker.cookies.get('XSRF-TOKEN') ?? '';
      victim.cookies.set('XSRF-TOKEN', attackerToken);
      const response = await victim.post<ApiErrorBody>(API_ROUTES.clearProviderKey, { all: true });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('csrf_invalid');
    });

    it('rejects a cross-site Origin even with a valid token', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const response = await client.post<ApiErrorBody>(
        API_ROUTES.setProviderKey,
        { provider: 'openai', apiKey: OPENAI_KEY },
        { origin: 'https://evil.example' },
      );
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('origin_forbidden');
    });

    it('accepts same-origin and allow-listed origins', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const same = await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }, { origin: api.url });
      expect(same.status).toBe(200);
      const listed = await client.post(
        API_ROUTES.clearProviderKey,
        { provider: 'openai' },
        { origin: 'https://app.example.test' },
      );
      expect(listed.status).toBe(200);
    });
  });

  describe('bad input', () => {
    it('answers every malformed request with a 4xx JSON error and keeps the stored key', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
      const cases: Array<[string, string, number, string]> = [
        [API_ROUTES.setProviderKey, '{"provider": "openai", "apiKey": ', 400, 'malformed_json'],
        [API_ROUTES.setProviderKey, '[]', 400, 'validation_failed'],
        [API_ROUTES.setProviderKey, '"just a string"', 400, 'malformed_json'],
        [API_ROUTES.setProviderKey, '{"provider": 42, "apiKey": true}', 400, 'validation_failed'],
        [API_ROUTES.setProviderKey, '{"provider": "openai", "apiKey": "sk-test-x", "extra": 1}', 400, 'validation_failed'],
        [API_ROUTES.setProviderKey, '{"provider": "openai", "__proto__": {"polluted": true}}', 400, 'malformed_json'],
        [API_ROUTES.setProviderKey, '{"provider": "openai", "constructor": {"prototype": {}}}', 400, 'malformed_json'],
        [API_ROUTES.setProviderKey, '{"provider": "__proto__", "apiKey": "sk-test-0123456789abcdef"}', 404, 'unknown_provider'],
        [API_ROUTES.setProviderKey, `{"provider": "openai", "apiKey": "${'a'.repeat(300_000)}"}`, 413, 'payload_too_large'],
        [API_ROUTES.clearProviderKey, '{"all": "yes"}', 400, 'validation_failed'],
        [API_ROUTES.validateProviderKey, '{"provider": ["openai"]}', 400, 'validation_failed'],
        ['/api/providers/keys/unknown', '{}', 404, 'not_found'],
      ];
      for (const [path, raw, status, code] of cases) {
        const response = await client.postRaw<ApiErrorBody>(path, raw);
        expect({ path, raw: raw.slice(0, 60), status: response.status, code: response.body.code }).toEqual({
          path,
          raw: raw.slice(0, 60),
          status,
          code,
        });
        expect(typeof response.body.message).toBe('string');
        expect(response.text).not.toMatch(/at .+\.(js|ts):\d+/);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const after = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
      expect(after.body.providers.find((provider) => provider.id === 'openai')?.source).toBe('session');
    });

    it('answers a non-JSON content type with a 4xx, not a 500', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const response = await client.postRaw<ApiErrorBody>(API_ROUTES.setProviderKey, 'provider=openai', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    });
  });
});

describe('rate limits shared across instances', () => {
  let redis: TestRedisServer;
  let apiA: ApiInstance;
  let apiB: ApiInstance;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    apiA = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '4', KEY_RATE_WINDOW: '1m' });
    apiB = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '4', KEY_RATE_WINDOW: '1m' });
  });

  afterAll(async () => {
    await apiA?.close();
    await apiB?.close();
    await redis?.destroy();
  });

  it('counts set requests on both instances and answers 429 with Retry-After past the limit', async () => {
    const client = new BrowserClient(apiA.url);
    await client.prime();
    const body = { provider: 'openai', apiKey: OPENAI_KEY };
    expect((await client.post(API_ROUTES.setProviderKey, body)).status).toBe(200);
    expect((await client.post(API_ROUTES.setProviderKey, body)).status).toBe(200);
    client.baseUrl = apiB.url;
    expect((await client.post(API_ROUTES.setProviderKey, body)).status).toBe(200);
    expect((await client.post(API_ROUTES.setProviderKey, body)).status).toBe(200);
    const limited = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, body);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    client.baseUrl = apiA.url;
    expect((await client.post(API_ROUTES.setProviderKey, body)).status).toBe(429);
    // Reading keys is not limited.
    expect((await client.get(API_ROUTES.providerKeys)).status).toBe(200);
  });
});
