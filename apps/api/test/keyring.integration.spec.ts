import {
  API_ROUTES,
  type ApiErrorBody,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
} from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
// Only for expect.poll, which works outside the Playwright runner too; Jest has no such matcher.
import { expect as playwrightExpect } from '@playwright/test';
import Redis from 'ioredis';
import { ApiInstance } from './support/api-instance';
import { BrowserClient, type ClientResponse } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { closeClient, TestRedisServer } from './support/redis-server';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const GEMINI_KEY = DEFAULT_KEYS.gemini?.[0] ?? '';
const OTHER_OPENAI_KEY = 'sk-test-keyring-other-9d8c7b6a5f4e3d2c';
const ROUNDS = 100;
const messages = [{ role: 'user' as const, content: 'hi' }];

function sourceOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus | undefined {
  return response.providers.find((provider) => provider.id === id);
}

/** The browser's cookie jar after it applied the responses' Set-Cookie headers in the given order. */
function jarAfter(base: BrowserClient, responses: readonly ClientResponse[], url: string): BrowserClient {
  const jar = new BrowserClient(url);
  for (const [name, value] of base.cookies) jar.cookies.set(name, value);
  for (const response of responses) {
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const separator = pair.indexOf('=');
      jar.cookies.set(pair.slice(0, separator), decodeURIComponent(pair.slice(separator + 1)));
    }
  }
  return jar;
}

/** A browser as it is when two panel rows (or two tabs) send their requests at the same moment. */
function browserOf(client: BrowserClient): BrowserClient {
  return jarAfter(client, [], client.baseUrl);
}

describe('keyring: one record per provider key', () => {
  let redis: TestRedisServer;
  let inspector: Redis;
  let fake: FakeUpstream;
  let apiA: ApiInstance;
  let apiB: ApiInstance;
  let embedded: ApiInstance;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    inspector = new Redis(redis.url);
    fake = new FakeUpstream({ chunkCount: 3, chunkDelayMs: 0 });
    await fake.start();
    const common = {
      KEY_RATE_LIMIT: '100000',
      CHAT_RATE_LIMIT: '100000',
      OPENAI_BASE_URL: fake.urlFor('openai'),
      GEMINI_BASE_URL: fake.urlFor('gemini'),
      ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    };
    apiA = await ApiInstance.start({ REDIS_URL: redis.url, ...common });
    apiB = await ApiInstance.start({ REDIS_URL: redis.url, ...common });
    embedded = await ApiInstance.start(common);
  });

  afterAll(async () => {
    if (inspector) await closeClient(inspector);
    await apiA?.close();
    await apiB?.close();
    await embedded?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  async function primed(url: string, withKey: boolean): Promise<BrowserClient> {
    const client = new BrowserClient(url);
    await client.prime();
    if (withKey) {
      expect((await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: GEMINI_KEY })).status).toBe(200);
    }
    return client;
  }

  async function listed(client: BrowserClient): Promise<ProviderKeysResponse> {
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(response.status).toBe(200);
    return response.body;
  }

  describe.each([
    ['one instance on Redis', () => [apiA.url, apiA.url]],
    ['two instances on one Redis', () => [apiA.url, apiB.url]],
    ['the embedded store', () => [embedded.url, embedded.url]],
  ])('on %s', (_label, urls: () => string[]) => {
    it(`loses no key when two providers' keys are set at the same moment, ${ROUNDS} rounds, cookies applied in both orders`, async () => {
      const [first, second] = urls();
      let lost = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Even rounds race the session's first keys; odd rounds race keys into an existing keyring.
        const client = await primed(first, round % 2 === 1);
        const [openai, anthropic] = await Promise.all([
          browserOf(client).post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }),
          jarAfter(client, [], second).post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY }),
        ]);
        expect([openai.status, anthropic.status]).toEqual([200, 200]);
        for (const order of [[openai, anthropic], [anthropic, openai]]) {
          const keys = await listed(jarAfter(client, order, first));
          if (sourceOf(keys, 'openai')?.source !== 'session') lost++;
          if (sourceOf(keys, 'anthropic')?.source !== 'session') lost++;
          if (round % 2 === 1 && sourceOf(keys, 'gemini')?.source !== 'session') lost++;
        }
      }
      expect(lost).toBe(0);
    });

    it(`keeps a set racing the clear of another provider, ${ROUNDS} rounds`, async () => {
      const [first, second] = urls();
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const client = await primed(first, true);
        await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
        const responses = await Promise.all([
          browserOf(client).post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }),
          jarAfter(client, [], second).post(API_ROUTES.clearProviderKey, { provider: 'anthropic' }),
        ]);
        const keys = await listed(jarAfter(client, responses, first));
        outcomes.push(
          ['openai', 'anthropic', 'gemini'].map((id) => `${id}:${sourceOf(keys, id)?.source}`).join(' '),
        );
      }
      expect(new Set(outcomes)).toEqual(new Set(['openai:session anthropic:none gemini:session']));
    });

    it(`lets the last of two sets of the same provider win and changes nothing else, ${ROUNDS} rounds`, async () => {
      const [first, second] = urls();
      const masks = new Set<string>();
      for (let round = 0; round < ROUNDS; round++) {
        const client = await primed(first, true);
        const gemini = sourceOf(await listed(client), 'gemini');
        const responses = await Promise.all([
          browserOf(client).post<ProviderKeyStatus>(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }),
          jarAfter(client, [], second).post<ProviderKeyStatus>(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OTHER_OPENAI_KEY }),
        ]);
        const keys = await listed(jarAfter(client, responses, first));
        const stored = sourceOf(keys, 'openai')?.masked ?? 'none';
        expect(responses.map((response) => response.body.masked)).toContain(stored);
        expect(sourceOf(keys, 'gemini')).toMatchObject({ source: 'session', masked: gemini?.masked });
        masks.add(stored);
      }
      expect(masks.has('none')).toBe(false);
    });

    it(`never brings back a key that a concurrent clear-all removed, ${ROUNDS} rounds`, async () => {
      const [first, second] = urls();
      let revived = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const client = await primed(first, true);
        await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
        const responses = await Promise.all([
          browserOf(client).post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY }),
          jarAfter(client, [], second).post(API_ROUTES.clearProviderKey, { all: true }),
        ]);
        const keys = await listed(jarAfter(client, responses, first));
        if (sourceOf(keys, 'gemini')?.source !== 'none' || sourceOf(keys, 'anthropic')?.source !== 'none') revived++;
      }
      expect(revived).toBe(0);
    });
  });

  it('makes only the tampered provider key absent when one field of the keyring is changed', async () => {
    const client = await primed(apiA.url, true);
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const keyring = await keyringKeyOf(client);
    const field = JSON.parse((await inspector.hget(keyring, 'openai')) ?? '{}') as { sealed: string };
    const flipped = field.sealed.slice(0, -2) + (field.sealed.endsWith('AA') ? 'BB' : 'AA');
    await inspector.hset(keyring, 'openai', JSON.stringify({ ...field, sealed: flipped }));
    const keys = await listed(client);
    expect(sourceOf(keys, 'openai')).toMatchObject({ source: 'none', masked: null });
    expect(sourceOf(keys, 'gemini')).toMatchObject({ source: 'session' });
    const socket = await connectChat(client);
    const chat = await streamOverSocket(socket, { id: 'tampered', provider: 'openai', model: 'gpt-4o-mini', messages });
    socket.disconnect();
    expect(chat.error?.code).toBe('no_key');
  });

  it('reads the keyring with one Redis command per stream, and never the session record', async () => {
    const client = await primed(apiA.url, true);
    const socket = await connectChat(client);
    // The first stream may push the keyring's expiry (once a minute); count a later one.
    await streamOverSocket(socket, { id: 'warm', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    const before = await commandCounts();
    const result = await streamOverSocket(socket, { id: 'counted', provider: 'gemini', model: 'gemini-2.5-flash', messages });
    const after = await commandCounts();
    socket.disconnect();
    expect(result.done?.credentialSource).toBe('session');
    const used = Object.fromEntries(
      Object.keys(after)
        .map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)] as const)
        .filter(([name, count]) => count > 0 && name !== 'info'),
    );
    // The rate count and the stream slot (two scripts) and the one key, sent together.
    // Redis also counts the commands the scripts run inside; a session read would show as get.
    expect(used).toMatchObject({ evalsha: 2, hget: 1 });
    expect(used.get).toBeUndefined();
    expect(used.hgetall).toBeUndefined();
  });

  it('stores nothing for 1,000 cookieless requests to each read-only route', async () => {
    const envKeyed = await ApiInstance.start({ REDIS_URL: redis.url, OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.urlFor('openai') });
    try {
      const routes = [API_ROUTES.providerKeys, '/api/providers/openai/models', '/api/providers/anthropic/models', API_ROUTES.health, API_ROUTES.ready];
      const before = new Set(await inspector.keys('*'));
      for (const route of routes) {
        for (let batch = 0; batch < 10; batch++) {
          const statuses = await Promise.all(
            Array.from({ length: 100 }, async () => (await fetch(`${envKeyed.url}${route}`)).status),
          );
          expect(statuses.every((status) => status < 500)).toBe(true);
        }
      }
      // Counted as keys added, since limiter counts of earlier tests lapse meanwhile.
      expect((await inspector.keys('*')).filter((key) => !before.has(key))).toEqual([]);
    } finally {
      await envKeyed.close();
    }
  });

  it('keeps no key text and no plain client address in Redis', async () => {
    const values = await redis.dump();
    expect(values.size).toBeGreaterThan(0);
    for (const [key, value] of values) {
      for (const text of [`${key} ${value}`]) {
        expect(text).not.toContain('127.0.0.1');
        for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, OTHER_OPENAI_KEY]) {
          expect(text).not.toContain(secret.slice(8, 20));
        }
      }
    }
    expect([...values.keys()].some((key) => key.startsWith('byok:rate:keys:{ip-'))).toBe(true);
  });

  async function keyringKeyOf(client: BrowserClient): Promise<string> {
    const signed = client.cookies.get('byok.sid') ?? '';
    const session = JSON.parse((await inspector.get(`byok:sess:${signed.slice(2, signed.lastIndexOf('.'))}`)) ?? '{}') as {
      keyringId?: string;
    };
    expect(session.keyringId).toBeDefined();
    return `byok:keyring:{${session.keyringId}}`;
  }

  async function commandCounts(): Promise<Record<string, number>> {
    const info = await inspector.info('commandstats');
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) counts[match[1]] = Number(match[2]);
    return counts;
  }
});

describe('limits per session over every socket and both transports', () => {
  let fake: FakeUpstream;
  let redis: TestRedisServer;
  let api: ApiInstance;
  let other: ApiInstance;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ chunkCount: 10, chunkDelayMs: 30 });
    await fake.start();
    const env = {
      REDIS_URL: redis.url,
      OPENAI_BASE_URL: fake.urlFor('openai'),
      KEY_RATE_LIMIT: '1000',
      CHAT_MAX_STREAMS: '2',
      CHAT_RATE_LIMIT: '5',
      SOCKET_MAX_PER_SESSION: '3',
      SOCKET_MAX_PER_IP: '6',
    };
    api = await ApiInstance.start(env);
    other = await ApiInstance.start(env);
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await api?.close();
    await other?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  async function session(): Promise<BrowserClient> {
    const client = new BrowserClient(api.url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);
    return client;
  }

  async function open(client: BrowserClient, url = api.url): Promise<ChatSocket> {
    const socket = await connectChat(Object.assign(browserOf(client), { baseUrl: url }));
    sockets.push(socket);
    return socket;
  }

  it('refuses a session its fourth socket, on any instance, with a clear code, and admits one again after a close', async () => {
    const client = await session();
    const open3 = [await open(client), await open(client, other.url), await open(client)];
    const refusal = await open(client, other.url).then(
      () => null,
      (error: Error & { data?: { code?: string } }) => error,
    );
    expect(refusal?.data?.code).toBe('too_many_sockets');
    expect(refusal?.message).toMatch(/at most 3/);
    open3[0].disconnect();
    // The slot is given back when the server sees the disconnect, a moment after the client does,
    // by a Redis command nothing outside the API announces: so the fourth socket is asked for
    // again until it is admitted.
    const admission = (): Promise<string> =>
      open(client).then(() => 'open', (error: Error & { data?: { code?: string } }) => error.data?.code ?? error.message);
    await playwrightExpect.poll(admission, { timeout: 5000 }).toBe('open');
  });

  it('refuses one address its seventh socket, whatever the sessions', async () => {
    const results: string[] = [];
    for (let index = 0; index < 7; index++) {
      const anonymous = new BrowserClient(api.url);
      results.push(
        await open(anonymous).then(
          () => 'open',
          (error: Error & { data?: { code?: string } }) => error.data?.code ?? 'error',
        ),
      );
    }
    expect(results).toEqual(['open', 'open', 'open', 'open', 'open', 'open', 'too_many_sockets']);
  });

  it('counts concurrent streams per session across sockets, instances and SSE', async () => {
    const client = await session();
    const [first, second] = [await open(client), await open(client, other.url)];
    const running = [
      streamOverSocket(first, { id: 'c1', provider: 'openai', model: 'gpt-4o-mini', messages }),
      streamOverSocket(second, { id: 'c2', provider: 'openai', model: 'gpt-4o-mini', messages }),
    ];
    // The fake wakes its waiters on every change to what it has open.
    await fake.recorder.waitFor(() => fake.stats().openStreams === 2, 5000);
    const third = await streamOverSse(client, { id: 'c3', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(third.events.at(-1)?.data).toMatchObject({ code: 'too_many_streams' });
    const results = await Promise.all(running);
    expect(results.map((result) => result.done?.credentialSource)).toEqual(['session', 'session']);
  });

  it('rate-limits stream starts per session across sockets and reconnects', async () => {
    fake.configure({ chunkDelayMs: 0, chunkCount: 2 });
    const client = await session();
    const codes: string[] = [];
    for (let index = 0; index < 6; index++) {
      // A new socket for every stream: reconnecting earns no fresh allowance.
      const socket = await open(client, index % 2 === 0 ? api.url : other.url);
      const result = await streamOverSocket(socket, { id: `r${index}`, provider: 'openai', model: 'gpt-4o-mini', messages });
      socket.disconnect();
      codes.push(result.error?.code ?? 'done');
      if (result.error) expect(result.error.retryAfter).toBeGreaterThan(0);
    }
    expect(codes).toEqual(['done', 'done', 'done', 'done', 'done', 'rate_limited']);
    const overSse = await streamOverSse(client, { id: 'r-sse', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(overSse.events.at(-1)?.data).toMatchObject({ code: 'rate_limited' });
    const fresh = await session();
    const another = await streamOverSocket(await open(fresh), { id: 'r-fresh', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(another.done?.credentialSource).toBe('session');
  });

  it('answers a refused key set over the rate limit with 429 naming the wait', async () => {
    // Its own store: the count of this address in the shared Redis already holds the other tests' requests.
    const limited = await ApiInstance.start({ KEY_RATE_LIMIT: '2' });
    try {
      const client = new BrowserClient(limited.url);
      await client.prime();
      const statuses: number[] = [];
      let last: ApiErrorBody | null = null;
      for (let index = 0; index < 3; index++) {
        const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
        statuses.push(response.status);
        if (response.status === 429) last = response.body;
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/) });
    } finally {
      await limited.close();
    }
  });
});
