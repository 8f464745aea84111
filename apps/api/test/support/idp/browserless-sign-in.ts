import { API_ROUTES } from '@byok/contracts';
import { CookieJar } from 'tough-cookie';
import { leakAudit } from '../leak-audit';
import { TEST_IDP_PASSWORD } from '@byok/test-idp';

export interface BrowserlessSignInOptions {
  /** The API's origin, e.g. `http://127.0.0.1:<port>`. */
  apiBaseUrl: string;
  login: string;
  /** Defaults to the test IdP's password. */
  password?: string;
  /** Sent to the API's login route as `?returnTo=`. */
  returnTo?: string;
  /** Cookies the browser already holds for the API (a session cookie planted by someone else, say), as `name=value` pairs. */
  apiCookies?: string[];
}

export interface BrowserlessSignIn {
  /** The API's cookies after its callback, as a `Cookie` request header. */
  cookieHeader: string;
  /** Where the API's callback sent the browser (its Location header), not followed. */
  returnedTo: string;
}

const MAX_REDIRECTS = 15;
const REQUEST_TIMEOUT_MS = 10_000;

interface Step {
  method: 'GET' | 'POST';
  url: URL;
  form?: URLSearchParams;
}

/**
 * A sign-in as a browser does it, over real HTTP and without one: the API's login route, the
 * IdP's authorization endpoint and login form, back to the API's callback. Each origin has its
 * own cookie jar (tough-cookie, so Path, Max-Age and deletions behave as in a browser); a browser
 * would keep one jar per host, ports aside, which is why the test IdP's cookie names do not
 * collide with the API's.
 */
export async function signInWithoutBrowser(options: BrowserlessSignInOptions): Promise<BrowserlessSignIn> {
  const api = new URL(options.apiBaseUrl);
  const jars = { api: new CookieJar(), idp: new CookieJar() };
  for (const cookie of options.apiCookies ?? []) await jars.api.setCookie(cookie, api.href);
  let idpOrigin: string | null = null;
  const jarFor = (url: URL): CookieJar => {
    if (url.origin === api.origin) return jars.api;
    idpOrigin ??= url.origin;
    if (url.origin === idpOrigin) return jars.idp;
    throw new Error(`sign-in left for a third origin, ${url.origin} (API ${api.origin}, IdP ${idpOrigin})`);
  };
  const describe = (step: Step): string =>
    `${step.method} ${step.url.origin === api.origin ? 'API' : 'IdP'} ${step.url.pathname}`;

  const start = new URL(API_ROUTES.signIn, api);
  if (options.returnTo !== undefined) start.searchParams.set('returnTo', options.returnTo);
  let step: Step = { method: 'GET', url: start };
  let redirects = 0;
  let formPosted = false;

  for (;;) {
    const jar = jarFor(step.url);
    const cookie = await jar.getCookieString(step.url.href);
    let response: Response;
    try {
      response = await fetch(step.url, {
        method: step.method,
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...(step.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: step.form?.toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`sign-in failed at ${describe(step)}: ${(error as Error).message}`, { cause: error });
    }
    for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, step.url.href);

    const location = response.headers.get('location');
    const isCallback = step.url.origin === api.origin && step.url.pathname === API_ROUTES.signInCallback;
    if (isCallback) {
      // The authorization code is a credential: no log line or Redis value may hold it.
      const code = step.url.searchParams.get('code');
      if (code) leakAudit.registerSecret(code);
      if (response.status < 300 || response.status >= 400 || location === null) {
        throw new Error(`sign-in failed at ${describe(step)}: expected a redirect, got ${response.status}: ${await excerpt(response)}`);
      }
      const cookieHeader = await jars.api.getCookieString(new URL(API_ROUTES.authSession, api).href);
      if (!cookieHeader) throw new Error(`sign-in failed at ${describe(step)}: the API's callback set no cookie`);
      return { cookieHeader, returnedTo: location };
    }

    if (response.status >= 300 && response.status < 400 && location !== null) {
      redirects += 1;
      if (redirects > MAX_REDIRECTS) {
        throw new Error(`sign-in failed at ${describe(step)}: more than ${MAX_REDIRECTS} redirects without reaching the API's callback`);
      }
      step = { method: 'GET', url: new URL(location, step.url) };
      continue;
    }

    const page = response.status === 200 && step.url.origin === idpOrigin ? await response.text() : null;
    const form = page === null ? null : loginForm(page);
    if (page === null || form === null) {
      const body = (page ?? (await excerpt(response))).slice(0, 1_000);
      throw new Error(`sign-in failed at ${describe(step)}: ${response.status}, not a redirect nor the IdP's login form: ${body}`);
    }
    if (formPosted) {
      const refusal = /data-testid="idp-login-error"[^>]*>([^<]*)</.exec(page)?.[1] ?? 'the login form came back';
      throw new Error(`sign-in failed at ${describe(step)}: the IdP refused "${options.login}": ${refusal}`);
    }
    form.fields.set('login', options.login);
    form.fields.set('password', options.password ?? TEST_IDP_PASSWORD);
    step = { method: 'POST', url: new URL(form.action, step.url), form: form.fields };
    formPosted = true;
  }
}

/** The form with a password field, its action and hidden fields; null when the page has none. */
function loginForm(page: string): { action: string; fields: URLSearchParams } | null {
  for (const [, attributes, body] of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    if (!/\bname="password"/.test(body)) continue;
    const action = /\baction="([^"]*)"/.exec(attributes)?.[1];
    if (action === undefined) continue;
    const fields = new URLSearchParams();
    for (const [input] of body.matchAll(/<input\b[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      if (name !== undefined && /\btype="hidden"/.test(input)) fields.set(name, unescapeHtml(/\bvalue="([^"]*)"/.exec(input)?.[1] ?? ''));
    }
    return { action: unescapeHtml(action), fields };
  }
  return null;
}

function unescapeHtml(text: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_match, name: string) => entities[name] ?? '');
}

async function excerpt(response: Response): Promise<string> {
  return (await response.text()).slice(0, 500);
}
