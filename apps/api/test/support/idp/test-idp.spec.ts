import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_ROUTES } from '@byok/contracts';
// ESM-only: jest.config.ts compiles it (and oauth4webapi, jose) to CommonJS for the tests.
import * as client from 'openid-client';
import { CookieJar } from 'tough-cookie';
import { signInWithoutBrowser } from './browserless-sign-in';
import { startTestIdp, type TestIdp } from '@byok/test-idp';

const SCOPE = 'openid profile email groups';
const TIMEOUT_MS = 10_000;

/**
 * What the API's auth routes do, reduced to the protocol: openid-client as the relying party,
 * a transaction cookie for PKCE verifier, state and nonce, a session cookie once signed in.
 */
class StandInRp {
  readonly signIns: Array<Record<string, unknown>> = [];
  readonly failures: string[] = [];
  config!: client.Configuration;
  scope = SCOPE;
  private readonly transactions = new Map<string, { verifier: string; state: string; nonce: string; returnTo: string }>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<StandInRp> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const rp = new StandInRp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      rp.handle(req, res).catch((error: Error) => {
        rp.failures.push(error.message);
        res.writeHead(500).end(error.message);
      });
    });
    return rp;
  }

  get redirectUri(): string {
    return `${this.baseUrl}${API_ROUTES.signInCallback}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname === API_ROUTES.signIn) {
      const id = client.randomState();
      const transaction = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        returnTo: url.searchParams.get('returnTo') ?? '/',
      };
      this.transactions.set(id, transaction);
      const target = client.buildAuthorizationUrl(this.config, {
        redirect_uri: this.redirectUri,
        scope: this.scope,
        code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
        code_challenge_method: 'S256',
        state: transaction.state,
        nonce: transaction.nonce,
      });
      res.writeHead(302, { location: target.href, 'set-cookie': `rp_tx=${id}; Path=${API_ROUTES.signInCallback}; HttpOnly; SameSite=Lax` }).end();
    } else if (url.pathname === API_ROUTES.signInCallback) {
      const id = /(?:^|;\s*)rp_tx=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
      const transaction = this.transactions.get(id);
      if (!transaction) throw new Error('callback without a transaction cookie');
      this.transactions.delete(id);
      const tokens = await client.authorizationCodeGrant(this.config, url, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('token response without an ID token');
      this.signIns.push(claims);
      res
        .writeHead(302, {
          location: transaction.returnTo,
          'set-cookie': [`rp_tx=; Path=${API_ROUTES.signInCallback}; Max-Age=0`, `rp_session=${claims.sub}; Path=/; HttpOnly; SameSite=Lax`],
        })
        .end();
    } else {
      res.writeHead(404).end();
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function get(jar: CookieJar, url: URL | string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const cookie = await jar.getCookieString(url.toString());
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: { ...(cookie ? { cookie } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url.toString());
  return response;
}

function locationOf(response: Response, base: URL | string): URL {
  const location = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || location === null) {
    throw new Error(`expected a redirect from ${base.toString()}, got ${response.status}`);
  }
  return new URL(location, base);
}

/** From the authorization URL to the login page, as a browser would: redirects until a 200. */
async function openLoginPage(jar: CookieJar, authorizationUrl: URL): Promise<{ url: URL; html: string }> {
  let url = authorizationUrl;
  for (let hop = 0; hop < 5; hop += 1) {
    const response = await get(jar, url);
    if (response.status === 200) return { url, html: await response.text() };
    url = locationOf(response, url);
  }
  throw new Error('no login page after 5 redirects');
}

/** Follows IdP redirects after the login form until one leaves for the client's redirect URI. */
async function followToRedirectUri(jar: CookieJar, response: Response, from: URL, redirectUri: string): Promise<URL> {
  let url = locationOf(response, from);
  for (let hop = 0; hop < 8 && !url.href.startsWith(redirectUri); hop += 1) {
    url = locationOf(await get(jar, url), url);
  }
  if (!url.href.startsWith(redirectUri)) throw new Error(`never redirected to ${redirectUri}`);
  return url;
}

function formAction(html: string, testId: string): string {
  const action = new RegExp(`<form[^>]*data-testid="${testId}"[^>]*>`).exec(html)?.[0].match(/action="([^"]*)"/)?.[1];
  if (!action) throw new Error(`no form ${testId}`);
  return action;
}

describe('the test IdP, with openid-client as the relying party', () => {
  let rp: StandInRp;
  let idp: TestIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    rp = await StandInRp.start();
    idp = await startTestIdp({ redirectUris: [rp.redirectUri], postLogoutRedirectUris: [`${rp.baseUrl}/signed-out`] });
    config = await client.discovery(new URL(idp.issuer), idp.clientId, undefined, client.ClientSecretBasic(idp.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    rp.config = config;
  });

  afterAll(async () => {
    await idp?.close();
    await rp?.close();
  });

  afterEach(() => {
    rp.scope = SCOPE;
  });

  it('listens on a loopback port and advertises the code flow, PKCE S256, client_secret_basic, the groups scope and end-session', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups']));
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'name', 'email', 'groups']));
    expect(metadata.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
  });

  it('signs alice in through its login form; her ID token carries sub, name, email and groups; RP-initiated logout ends the IdP session', async () => {
    const jar = new CookieJar();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    const login = await openLoginPage(jar, authorizationUrl);
    for (const selector of ['data-testid="idp-login-form"', 'name="login"', 'name="password"', 'data-testid="idp-submit"']) {
      expect(login.html).toContain(selector);
    }
    const action = new URL(formAction(login.html, 'idp-login-form'), login.url);
    const posted = await get(jar, action, { method: 'POST', form: { login: 'alice', password: idp.password } });
    const callback = await followToRedirectUri(jar, posted, action, rp.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()).toMatchObject({
      iss: idp.issuer,
      aud: idp.clientId,
      nonce,
      sub: 'alice',
      name: 'Alice Tester',
      email: 'alice@example.test',
      groups: ['eng'],
    });

    // The same browser (the IdP's cookies) is signed in at the IdP until it signs out there.
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${rp.baseUrl}/signed-out`,
      state: 'after-logout',
    });
    const confirmation = await get(jar, endSession);
    expect(confirmation.status).toBe(200);
    const confirmationPage = await confirmation.text();
    expect(confirmationPage).toContain('data-testid="idp-logout-confirm"');
    const logoutForm = /<form id="op.logoutForm" method="post" action="([^"]+)"><input type="hidden" name="xsrf" value="([^"]+)"\/><\/form>/.exec(confirmationPage);
    expect(logoutForm).not.toBeNull();
    const [, confirmAction, xsrf] = logoutForm as RegExpExecArray;
    const loggedOut = await get(jar, confirmAction, { method: 'POST', form: { xsrf, logout: 'yes' } });
    const back = locationOf(loggedOut, confirmAction);
    expect(back.origin + back.pathname).toBe(`${rp.baseUrl}/signed-out`);
    expect(back.searchParams.get('state')).toBe('after-logout');

    const again = await openLoginPage(jar, authorizationUrl);
    expect(again.html).toContain('data-testid="idp-login-form"');
  });

  it('refuses a wrong password: the login form comes back with an error and no code is issued', async () => {
    const jar = new CookieJar();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: client.randomState(),
    });
    const login = await openLoginPage(jar, authorizationUrl);
    const action = new URL(formAction(login.html, 'idp-login-form'), login.url);

    const refused = await get(jar, action, { method: 'POST', form: { login: 'alice', password: 'not-the-password' } });

    expect(refused.status).toBe(200);
    expect(refused.headers.get('location')).toBeNull();
    const page = await refused.text();
    expect(page).toContain('data-testid="idp-login-error"');
    expect(page).toContain('data-testid="idp-login-form"');
  });

  it('refuses an authorization request without PKCE, back to the client with invalid_request', async () => {
    const authorizationUrl = client.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: SCOPE, state: 'no-pkce' });

    const response = await get(new CookieJar(), authorizationUrl);

    const back = locationOf(response, authorizationUrl);
    expect(back.href.startsWith(rp.redirectUri)).toBe(true);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/requires PKCE/);
  });

  it('authenticates the client with client_secret_basic only: the secret in the body is refused', async () => {
    const response = await fetch(config.serverMetadata().token_endpoint ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: rp.redirectUri,
        code_verifier: 'x'.repeat(43),
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it.each([
    ['profile', 'openid profile', { name: 'Bob Tester', groups: ['sales'] }, ['email']],
    ['groups', 'openid groups', { groups: ['sales'] }, ['name', 'email']],
  ])('releases groups in the ID token with the %s scope', async (_name, scope, expected, absent) => {
    rp.scope = scope;
    const before = rp.signIns.length;

    await signInWithoutBrowser({ apiBaseUrl: rp.baseUrl, login: 'bob' });

    const claims = rp.signIns[before];
    expect(claims).toMatchObject({ sub: 'bob', ...expected });
    for (const claim of absent) expect(claims).not.toHaveProperty(claim);
  });

  it('fails to start, with the reason, when its port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      await expect(startTestIdp({ redirectUris: [rp.redirectUri], postLogoutRedirectUris: [], port })).rejects.toThrow(
        /exited \(code 1\) before listening:[\s\S]*EADDRINUSE/,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  describe('signInWithoutBrowser', () => {
    it('signs in through the API routes and returns only the API cookies, ready for a Cookie header', async () => {
      const result = await signInWithoutBrowser({ apiBaseUrl: rp.baseUrl, login: 'bob', returnTo: '/chat?model=x' });

      expect(result.cookieHeader).toBe('rp_session=bob');
      expect(result.returnedTo).toBe('/chat?model=x');
      expect(rp.signIns.at(-1)).toMatchObject({ sub: 'bob', email: 'bob@example.test', groups: ['sales'] });
      expect(rp.failures).toEqual([]);
    });

    it('fails naming the IdP and the refusal when the password is wrong, before any callback', async () => {
      const before = rp.signIns.length;

      await expect(signInWithoutBrowser({ apiBaseUrl: rp.baseUrl, login: 'alice', password: 'wrong' })).rejects.toThrow(
        /at POST IdP \/interaction\/[^:]+\/login: the IdP refused "alice": Invalid login or password\./,
      );
      expect(rp.signIns.length).toBe(before);
    });

    it('fails naming the step when the API does not answer its login route with a redirect', async () => {
      const rogue = createServer((_req, res) => res.writeHead(404).end('no such route'));
      await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
      try {
        await expect(
          signInWithoutBrowser({ apiBaseUrl: `http://127.0.0.1:${(rogue.address() as AddressInfo).port}`, login: 'alice' }),
        ).rejects.toThrow(/at GET API \/api\/auth\/login: 404/);
      } finally {
        rogue.closeAllConnections();
        await new Promise<void>((resolve) => rogue.close(() => resolve()));
      }
    });
  });
});
