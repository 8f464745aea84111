import { API_ROUTES, type ChatErrorEvent, type ProviderModelsResponse, type ValidateProviderKeyResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { TestRedisServer } from './support/redis-server';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const GEMINI_KEY = DEFAULT_KEYS.gemini?.[0] ?? '';
const ENV_OPENAI_KEY = 'sk-test-env-company-key-9f8e7d6c5b4a';
const REJECTED_KEY = 'sk-test-not-accepted-by-upstream-0000';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

function providerUrls(fake: FakeUpstream): Record<string, string> {
  return {
    OPENAI_BASE_URL: fake.urlFor('openai'),
    ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    GEMINI_BASE_URL: fake.urlFor('gemini'),
    OLLAMA_BASE_URL: fake.urlFor('ollama'),
  };
}

describe('chat streaming with the key chosen per request', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  let apiA: ApiInstance;
  let apiB: ApiInstance;
  let apiWithEnvKey: ApiInstance;
  let common: Record<string, string>;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ keys: { openai: [OPENAI_KEY, ENV_OPENAI_KEY] } });
    await fake.start();
    common = { REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake) };
    apiA = await ApiInstance.start(common);
    apiB = await ApiInstance.start(common);
    apiWithEnvKey = await ApiInstance.start({ ...common, OPENAI_API_KEY: ENV_OPENAI_KEY });
  });

  beforeEach(() => {
    fake.clearRequests();
  });

  afterEach(() => {
    fake.clearFailures();
    fake.configure({ firstChunkDelayMs: 0, chunkDelayMs: 0, chunkCount: 8 });
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await apiA?.close();
    await apiB?.close();
    await apiWithEnvKey?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  async function userWithKeys(api: ApiInstance, keys: Record<string, string>): Promise<BrowserClient> {
    const client = new BrowserClient(api.url);
    await client.prime();
    for (const [provider, apiKey] of Object.entries(keys)) {
      const response = await client.post(API_ROUTES.setProviderKey, { provider, apiKey });
      expect(response.status).toBe(200);
    }
    return client;
  }

  async function socketFor(client: BrowserClient): Promise<ChatSocket> {
    const socket = await connectChat(client);
    sockets.push(socket);
    return socket;
  }

  it('streams the whole answer in order over SSE with the session key the user set', async () => {
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    const { status, contentType, events } = await streamOverSse(client, { id: 'sse1', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    const deltas = events.filter((event) => event.event === 'delta').map((event) => (event.data as { text: string }).text);
    expect(deltas.join('')).toBe(fake.expectedText());
    expect(deltas).toEqual(fake.expectedChunks());
    expect(events.at(-1)).toEqual({
      event: 'done',
      data: expect.objectContaining({ id: 'sse1', finishReason: 'stop', credentialSource: 'session' }),
    });
    expect(fake.lastRequest('openai')?.key).toBe(OPENAI_KEY);
  });

  it.each([
    ['openai', 'gpt-4o-mini', { openai: OPENAI_KEY }],
    ['anthropic', 'claude-haiku-4-5', { anthropic: ANTHROPIC_KEY }],
    ['gemini', 'gemini-2.5-flash', { gemini: GEMINI_KEY }],
  ])('streams %s over socket.io with the session key, in order', async (provider, model, keys) => {
    const client = await userWithKeys(apiA, keys);
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: `s-${provider}`, provider, model, messages });
    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(fake.expectedChunks());
    expect(result.done).toMatchObject({ id: `s-${provider}`, credentialSource: 'session' });
    expect(fake.lastRequest(provider)?.key).toBe(Object.values(keys)[0]);
  });

  it('streams from a keyless provider without sending any key', async () => {
    const client = new BrowserClient(apiA.url);
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'ollama1', provider: 'ollama', model: 'llama3.2', messages });
    expect(result.done).toMatchObject({ credentialSource: 'none' });
    expect(fake.lastRequest('ollama')?.key).toBeNull();
  });

  it('uses the env key over a session key under env-first, and says so', async () => {
    // The key is set through an instance without an env key; the stream runs where one exists.
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    client.baseUrl = apiWithEnvKey.url;
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'env1', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(result.done?.credentialSource).toBe('env');
    expect(fake.lastRequest('openai')?.key).toBe(ENV_OPENAI_KEY);
  });

  it('uses on instance B a key set through instance A', async () => {
    const client = await userWithKeys(apiA, { anthropic: ANTHROPIC_KEY });
    client.baseUrl = apiB.url;
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'ab1', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
    expect(result.done?.credentialSource).toBe('session');
    expect(fake.lastRequest('anthropic')?.key).toBe(ANTHROPIC_KEY);
    const sse = await streamOverSse(client, { id: 'ab2', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
    expect(sse.events.at(-1)?.event).toBe('done');
  });

  it('keeps earlier keys working after later ones regenerate the session', async () => {
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY, gemini: GEMINI_KEY, anthropic: ANTHROPIC_KEY });
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'reseal', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(result.done?.credentialSource).toBe('session');
    expect(fake.lastRequest('openai')?.key).toBe(OPENAI_KEY);
  });

  it('answers no_key naming the provider when no key is available', async () => {
    const socket = await socketFor(new BrowserClient(apiA.url));
    const result = await streamOverSocket(socket, { id: 'nokey', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    expect(result.error).toMatchObject({ id: 'nokey', code: 'no_key' });
    expect(result.error?.message).toMatch(/Google Gemini/);
    expect(result.error?.message).toMatch(/Settings/);
  });

  it('answers key_rejected when the provider refuses the key, without echoing it', async () => {
    const client = await userWithKeys(apiA, { openai: REJECTED_KEY });
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'rejected', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(result.error?.code).toBe('key_rejected');
    expect(JSON.stringify(result.error)).not.toContain(REJECTED_KEY);
    const sse = await streamOverSse(client, { id: 'rejected2', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(sse.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'key_rejected' } });
  });

  it('answers rate_limited with the provider Retry-After', async () => {
    fake.inject({ kind: 'status429', provider: 'anthropic', retryAfterSeconds: 7, times: 1 });
    const client = await userWithKeys(apiA, { anthropic: ANTHROPIC_KEY });
    const socket = await socketFor(client);
    const result = await streamOverSocket(socket, { id: 'rl', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
    expect(result.error).toMatchObject({ code: 'rate_limited', retryAfter: 7 });
  });

  it('reports a mid-stream upstream failure and keeps the socket usable', async () => {
    fake.inject({ kind: 'dropMidStream', provider: 'openai', afterChunks: 3, times: 1 });
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    const socket = await socketFor(client);
    const broken = await streamOverSocket(socket, { id: 'drop', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(broken.deltas).toEqual(fake.expectedChunks().slice(0, 3));
    expect(broken.error).toMatchObject({ id: 'drop', code: 'upstream_error' });
    const next = await streamOverSocket(socket, { id: 'after-drop', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(next.deltas).toEqual(fake.expectedChunks());
  });

  it('runs several streams concurrently on one socket', async () => {
    fake.configure({ chunkDelayMs: 5 });
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY, gemini: GEMINI_KEY });
    const socket = await socketFor(client);
    const results = await Promise.all([
      streamOverSocket(socket, { id: 'p1', provider: 'openai', model: 'gpt-4o-mini', messages }),
      streamOverSocket(socket, { id: 'p2', provider: 'gemini', model: 'gemini-2.5-flash', messages }),
      streamOverSocket(socket, { id: 'p3', provider: 'openai', model: 'gpt-4o', messages }),
    ]);
    for (const result of results) expect(result.deltas).toEqual(fake.expectedChunks());
  });

  // How fast the close reaches the provider is a figure for the bench; here it must happen, mid-answer.
  it('stops the upstream request on chat:cancel, before the answer is complete', async () => {
    fake.configure({ chunkDelayMs: 50, chunkCount: 40 });
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    const socket = await socketFor(client);
    let cancelled = false;
    socket.on('chat:delta', (event) => {
      if (event.id === 'cancel1' && !cancelled) {
        cancelled = true;
        socket.emit('chat:cancel', { id: 'cancel1' });
      }
    });
    socket.emit('chat:start', { id: 'cancel1', provider: 'openai', model: 'gpt-4o-mini', messages });
    const request = await fake.waitForRequest((candidate) => candidate.outcome === 'closed-by-client', 10_000);
    expect(request.chunksSent).toBeLessThan(40);
  });

  it('stops the upstream request when the socket disconnects, before the answer is complete', async () => {
    fake.configure({ chunkDelayMs: 50, chunkCount: 40 });
    const client = await userWithKeys(apiA, { gemini: GEMINI_KEY });
    const socket = await connectChat(client);
    socket.once('chat:delta', () => socket.disconnect());
    socket.emit('chat:start', { id: 'leave1', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    const request = await fake.waitForRequest((candidate) => candidate.provider === 'gemini' && candidate.closedAt !== null, 10_000);
    expect(request.outcome).toBe('closed-by-client');
    expect(request.chunksSent).toBeLessThan(40);
  });

  it('stops the upstream request when the SSE client goes away, before the answer is complete', async () => {
    fake.configure({ chunkDelayMs: 50, chunkCount: 40 });
    const client = await userWithKeys(apiA, { anthropic: ANTHROPIC_KEY });
    const abort = new AbortController();
    await streamOverSse(
      client,
      { id: 'sse-abort', provider: 'anthropic', model: 'claude-haiku-4-5', messages },
      { signal: abort.signal, onEvent: (event) => event.event === 'delta' && abort.abort() },
    );
    const request = await fake.waitForRequest((candidate) => candidate.provider === 'anthropic' && candidate.closedAt !== null, 10_000);
    expect(request.outcome).toBe('closed-by-client');
    expect(request.chunksSent).toBeLessThan(40);
  });

  it('refuses a cross-origin socket handshake', async () => {
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    await expect(connectChat(client, { origin: 'https://evil.example' })).rejects.toThrow();
    const sameOrigin = await connectChat(client, { origin: apiA.url });
    sockets.push(sameOrigin);
    expect(sameOrigin.connected).toBe(true);
  });

  it('streams with a key set after the socket opened, on any instance, and answers no_key once it is cleared, with no reconnect', async () => {
    const client = await userWithKeys(apiA, { openai: OPENAI_KEY });
    const socket = await socketFor(client);
    const socketId = socket.id;
    let disconnects = 0;
    socket.on('disconnect', () => disconnects++);
    client.baseUrl = apiB.url;
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY });
    const withKey = await streamOverSocket(socket, { id: 'later-key', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    expect(withKey.done?.credentialSource).toBe('session');
    expect(fake.requestsFor('gemini').at(-1)?.key).toBe(GEMINI_KEY);
    await client.post(API_ROUTES.clearProviderKey, { all: true });
    const cleared = await streamOverSocket(socket, { id: 'cleared', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    expect(cleared.error?.code).toBe('no_key');
    expect(socket.id).toBe(socketId);
    expect(disconnects).toBe(0);
  });

  it('rejects malformed chat requests with bad_request (an unknown provider with unknown_provider) and keeps the socket open', async () => {
    const socket = await socketFor(new BrowserClient(apiA.url));
    const errors: ChatErrorEvent[] = [];
    const bad: unknown[] = [
      'not an object',
      { id: 'x1' },
      { id: 'x2', provider: 'openai', model: 'm', messages: [{ role: 'wizard', content: 'hi' }] },
      { id: 'x3', provider: 'openai', model: 'm', messages: [], extra: true },
      JSON.parse('{"id": "x4", "provider": "openai", "model": "m", "messages": [], "__proto__": {"polluted": true}}'),
      { id: 'x5', provider: 'openai', model: 'm', messages: Array.from({ length: 500 }, () => ({ role: 'user', content: 'a' })) },
      { id: 'x6', provider: 'nope', model: 'm', messages },
    ];
    const answered = new Promise<void>((resolve) =>
      socket.on('chat:error', (event) => {
        errors.push(event);
        if (errors.length === bad.length) resolve();
      }),
    );
    for (const payload of bad) socket.emit('chat:start', payload as never);
    await answered;
    const codeOf = (id: string): string | undefined => errors.find((error) => error.id === id)?.code;
    expect(codeOf('x6')).toBe('unknown_provider');
    for (const error of errors.filter((event) => event.id !== 'x6')) expect(error).toMatchObject({ code: 'bad_request', message: expect.any(String) });
    expect(socket.connected).toBe(true);
  });

  it('answers a stream whose first token never comes with timeout', async () => {
    const api = await ApiInstance.start({ ...common, CHAT_FIRST_TOKEN_TIMEOUT: '300ms' });
    try {
      fake.inject({ kind: 'neverAnswer', provider: 'openai', times: 1 });
      const client = await userWithKeys(api, { openai: OPENAI_KEY });
      const socket = await socketFor(client);
      const started = Date.now();
      const result = await streamOverSocket(socket, { id: 'ttft', provider: 'openai', model: 'gpt-4o-mini', messages });
      expect(result.error?.code).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await api.close();
    }
  });

  describe('key validation and models', () => {
    it('validates a key by one models call and stores nothing', async () => {
      const client = new BrowserClient(apiA.url);
      await client.prime();
      const good = await client.post<ValidateProviderKeyResponse>(API_ROUTES.validateProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
      expect(good.body).toEqual({ valid: true });
      expect(fake.lastRequest('anthropic')).toMatchObject({ endpoint: 'models', key: ANTHROPIC_KEY });
      const bad = await client.post<ValidateProviderKeyResponse>(API_ROUTES.validateProviderKey, { provider: 'openai', apiKey: REJECTED_KEY });
      expect(bad.body).toEqual({ valid: false, reason: 'invalid' });
      const gemini = await client.post<ValidateProviderKeyResponse>(API_ROUTES.validateProviderKey, {
        provider: 'gemini',
        apiKey: 'AIzaTestGeminiWrong0123456789abcdefghi',
      });
      expect(gemini.body).toEqual({ valid: false, reason: 'invalid' });
      const listed = await client.get<{ providers: Array<{ source: string }> }>(API_ROUTES.providerKeys);
      expect(listed.body.providers.every((provider) => provider.source === 'none')).toBe(true);
    });

    it('validates the key in effect when none is given, and reports rate limits and timeouts', async () => {
      const api = await ApiInstance.start({ ...common, VALIDATE_TIMEOUT: '300ms' });
      try {
        const client = await userWithKeys(api, { openai: OPENAI_KEY });
        expect((await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' })).body).toEqual({ valid: true });
        expect(fake.lastRequest('openai')?.key).toBe(OPENAI_KEY);
        fake.inject({ kind: 'status429', provider: 'openai', endpoint: 'models', times: 1 });
        expect((await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' })).body).toEqual({ valid: false, reason: 'rate_limited' });
        fake.inject({ kind: 'neverAnswer', provider: 'openai', endpoint: 'models', times: 1 });
        expect((await client.post(API_ROUTES.validateProviderKey, { provider: 'openai' })).body).toEqual({ valid: false, reason: 'timeout' });
        const none = await client.post(API_ROUTES.validateProviderKey, { provider: 'gemini' });
        expect(none.status).toBe(400);
        expect(none.body).toMatchObject({ code: 'no_key' });
      } finally {
        await api.close();
      }
    });

    it('lists the models of a provider with the key in effect, cached briefly', async () => {
      const client = await userWithKeys(apiA, { gemini: GEMINI_KEY });
      fake.clearRequests();
      const first = await client.get<ProviderModelsResponse>('/api/providers/gemini/models');
      expect(first.status).toBe(200);
      expect(first.body.models.map((model) => model.id)).toEqual(fake.modelsOf('gemini'));
      const second = await client.get<ProviderModelsResponse>('/api/providers/gemini/models');
      expect(second.body).toEqual(first.body);
      expect(fake.requestsFor('gemini').filter((request) => request.endpoint === 'models')).toHaveLength(1);
      const noKey = await new BrowserClient(apiA.url).get('/api/providers/openai/models');
      expect(noKey.status).toBe(400);
      expect(noKey.body).toMatchObject({ code: 'no_key' });
    });
  });
});
