import { API_ROUTES, type ApiErrorBody, type AuthSessionResponse, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { loadConfig } from '../src/config/app-config';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat } from './support/chat-clients';
import { leakAudit } from './support/leak-audit';
import { rawRequest } from './support/raw-http';
import { TestRedisServer } from './support/redis-server';

/** The auth proxy's address; every other loopback address is a client reaching the API directly. */
const PROXY_ADDRESS = '127.0.0.2';
const DIRECT_ADDRESS = '127.0.0.1';
const CAROL_ANTHROPIC_KEY = 'sk-ant-test-carol-proxy-key-4d5e6f7a8b';

const identity = (user: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'X-Forwarded-User': user,
  'X-Forwarded-Email': `${user}@corp.example.test`,
  'X-Forwarded-Groups': 'eng,oncall',
  ...extra,
});

function statusOf(response: ProviderKeysResponse, id: string): ProviderKeyStatus {
  const status = response.providers.find((provider) => provider.id === id);
  if (!status) throw new Error(`no status for ${id}`);
  return status;
}

describe('sign-in behind a trusted auth proxy (AUTH_MODE=proxy)', () => {
  let redis: TestRedisServer;
  let api: ApiInstance;
  const sockets: ChatSocket[] = [];
  const clients: BrowserClient[] = [];
  const client = (headers: Record<string, string>, localAddress: string): BrowserClient => {
    const created = new BrowserClient(api.url, { headers, localAddress });
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    for (const user of ['carol', 'dave', 'mallory']) leakAudit.registerPersonal(`${user}@corp.example.test`);
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      AUTH_MODE: 'proxy',
      TRUST_PROXY: PROXY_ADDRESS,
      AUTH_PROXY_EMAIL_HEADER: 'X-Forwarded-Email',
      AUTH_PROXY_GROUPS_HEADER: 'X-Forwarded-Groups',
      KEY_RATE_LIMIT: '1000',
    });
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((created) => created.close()));
    await api?.close();
    await redis?.destroy();
  });

  const fromProxy = (headers: Record<string, string>): BrowserClient => client(headers, PROXY_ADDRESS);

  it('signs the person in from the trusted proxy\'s headers, and shows them who they are', async () => {
    const carol = fromProxy(identity('carol'));
    const session = await carol.get<AuthSessionResponse>(API_ROUTES.authSession);
    expect(session.body).toEqual({
      mode: 'proxy',
      person: { displayName: 'carol@corp.example.test', email: 'carol@corp.example.test' },
      signInUrl: '/oauth2/sign_in',
      canSignOut: true,
    });
    expect((await carol.get(API_ROUTES.providerKeys)).status).toBe(200);
    const socket = await connectChat(carol);
    sockets.push(socket);
    expect(socket.connected).toBe(true);
  });

  it('ignores the identity headers from any address TRUST_PROXY does not name: 401, and the socket is refused', async () => {
    const direct = client(identity('mallory'), DIRECT_ADDRESS);
    const refused = await direct.get<ApiErrorBody>(API_ROUTES.providerKeys);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 401, code: 'unauthenticated' });
    expect((await direct.get<AuthSessionResponse>(API_ROUTES.authSession)).body.person).toBeNull();
    expect(await connectChat(direct).catch((error: { data?: { code?: string } }) => error.data?.code)).toBe('unauthenticated');
  });

  it('cannot be talked into trusting a client by a spoofed X-Forwarded-For or Forwarded header', async () => {
    const spoofs: Array<Record<string, string>> = [{ 'X-Forwarded-For': PROXY_ADDRESS }, { 'X-Forwarded-For': `${PROXY_ADDRESS}, ${PROXY_ADDRESS}` }, { Forwarded: `for=${PROXY_ADDRESS}` }];
    for (const spoof of spoofs) {
      const response = await rawRequest(api.url, API_ROUTES.providerKeys, {
        headers: { Host: '127.0.0.1', ...identity('mallory'), ...spoof },
        localAddress: DIRECT_ADDRESS,
      });
      expect({ spoof, status: response.status }).toEqual({ spoof, status: 401 });
    }
  });

  it('answers 401 to a request through the proxy that carries no person, or an unusable one', async () => {
    const unusable: Array<Record<string, string>> = [{}, { 'X-Forwarded-User': '' }, { 'X-Forwarded-User': 'x'.repeat(300) }];
    for (const headers of unusable) {
      const response = await rawRequest(api.url, API_ROUTES.providerKeys, { headers: { Host: '127.0.0.1', ...headers }, localAddress: PROXY_ADDRESS });
      expect(response.status).toBe(401);
    }
    const health = await rawRequest(api.url, API_ROUTES.health, { headers: { Host: '127.0.0.1' }, localAddress: DIRECT_ADDRESS });
    expect(health.status).toBe(200);
  });

  it('keeps each person\'s keys apart when the proxy names someone else on the same browser cookie', async () => {
    const browser = fromProxy(identity('carol'));
    await browser.get(API_ROUTES.providerKeys);
    const set = await browser.post<ProviderKeyStatus>(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: CAROL_ANTHROPIC_KEY, lifetime: '7d' });
    expect(set.body).toMatchObject({ source: 'user', lifetime: '7d' });
    // The same cookies, now with another person's headers (someone else signed in at the proxy).
    const dave = client(identity('dave'), PROXY_ADDRESS);
    for (const [name, value] of browser.cookies) dave.cookies.set(name, value);
    expect(statusOf((await dave.get<ProviderKeysResponse>(API_ROUTES.providerKeys)).body, 'anthropic')).toMatchObject({ source: 'none', masked: null });
    expect((await dave.post(API_ROUTES.clearProviderKey, { all: true })).status).toBe(200);
    // Carol, from any browser, still has hers.
    const carolElsewhere = fromProxy(identity('carol'));
    expect(statusOf((await carolElsewhere.get<ProviderKeysResponse>(API_ROUTES.providerKeys)).body, 'anthropic')).toMatchObject({
      source: 'user',
      masked: expect.stringMatching(/8b$/),
    });
  });

  it('signs out by ending the API session (session-only keys go) and sending the browser to the proxy\'s sign-out', async () => {
    const carol = fromProxy(identity('carol'));
    await carol.get(API_ROUTES.providerKeys);
    await carol.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: 'AIzaTestCarolProxySessionKey0123456789' });
    const signOut = await carol.post<{ redirectTo: string }>(API_ROUTES.signOut, {});
    expect(signOut.body).toEqual({ redirectTo: '/oauth2/sign_out' });
    // The proxy still vouches for carol: a new API session begins, without the session-only key.
    const after = await carol.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(statusOf(after.body, 'gemini').source).toBe('none');
    expect(statusOf(after.body, 'anthropic').source).toBe('user');
  });
});

describe('AUTH_MODE=proxy at boot', () => {
  it.each(['true', '1', 'false'])('refuses TRUST_PROXY=%s, which would believe anyone\'s headers or no one\'s', (trustProxy) => {
    expect(() => loadConfig({ AUTH_MODE: 'proxy', TRUST_PROXY: trustProxy })).toThrow(/^TRUST_PROXY: AUTH_MODE=proxy believes the identity headers only from the auth proxy/);
  });

  it('refuses KEY_ENV_GROUPS without sign-in, naming the setting', () => {
    expect(() => loadConfig({ KEY_ENV_GROUPS_OPENAI: 'eng' })).toThrow(/^KEY_ENV_GROUPS_OPENAI: needs sign-in/);
  });
});
