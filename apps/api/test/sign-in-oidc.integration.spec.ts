import {
  API_ROUTES,
  type ApiErrorBody,
  type AuthSessionResponse,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type SignOutResponse,
} from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import Redis from 'ioredis';
import { runAdminCommand } from '../src/admin/admin-cli';
import { personKeyringId } from '../src/auth/person';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { signInWithoutBrowser } from './support/idp/browserless-sign-in';
import { startTestIdp, type TestIdp, TEST_IDP_USERS } from '@byok/test-idp';
import { leakAudit } from './support/leak-audit';
import { closeClient, freePort, TestRedisServer } from './support/redis-server';

const ENV_OPENAI_KEY = 'sk-test-env-openai-for-eng-only-7c6b5a49';
const BOB_OPENAI_KEY = 'sk-test-bob-own-openai-key-1f2e3d4c5b';
const ALICE_ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const ALICE_GEMINI_KEY = DEFAULT_KEYS.gemini?.[0] ?? '';
const BOB_ANTHROPIC_KEY = 'sk-ant-test-bob-anthropic-0a9b8c7d6e5f';
const DAY_MS = 86_400_000;

const messages = [{ role: 'user' as const, content: 'Say hello' }];

function statusOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus {
  const status = response.providers.find((provider) => provider.id === id);
  if (!status) throw new Error(`no status for ${id}`);
  return status;
}

describe('sign-in with OpenID Connect (AUTH_MODE=oidc) against a real OpenID provider', () => {
  let redis: TestRedisServer;
  let store: Redis;
  let fake: FakeUpstream;
  let idp: TestIdp;
  let apiA: ApiInstance;
  let apiB: ApiInstance;
  let env: Record<string, string>;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    store = new Redis(redis.url);
    fake = new FakeUpstream({ keys: { openai: [ENV_OPENAI_KEY, BOB_OPENAI_KEY] } });
    await fake.start();
    const [portA, portB] = [await freePort(), await freePort()];
    const origins = [portA, portB].map((port) => `http://127.0.0.1:${port}`);
    idp = await startTestIdp({
      redirectUris: origins.map((origin) => `${origin}${API_ROUTES.signInCallback}`),
      postLogoutRedirectUris: origins.map((origin) => `${origin}/`),
    });
    leakAudit.registerSecret(idp.clientSecret);
    for (const user of Object.values(TEST_IDP_USERS)) {
      leakAudit.registerPersonal(user.email);
      leakAudit.registerPersonal(user.name);
    }
    env = {
      REDIS_URL: redis.url,
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OPENAI_API_KEY: ENV_OPENAI_KEY,
      KEY_ENV_GROUPS_OPENAI: 'eng,ml',
      KEY_RATE_LIMIT: '1000',
      CHAT_RATE_LIMIT: '1000',
      OPENAI_BASE_URL: fake.urlFor('openai'),
      ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
      GEMINI_BASE_URL: fake.urlFor('gemini'),
    };
    // Two instances of one deployment on one Redis; each knows its own registered redirect URI.
    apiA = await ApiInstance.start({ ...env, OIDC_REDIRECT_URI: `${origins[0]}${API_ROUTES.signInCallback}` }, portA);
    apiB = await ApiInstance.start({ ...env, OIDC_REDIRECT_URI: `${origins[1]}${API_ROUTES.signInCallback}` }, portB);
  });

  beforeEach(() => fake.clearRequests());

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await apiA?.close();
    await apiB?.close();
    await idp?.close();
    await fake?.stop();
    if (store) await closeClient(store);
    await redis?.destroy();
  });

  /** A browser in which `login` has just signed in through the IdP, talking to `api`. */
  async function signedIn(api: ApiInstance, login: string, apiCookies?: string[]): Promise<BrowserClient> {
    const { cookieHeader } = await signInWithoutBrowser({ apiBaseUrl: api.url, login, apiCookies });
    const client = new BrowserClient(api.url);
    client.adoptCookies(cookieHeader);
    await client.get(API_ROUTES.authSession);
    return client;
  }

  async function keysOf(client: BrowserClient): Promise<ProviderKeysResponse> {
    const response = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(response.status).toBe(200);
    return response.body;
  }

  async function setKey(client: BrowserClient, provider: string, apiKey: string, lifetime?: string): Promise<ProviderKeyStatus> {
    const response = await client.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, { provider, apiKey, ...(lifetime ? { lifetime } : {}) });
    expect(response.status).toBe(200);
    return response.body;
  }

  async function signOut(client: BrowserClient): Promise<SignOutResponse> {
    const response = await client.post<SignOutResponse>(API_ROUTES.signOut, {});
    expect(response.status).toBe(200);
    return response.body;
  }

  async function storedProviders(login: string): Promise<string[]> {
    return (await store.hkeys(`byok:keyring:{${personKeyringId(login)}}`)).sort();
  }

  it('answers a signed-out visitor 401 unauthenticated on every key route and refuses its socket; health and the session answer stay open', async () => {
    const visitor = new BrowserClient(apiA.url);
    const session = await visitor.get<AuthSessionResponse>(API_ROUTES.authSession);
    expect(session.body).toEqual({ mode: 'oidc', person: null, signInUrl: API_ROUTES.signIn, canSignOut: true });
    const refusals = await Promise.all([
      visitor.get<ApiErrorBody>(API_ROUTES.providerKeys),
      visitor.get<ApiErrorBody>(API_ROUTES.providerModels.replace(':id', 'openai')),
      visitor.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: BOB_ANTHROPIC_KEY }),
      visitor.post<ApiErrorBody>(API_ROUTES.validateProviderKey, { provider: 'openai' }),
      visitor.post<ApiErrorBody>(API_ROUTES.clearProviderKey, { all: true }),
    ]);
    for (const refusal of refusals) {
      expect({ status: refusal.status, code: refusal.body.code }).toEqual({ status: 401, code: 'unauthenticated' });
      expect(refusal.body.message).toMatch(/Sign in/);
    }
    const sse = await streamOverSse(visitor, { id: 'anon', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(sse).toMatchObject({ status: 401, events: [{ event: 'http', data: { code: 'unauthenticated' } }] });
    const socketRefusal = await connectChat(visitor).catch((error: { data?: { code?: string } }) => error.data?.code);
    expect(socketRefusal).toBe('unauthenticated');
    expect((await visitor.get(API_ROUTES.health)).status).toBe(200);
    // No request of the visitor reached the server's key.
    expect(fake.requests).toEqual([]);
  });

  it('signs alice in with a new session id (a planted session gains nothing) and shows her, and only her, who she is', async () => {
    const attacker = new BrowserClient(apiA.url);
    const login = await attacker.get(`${API_ROUTES.signIn}?returnTo=%2Fchat`);
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/auth\\?.*code_challenge_method=S256`));
    const planted = attacker.cookieHeader();
    expect(planted).toMatch(/byok\.sid=/);

    const { cookieHeader, returnedTo } = await signInWithoutBrowser({
      apiBaseUrl: apiA.url,
      login: 'alice',
      returnTo: '/chat?tab=2',
      apiCookies: planted.split('; '),
    });
    expect(returnedTo).toBe('/chat?tab=2');
    const sessionCookie = (header: string): string | undefined => /byok\.sid=([^;]+)/.exec(header)?.[1];
    expect(sessionCookie(cookieHeader)).toBeDefined();
    expect(sessionCookie(cookieHeader)).not.toBe(sessionCookie(planted));
    const alice = new BrowserClient(apiA.url);
    alice.adoptCookies(cookieHeader);
    expect((await alice.get<AuthSessionResponse>(API_ROUTES.authSession)).body.person).toEqual({
      displayName: 'Alice Tester',
      email: 'alice@example.test',
    });
    // The cookie the attacker planted (and still holds) is not signed in.
    expect((await attacker.get<AuthSessionResponse>(API_ROUTES.authSession)).body.person).toBeNull();
    expect((await attacker.get(API_ROUTES.providerKeys)).status).toBe(401);
  });

  it('refuses a return address off this site and a callback it did not start', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const { returnedTo } = await signInWithoutBrowser({ apiBaseUrl: apiA.url, login: 'alice', returnTo });
      expect({ returnTo, returnedTo }).toEqual({ returnTo, returnedTo: '/' });
    }
    const stranger = new BrowserClient(apiA.url);
    const forged = await stranger.get<ApiErrorBody>(`${API_ROUTES.signInCallback}?code=forged-code-0123456789&state=forged`);
    expect({ status: forged.status, code: forged.body.code }).toEqual({ status: 400, code: 'unauthenticated' });
    expect(forged.body.message).toMatch(/start again/);
  });

  it('keeps a 7-day key for alice across sign-out and a new sign-in on the other instance; her session-only key goes with its sign-in', async () => {
    const first = await signedIn(apiA, 'alice');
    const lifetimes = (await keysOf(first)).lifetimes.map((lifetime) => lifetime.id);
    expect(lifetimes).toEqual(['session', '1d', '7d', '30d']);
    const before = Date.now();
    const kept = await setKey(first, 'anthropic', ALICE_ANTHROPIC_KEY, '7d');
    expect(kept).toMatchObject({ source: 'user', lifetime: '7d', masked: expect.stringMatching(/cdef$/) });
    const expiresAt = Date.parse(kept.expiresAt ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS);
    expect(await setKey(first, 'gemini', ALICE_GEMINI_KEY)).toMatchObject({ source: 'session', lifetime: 'session' });

    // Another browser, another instance, same person: the kept key is there, the session-only one is not.
    const second = await signedIn(apiB, 'alice');
    const seenElsewhere = await keysOf(second);
    expect(statusOf(seenElsewhere, 'anthropic')).toMatchObject({ source: 'user', lifetime: '7d', expiresAt: kept.expiresAt });
    expect(statusOf(seenElsewhere, 'gemini')).toMatchObject({ source: 'none', masked: null, lifetime: null });
    const chat = await streamOverSocket(await connectChat(second).then((socket) => (sockets.push(socket), socket)), {
      id: 'kept-key',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      messages,
    });
    expect(chat.done?.credentialSource).toBe('user');
    expect(fake.requests.map((request) => request.key)).toEqual([ALICE_ANTHROPIC_KEY]);

    // Signing out in the first browser forgets its session-only key, at once, in Redis.
    expect(await storedProviders('alice')).toEqual(['anthropic', 'gemini']);
    const { redirectTo } = await signOut(first);
    const logout = new URL(redirectTo);
    expect(`${logout.origin}${logout.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(logout.searchParams.get('client_id')).toBe(idp.clientId);
    expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${apiA.url}/`);
    expect(await storedProviders('alice')).toEqual(['anthropic']);
    expect((await first.get(API_ROUTES.providerKeys)).status).toBe(401);

    const third = await signedIn(apiA, 'alice');
    expect(statusOf(await keysOf(third), 'anthropic')).toMatchObject({ source: 'user', masked: kept.masked });
    expect(statusOf(await keysOf(third), 'gemini').source).toBe('none');
  });

  it('never lets bob see, use or clear alice\'s keys, on one instance or across two', async () => {
    const alice = await signedIn(apiA, 'alice');
    await setKey(alice, 'anthropic', ALICE_ANTHROPIC_KEY, '30d');
    for (const [index, api] of [apiA, apiB].entries()) {
      const bob = await signedIn(api, 'bob');
      // Bob's clear-all clears his own keyring only.
      expect((await bob.post(API_ROUTES.clearProviderKey, { all: true })).status).toBe(200);
      expect(statusOf(await keysOf(bob), 'anthropic')).toMatchObject({ source: 'none', masked: null });
      const socket = await connectChat(bob);
      sockets.push(socket);
      const chat = await streamOverSocket(socket, { id: `bob-${index}`, provider: 'anthropic', model: 'claude-haiku-4-5', messages });
      expect(chat.error?.code).toBe('no_key');
      await setKey(bob, 'anthropic', BOB_ANTHROPIC_KEY, '1d');
    }
    expect(statusOf(await keysOf(alice), 'anthropic')).toMatchObject({ source: 'user', masked: expect.stringMatching(/cdef$/) });
    expect(await storedProviders('alice')).toContain('anthropic');
    expect(fake.requests).toEqual([]);
  });

  it('lets only the groups KEY_ENV_GROUPS_OPENAI names use the server\'s OpenAI key; bob may bring his own', async () => {
    const alice = await signedIn(apiA, 'alice');
    const bob = await signedIn(apiB, 'bob');
    expect(statusOf(await keysOf(alice), 'openai')).toMatchObject({ source: 'env', editable: false });
    expect(statusOf(await keysOf(bob), 'openai')).toMatchObject({ source: 'none', editable: true, lockedReason: null });

    const request = { provider: 'openai', model: 'gpt-4o-mini', messages };
    const aliceChat = await streamOverSse(alice, { id: 'alice-env', ...request });
    expect(aliceChat.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'env' } });
    const bobSocket = await connectChat(bob);
    sockets.push(bobSocket);
    expect((await streamOverSocket(bobSocket, { id: 'bob-env', ...request })).error?.code).toBe('no_key');
    expect((await streamOverSse(bob, { id: 'bob-env-sse', ...request })).events.at(-1)).toMatchObject({ event: 'error', data: { code: 'no_key' } });
    expect((await bob.post<ApiErrorBody>(API_ROUTES.validateProviderKey, { provider: 'openai' })).body.code).toBe('no_key');

    await setKey(bob, 'openai', BOB_OPENAI_KEY, '1d');
    const bobOwn = await streamOverSse(bob, { id: 'bob-own', ...request });
    expect(bobOwn.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'user' } });
    expect(fake.requests.filter((r) => r.endpoint === 'chat').map((r) => r.key)).toEqual([ENV_OPENAI_KEY, BOB_OPENAI_KEY]);
  });

  it('refuses a lifetime the administrator does not offer with 400 naming the field, never the value', async () => {
    const alice = await signedIn(apiA, 'alice');
    const refused = await alice.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: ALICE_GEMINI_KEY, lifetime: '365d' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', message: 'lifetime: must be one of session, 1d, 7d, 30d.' });
  });

  it('audits each chat stream once with its provider, key source and outcome, and key events with the same person hash', async () => {
    const bob = await signedIn(apiA, 'bob');
    await setKey(bob, 'anthropic', BOB_ANTHROPIC_KEY, '7d');
    const socket = await connectChat(bob);
    sockets.push(socket);
    await streamOverSocket(socket, { id: 'audited', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
    // Socket handlers log outside any HTTP request, through the newest instance's logger.
    const audits = [...apiA.logs.lines(), ...apiB.logs.lines()]
      .map((line) => (line as { audit?: Record<string, unknown> }).audit)
      .filter((audit): audit is Record<string, unknown> => audit !== undefined);
    const stream = audits.filter((audit) => audit['event'] === 'chat_stream').at(-1);
    // The fake refuses bob's made-up key: the outcome says so, and whose key it was.
    expect(stream).toMatchObject({ provider: 'anthropic', transport: 'socket', source: 'user', outcome: 'key_rejected' });
    const set = audits.filter((audit) => audit['event'] === 'set' || audit['event'] === 'replaced').at(-1);
    expect(set?.['person']).toMatch(/^person-[A-Za-z0-9_-]{12}$/);
    expect(stream?.['person']).toBe(set?.['person']);
    expect(audits.filter((audit) => audit['event'] === 'signed_in').map((audit) => audit['person'])).toContain(set?.['person']);
  });

  it('counts limits per person over every session: a key rate limit used up in one browser holds in the other', async () => {
    const limited = await ApiInstance.start({ ...env, KEY_RATE_LIMIT: '3', OIDC_REDIRECT_URI: `${apiA.url}${API_ROUTES.signInCallback}` });
    // Earlier tests counted their key requests under the same names; this one starts from zero.
    for (const count of await store.keys('byok:rate:keys:*')) await store.del(count);
    try {
      // Sign-in itself goes through instance A (the IdP's registered redirect); the cookie is then used on the limited instance.
      const browsers = await Promise.all([signedIn(apiA, 'bob'), signedIn(apiA, 'bob')]);
      for (const browser of browsers) browser.baseUrl = limited.url;
      const outcomes: number[] = [];
      for (const browser of [browsers[0], browsers[1], browsers[0], browsers[1]]) {
        outcomes.push((await browser.post(API_ROUTES.validateProviderKey, { provider: 'anthropic', apiKey: BOB_ANTHROPIC_KEY })).status);
      }
      expect(outcomes).toEqual([200, 200, 200, 429]);
      // Alice is another person, with her own allowance.
      const alice = await signedIn(apiA, 'alice');
      alice.baseUrl = limited.url;
      expect((await alice.post(API_ROUTES.validateProviderKey, { provider: 'anthropic', apiKey: BOB_ANTHROPIC_KEY })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('keeps both keys when one person sets two providers from two browsers at the same moment, 30 rounds', async () => {
    const [one, two] = await Promise.all([signedIn(apiA, 'alice'), signedIn(apiB, 'alice')]);
    for (let round = 0; round < 30; round += 1) {
      await one.post(API_ROUTES.clearProviderKey, { all: true });
      await Promise.all([setKey(one, 'anthropic', ALICE_ANTHROPIC_KEY, '7d'), setKey(two, 'gemini', ALICE_GEMINI_KEY, '1d')]);
      expect(await storedProviders('alice')).toEqual(['anthropic', 'gemini']);
    }
    expect(statusOf(await keysOf(one), 'gemini')).toMatchObject({ source: 'user', lifetime: '1d' });
  });

  it('revokes every stored key of one person through the admin command, as both instances see at once', async () => {
    const alice = await signedIn(apiA, 'alice');
    const bob = await signedIn(apiB, 'bob');
    await setKey(alice, 'anthropic', ALICE_ANTHROPIC_KEY, '30d');
    await setKey(alice, 'gemini', ALICE_GEMINI_KEY);
    await setKey(bob, 'anthropic', BOB_ANTHROPIC_KEY, '30d');
    const output: string[] = [];
    const capture = { out: (text: string) => output.push(text), error: (text: string) => output.push(text) };
    const code = await runAdminCommand(['revoke-keys', '--user', 'alice'], { ...env, OIDC_REDIRECT_URI: `${apiA.url}/api/auth/callback` }, capture);
    expect({ code, output: output.join('') }).toEqual({ code: 0, output: 'Deleted 2 stored keys (anthropic, gemini) of that person.\n' });
    for (const api of [apiA, apiB]) {
      const view = new BrowserClient(api.url);
      view.cookies.clear();
      view.adoptCookies(alice.cookieHeader());
      expect(statusOf(await keysOf(view), 'anthropic').source).toBe('none');
      expect(statusOf(await keysOf(view), 'gemini').source).toBe('none');
    }
    expect(statusOf(await keysOf(bob), 'anthropic').source).toBe('user');
    expect(await runAdminCommand(['revoke-keys'], env, capture)).toBe(2);
    expect(await runAdminCommand(['revoke-keys', '--user', 'alice'], { ...env, REDIS_URL: '' }, capture)).toBe(2);
  });
});

describe('sign-in while the identity provider is down', () => {
  it('answers 503 idp_unavailable, starts anyway, and signs people in once the provider is back, without a restart', async () => {
    const [apiPort, idpPort] = [await freePort(), await freePort()];
    const origin = `http://127.0.0.1:${apiPort}`;
    const api = await ApiInstance.start(
      {
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
        OIDC_CLIENT_ID: 'byok-test-client',
        OIDC_CLIENT_SECRET: 'test-idp-client-secret-not-real',
        OIDC_REDIRECT_URI: `${origin}${API_ROUTES.signInCallback}`,
      },
      apiPort,
    );
    let idp: TestIdp | undefined;
    try {
      const visitor = new BrowserClient(api.url);
      const down = await visitor.get<ApiErrorBody>(API_ROUTES.signIn);
      expect({ status: down.status, code: down.body.code }).toEqual({ status: 503, code: 'idp_unavailable' });
      expect(down.headers.get('retry-after')).toBe('5');
      idp = await startTestIdp({ redirectUris: [`${origin}${API_ROUTES.signInCallback}`], postLogoutRedirectUris: [`${origin}/`], port: idpPort });
      const { cookieHeader } = await signInWithoutBrowser({ apiBaseUrl: api.url, login: 'bob' });
      const bob = new BrowserClient(api.url);
      bob.adoptCookies(cookieHeader);
      expect((await bob.get<AuthSessionResponse>(API_ROUTES.authSession)).body.person?.displayName).toBe('Bob Tester');
      expect((await bob.get(API_ROUTES.providerKeys)).status).toBe(200);
    } finally {
      await api.close();
      await idp?.close();
    }
  });
});
