import { API_ROUTES, type ApiErrorBody, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';

const USER_OPENAI_KEY = 'sk-test-user-openai-5e6f7a8b9c0d1e2f';
const ENV_OPENAI_KEY = 'sk-test-env-openai-0a1b2c3d4e5f6a7b';
const ENV_ANTHROPIC_KEY = 'sk-ant-test-env-anthropic-1a2b3c4d5e';
const USER_ANTHROPIC_KEY = 'sk-ant-test-user-anthropic-9f8e7d6c5b';

function statusOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus {
  const status = response.providers.find((provider) => provider.id === id);
  if (!status) throw new Error(`no status for ${id}`);
  return status;
}

describe('key hierarchy and per-provider policy', () => {
  let api: ApiInstance;

  beforeAll(async () => {
    // In-process store: policy does not depend on where sessions live.
    api = await ApiInstance.start({
      OPENAI_API_KEY: ENV_OPENAI_KEY,
      ANTHROPIC_API_KEY: ENV_ANTHROPIC_KEY,
      KEY_POLICY_ANTHROPIC: 'user-first',
      KEY_POLICY_GEMINI: 'env-only',
      KEY_POLICY_OLLAMA: 'user-only',
      OPENAI_COMPATIBLE_PROVIDERS: JSON.stringify([
        { id: 'acme-llm', name: 'Acme LLM', baseUrl: 'http://127.0.0.1:9/v1', keyPrefix: 'acme-' },
      ]),
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('uses the env key first and reports the provider as not editable (8.1, 8.5)', async () => {
    const client = new BrowserClient(api.url);
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(response.body, 'openai')).toMatchObject({
      source: 'env',
      masked: null,
      editable: false,
      policy: 'env-first',
    });
    expect(statusOf(response.body, 'openai').lockedReason).toMatch(/server provides its own key for OpenAI/);
  });

  it('refuses a user key for a provider whose env key takes precedence, with 409 (8.5)', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, {
      provider: 'openai',
      apiKey: USER_OPENAI_KEY,
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('policy_forbids_user_key');
    const after = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(after.body, 'openai').source).toBe('env');
  });

  it('refuses user keys under env-only even without an env key', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(listed.body, 'gemini')).toMatchObject({ source: 'none', editable: false, policy: 'env-only' });
    const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, {
      provider: 'gemini',
      apiKey: 'AIzaTestGemini0123456789abcdefghijkl',
    });
    expect(response.status).toBe(409);
  });

  it('lets a session key win over the env key under user-first, and falls back to env when cleared', async () => {
    const client = new BrowserClient(api.url);
    const initial = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(initial.body, 'anthropic')).toMatchObject({ source: 'env', editable: true, policy: 'user-first' });
    const set = await client.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, {
      provider: 'anthropic',
      apiKey: USER_ANTHROPIC_KEY,
    });
    expect(set.body.source).toBe('session');
    const cleared = await client.post<ProviderKeysResponse>(API_ROUTES.clearProviderKey, { provider: 'anthropic' });
    expect(statusOf(cleared.body, 'anthropic').source).toBe('env');
  });

  it('offers admin-defined OpenAI-compatible providers with their own key prefix', async () => {
    const client = new BrowserClient(api.url);
    await client.prime();
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(listed.body, 'acme-llm')).toMatchObject({ name: 'Acme LLM', source: 'none', editable: true });
    const wrong = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, {
      provider: 'acme-llm',
      apiKey: 'sk-test-0123456789abcdef',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/start with "acme-"/);
    const right = await client.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, {
      provider: 'acme-llm',
      apiKey: 'acme-test-0123456789abcdef',
    });
    expect(right.body).toMatchObject({ source: 'session', masked: 'acme-…cdef' });
  });

  it('marks keyless providers as not requiring a key', async () => {
    const client = new BrowserClient(api.url);
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(listed.body, 'ollama')).toMatchObject({ keyRequired: false, policy: 'user-only', editable: true });
    expect(statusOf(listed.body, 'openai').keyRequired).toBe(true);
  });
});
