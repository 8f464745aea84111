import { API_ROUTES } from '@byok/contracts';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { TestRedisServer } from './support/redis-server';

const KEYS = {
  openai: 'sk-test-logscan-openai-5f4e3d2c1b0a9f8e',
  anthropic: 'sk-ant-test-logscan-anthropic-2b3c4d5e6f',
  gemini: 'AIzaTestLogScanGemini0123456789abcdef',
};

describe('key text never reaches the logs', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      LOG_LEVEL: 'trace',
      KEY_RATE_LIMIT: '6',
      // Nothing listens on port 9: validation fails as "unreachable".
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      GEMINI_BASE_URL: 'http://127.0.0.1:9',
    });
  });

  afterAll(async () => {
    await api?.close();
    await redis?.destroy();
  });

  it('logs audit events with fingerprints while no key appears in any log line', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: KEYS.openai });
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: KEYS.openai });
    await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: KEYS.anthropic });
    await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' });
    await client.post(API_ROUTES.validateProviderKey, { provider: 'gemini', apiKey: KEYS.gemini });
    // Failing requests carry keys too: wrong provider, bad CSRF, malformed JSON, rate limited.
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: KEYS.openai });
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: KEYS.openai }, { 'X-XSRF-TOKEN': 'forged' });
    await client.postRaw(API_ROUTES.setProviderKey, `{"provider":"openai","apiKey":"${KEYS.openai}"`);
    await client.post(API_ROUTES.setProviderKey, { provider: 'nope', apiKey: KEYS.gemini });
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: KEYS.openai, extra: KEYS.anthropic });
    for (let attempt = 0; attempt < 4; attempt++) {
      await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: KEYS.gemini });
    }
    await client.get(`${API_ROUTES.providerKeys}?apiKey=${KEYS.gemini}`);
    await client.post(API_ROUTES.clearProviderKey, { provider: 'openai' });
    await client.post(API_ROUTES.clearProviderKey, { all: true });

    const logs = api.logs.text;
    const audit = api.logs.lines().filter((line) => line['audit']);
    expect(audit.map((line) => (line['audit'] as { event: string }).event)).toEqual(
      expect.arrayContaining(['set', 'replaced', 'validation_failed', 'cleared']),
    );
    for (const line of audit) {
      expect(line['audit']).toMatchObject({ session: expect.stringMatching(/^[\w-]{12}$/) });
    }
    expect(logs.length).toBeGreaterThan(1000);
    for (const key of Object.values(KEYS)) {
      expect(logs).not.toContain(key);
      expect(logs).not.toContain(key.slice(8, 20));
    }
  });
});
