import { API_ROUTES, type ApiErrorBody, type ChatErrorEvent, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import Redis from 'ioredis';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { rawRequest } from './support/raw-http';
import { closeClient, TestRedisServer } from './support/redis-server';
import { providerUrls } from './reliability/reliability-helpers';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const GEMINI_KEY = DEFAULT_KEYS.gemini?.[0] ?? '';
/** A key pasted into a URL by mistake: it must come back in no response and no log line. */
const KEY_IN_URL = 'sk-test-pasted-into-a-url-7f6e5d4c3b2a';
const messages = [{ role: 'user' as const, content: 'Say hello' }];
/** Characters that can forge log lines or reorder what an admin reads (controls, then bidi marks). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function portOf(api: ApiInstance): string {
  return new URL(api.url).port;
}

function errorOf(text: string): ApiErrorBody {
  return JSON.parse(text) as ApiErrorBody;
}

describe('hardening from the black-box probe', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  let api: ApiInstance;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ chunkCount: 3 });
    await fake.start();
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      KEY_RATE_LIMIT: '1000',
      CHAT_RATE_LIMIT: '1000',
      ...providerUrls(fake),
    });
  });

  beforeEach(() => fake.clearRequests());

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await api?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  async function open(client: BrowserClient, headers: Record<string, string> = {}): Promise<ChatSocket> {
    const socket = await connectChat(client, headers);
    sockets.push(socket);
    return socket;
  }

  describe('Host allow-list against DNS rebinding', () => {
    const rebound = (): { host: string; origin: string } => {
      const host = `attacker.example:${portOf(api)}`;
      return { host, origin: `http://${host}` };
    };

    it('refuses a session made entirely under a rebinding Host with 421, whatever cookies and token it carries', async () => {
      const victim = new BrowserClient(api.url);
      await victim.prime();
      const { host, origin } = rebound();
      const headers = { host, origin, cookie: victim.cookieHeader(), 'x-xsrf-token': victim.cookies.get('XSRF-TOKEN') ?? '' };

      const listed = await rawRequest(api.url, API_ROUTES.providerKeys, { headers });
      expect(listed.status).toBe(421);
      expect(errorOf(listed.text)).toEqual({ statusCode: 421, code: 'host_not_allowed', message: expect.stringContaining('ALLOWED_HOSTS') });
      expect(listed.headers['set-cookie']).toBeUndefined();

      const body = JSON.stringify({ provider: 'anthropic', apiKey: ANTHROPIC_KEY });
      const set = await rawRequest(api.url, API_ROUTES.setProviderKey, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      expect(set.status).toBe(421);
      const chat = await rawRequest(api.url, API_ROUTES.chatStream, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'rebound', provider: 'anthropic', model: 'claude-sonnet-4-5', messages }),
      });
      expect(chat.status).toBe(421);
      expect(fake.requests).toHaveLength(0);
      const after = await victim.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
      expect(after.body.providers.find((provider) => provider.id === 'anthropic')?.source).toBe('none');
    });

    it('answers the loopback names on any port, and health probes under any Host', async () => {
      for (const host of [`localhost:${portOf(api)}`, `127.0.0.1:${portOf(api)}`, `[::1]:${portOf(api)}`, 'LOCALHOST.']) {
        expect({ host, status: (await rawRequest(api.url, API_ROUTES.providerKeys, { headers: { host } })).status }).toEqual({
          host,
          status: 200,
        });
      }
      for (const path of [API_ROUTES.health, API_ROUTES.ready]) {
        expect((await rawRequest(api.url, path, { headers: { host: rebound().host } })).status).toBe(200);
      }
      // An HTTP/1.1 request without any Host is refused by Node's parser before the app sees it.
      expect((await rawRequest(api.url, API_ROUTES.providerKeys)).status).toBe(400);
    });

    it('refuses the socket handshake under a rebinding Host, over WebSocket and polling', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      await expect(open(client, rebound())).rejects.toThrow();
      const polling = '/socket.io/?EIO=4&transport=polling';
      const refused = await rawRequest(api.url, polling, { headers: rebound() });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('ALLOWED_HOSTS');

      const own = `localhost:${portOf(api)}`;
      expect((await rawRequest(api.url, polling, { headers: { host: own } })).status).toBe(200);
      const socket = await open(client, { host: own, origin: `http://${own}` });
      expect(socket.connected).toBe(true);
    });

    it('in production answers only the names in ALLOWED_HOSTS', async () => {
      const production = await ApiInstance.start({ NODE_ENV: 'production', ALLOWED_HOSTS: 'chat.example.test,.corp.example.test' });
      try {
        const status = async (host: string): Promise<number> =>
          (await rawRequest(production.url, API_ROUTES.providerKeys, { headers: { host } })).status;
        expect(await status('chat.example.test')).toBe(200);
        expect(await status('eu.corp.example.test:8443')).toBe(200);
        expect(await status(`127.0.0.1:${portOf(production)}`)).toBe(421);
        expect(await status(`localhost:${portOf(production)}`)).toBe(421);
        expect((await rawRequest(production.url, API_ROUTES.ready, { headers: { host: `127.0.0.1:${portOf(production)}` } })).status).toBe(200);
      } finally {
        await production.close();
      }
    });
  });

  describe('one trusted-proxy rule for HTTP and sockets', () => {
    let untrusted: ApiInstance;
    let trusted: ApiInstance;

    beforeAll(async () => {
      const common = { REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake) };
      // The proxy is elsewhere: this test's loopback peer is not it, so its forwarding headers count for nothing.
      untrusted = await ApiInstance.start({ ...common, TRUST_PROXY: '10.9.8.7' });
      trusted = await ApiInstance.start({ ...common, TRUST_PROXY: 'loopback' });
    });

    afterAll(async () => {
      await untrusted?.close();
      await trusted?.close();
    });

    it('ignores a spoofed X-Forwarded-Proto from an untrusted peer, on HTTP and on the socket handshake alike', async () => {
      const spoofed = { 'x-forwarded-proto': 'https' };
      const client = new BrowserClient(untrusted.url);
      const first = await client.get(API_ROUTES.providerKeys, spoofed);
      expect(first.headers.getSetCookie().join('\n')).not.toMatch(/__Host-|Secure/);
      const set = await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY }, spoofed);
      expect(set.headers.getSetCookie().find((cookie) => cookie.startsWith('byok.sid='))).not.toMatch(/Secure/);

      // Read through the plain cookie, as the HTTP routes did: the session key serves the chat.
      const socket = await open(client, spoofed);
      const answered = await streamOverSocket(socket, { id: 'spoofed-proto', provider: 'anthropic', model: 'claude-sonnet-4-5', messages });
      expect(answered.done?.credentialSource).toBe('session');

      // A trusted proxy's header does count: the handshake then looks for the Secure cookie this client lacks.
      client.baseUrl = trusted.url;
      const behindProxy = await open(client, spoofed);
      const unbound = await streamOverSocket(behindProxy, { id: 'trusted-proto', provider: 'anthropic', model: 'claude-sonnet-4-5', messages });
      expect(unbound.error?.code).toBe('no_key');
    });

    it('never makes a rate-limit identity of an X-Forwarded-For value that is not an IP address', async () => {
      const ownRedis = await TestRedisServer.start();
      const limited = await ApiInstance.start({ REDIS_URL: ownRedis.url, TRUST_PROXY: 'loopback', KEY_RATE_LIMIT: '3' });
      const inspector = new Redis(ownRedis.url);
      try {
        const client = new BrowserClient(limited.url);
        await client.prime();
        const body = { provider: 'openai', apiKey: OPENAI_KEY };
        const forged = ['foo1', 'foo2', 'x'.repeat(5000), 'not-an-ip, also-not', '203.0.113.7x'];
        const statuses: number[] = [];
        for (const value of forged) {
          statuses.push((await client.post(API_ROUTES.setProviderKey, body, { 'x-forwarded-for': value })).status);
        }
        // All five count against the one peer (the proxy) rather than five fresh buckets.
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
        // Real addresses behind the trusted proxy each get their own budget.
        for (const address of ['203.0.113.1', '2001:db8::1']) {
          expect((await client.post(API_ROUTES.setProviderKey, body, { 'x-forwarded-for': address })).status).toBe(200);
        }
        expect(await inspector.keys('byok:rate:keys:*')).toHaveLength(3);
      } finally {
        await closeClient(inspector);
        await limited.close();
        await ownRedis.destroy();
      }
    });
  });

  describe('model ids cannot steer upstream paths', () => {
    let client: BrowserClient;

    beforeAll(async () => {
      client = new BrowserClient(api.url);
      await client.prime();
      for (const [provider, apiKey] of [
        ['openai', OPENAI_KEY],
        ['anthropic', ANTHROPIC_KEY],
        ['gemini', GEMINI_KEY],
      ]) {
        expect((await client.post(API_ROUTES.setProviderKey, { provider, apiKey })).status).toBe(200);
      }
    });

    // Refused for every family: they cut a path, add a query, smuggle an escape, or are not a name at all.
    const everywhere = ['PROBE4#frag', 'PROBE6?alt=json', '../PROBE7', 'PROBE8%2F..%2Fx', 'PROBE9 space', 'PROBE\n10', '.hidden', 'PROBE11\u202e'];
    const refused: Array<[string, string]> = [
      ...['openai', 'anthropic', 'gemini', 'ollama'].flatMap((provider) => everywhere.map((model): [string, string] => [provider, model])),
      // A `/` reaches another Gemini method (tunedModels/…) or resource; only OpenAI-compatible servers use it in names.
      ...['openai', 'anthropic', 'gemini'].map((provider): [string, string] => [provider, 'tunedModels/PROBE5']),
      ['gemini', 'models/../tunedModels/PROBE5'],
      ['gemini', 'PROBE12:generateContent'],
    ];

    it.each(refused)('%s refuses the model id %j with bad_request naming the rule, before any upstream call', async (provider, model) => {
      const socket = await open(client);
      const result = await streamOverSocket(socket, { id: 'model-probe', provider, model, messages });
      expect(result.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^model: must be /) });
      expect(result.error?.message).not.toContain(model);
      expect(fake.requests).toHaveLength(0);
    });

    it('refuses the same ids over SSE', async () => {
      const { events } = await streamOverSse(client, { id: 'sse-probe', provider: 'gemini', model: 'PROBE4#frag', messages });
      expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'bad_request', message: expect.stringMatching(/^model: /) } });
      expect(fake.requests).toHaveLength(0);
    });

    it.each([
      ['gemini', 'gemini-2.5-flash', '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent'],
      ['gemini', 'models/gemini-2.5-flash', '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent'],
      ['ollama', 'meta-llama/llama-3.1-8b:free', '/ollama/v1/chat/completions'],
      ['openai', 'ft:gpt-4o-mini:acme::AbC123', '/openai/v1/chat/completions'],
    ])('%s sends the valid id %j to the usual path only', async (provider, model, path) => {
      const socket = await open(client);
      const result = await streamOverSocket(socket, { id: 'model-ok', provider, model, messages });
      expect(result.error).toBeUndefined();
      expect(fake.requests.map((request) => request.path)).toEqual([path]);
    });
  });

  describe('errors quote nothing that was sent', () => {
    it('answers a 404 without the URL or its query string, and logs neither the key nor the query', async () => {
      const client = new BrowserClient(api.url);
      const query = `?provider=openai&apiKey=${KEY_IN_URL}`;
      for (const [method, path] of [
        ['GET', `${API_ROUTES.setProviderKey}${query}`],
        ['POST', `/api/providers/keys/nowhere${query}`],
      ]) {
        const response = await client.request<ApiErrorBody>(method, path, method === 'POST' ? '{}' : undefined, {
          'content-type': 'application/json',
        });
        expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 404, code: 'not_found' });
        expect(response.text).not.toContain(KEY_IN_URL);
        expect(response.text).not.toContain('apiKey');
      }
      expect(api.logs.text).not.toContain(KEY_IN_URL);
      expect(api.logs.text).not.toContain('apiKey=');
    });

    it('names the field and the rule for an unknown provider, quoting none of its characters', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const hostile = 'evil\n{"level":60}\u0000\u202eyek-ks';
      const answers: Array<{ route: string; message: string }> = [];
      for (const route of [API_ROUTES.setProviderKey, API_ROUTES.validateProviderKey, API_ROUTES.clearProviderKey]) {
        const response = await client.post<ApiErrorBody>(route, { provider: hostile, ...(route === API_ROUTES.clearProviderKey ? {} : { apiKey: OPENAI_KEY }) });
        expect({ route, code: response.body.code }).toEqual({ route, code: 'unknown_provider' });
        answers.push({ route, message: response.body.message });
      }
      const models = await client.get<ApiErrorBody>(API_ROUTES.providerModels.replace(':id', encodeURIComponent(hostile)));
      answers.push({ route: 'models', message: models.body.message });
      const socket = await open(client);
      const overSocket = await streamOverSocket(socket, { id: 'hostile-provider', provider: hostile, model: 'x', messages });
      answers.push({ route: 'socket', message: overSocket.error?.message ?? '' });
      const overSse = await streamOverSse(client, { id: 'hostile-sse', provider: hostile, model: 'x', messages });
      answers.push({ route: 'sse', message: (overSse.events.at(-1)?.data as ChatErrorEvent).message });
      for (const { route, message } of answers) {
        expect({ route, message }).toEqual({ route, message: expect.stringMatching(/^provider: /) });
        expect(message).not.toMatch(CONTROL_OR_BIDI);
        expect(message).not.toContain('evil');
      }
    });

    it('does not quote an unknown property name, which may be a key sent in the wrong place', async () => {
      const client = new BrowserClient(api.url);
      await client.prime();
      const response = await client.postRaw<ApiErrorBody>(
        API_ROUTES.setProviderKey,
        JSON.stringify({ provider: 'openai', apiKey: OPENAI_KEY, [KEY_IN_URL]: 1, 'line\nbreak\u202e': 2 }),
      );
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.message).toMatch(/property this request does not accept/);
      expect(response.text).not.toContain(KEY_IN_URL);
      expect(response.body.message).not.toMatch(CONTROL_OR_BIDI);
    });
  });

  describe('/api/docs', () => {
    it('is served in development and absent under NODE_ENV=production unless API_DOCS=true', async () => {
      const status = async (instance: ApiInstance, path: string): Promise<number> => (await new BrowserClient(instance.url).get(path)).status;
      expect(await status(api, '/api/docs')).toBe(200);
      expect(await status(api, '/api/docs-json')).toBe(200);
      const production = await ApiInstance.start({ NODE_ENV: 'production', ALLOWED_HOSTS: '127.0.0.1' });
      const withDocs = await ApiInstance.start({ NODE_ENV: 'production', ALLOWED_HOSTS: '127.0.0.1', API_DOCS: 'true' });
      try {
        expect(await status(production, '/api/docs')).toBe(404);
        expect(await status(production, '/api/docs-json')).toBe(404);
        expect(await status(withDocs, '/api/docs')).toBe(200);
        expect(await status(withDocs, '/api/docs-json')).toBe(200);
      } finally {
        await production.close();
        await withDocs.close();
      }
    });
  });
});
