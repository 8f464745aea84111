import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { API_ROUTES, type AuthSessionResponse } from '@byok/contracts';
// The test IdP lives with the API's tests, which are not a library yet; until it moves to one (a
// tools/ project like the fake upstream) this one import crosses into another project by path.
import { TEST_IDP_USERS, type TestIdp, type TestIdpUser, startTestIdp } from '@byok/test-idp';
import { byTestId, PageProblems, eventually, launchChromium, newUserContext, textOf } from './browser';
import { E2eStack, EXTERNAL_BASE_URL } from './stack';

export { TEST_IDP_USERS, type TestIdpUser };

/** The test IdP's own pages, by the hooks its HTML carries. */
const IDP = {
  login: 'input[name="login"]',
  password: 'input[name="password"]',
  submit: 'button[data-testid="idp-submit"]',
  logoutConfirm: 'button[data-testid="idp-logout-confirm"]',
};

/**
 * `describe`, or `describe.skip` against E2E_BASE_URL: these tests need an API configured for the
 * test IdP they start, which a deployed app is not.
 */
export const describeWithOwnIdp: jest.Describe = EXTERNAL_BASE_URL === null ? describe : describe.skip;

/** One browser profile: its own cookies, so its own API session and its own IdP session. */
export interface Visitor {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: PageProblems;
  /** The address of every page the browser was served in the tab, in order; redirects are not pages. */
  readonly documents: readonly string[];
  /** The app-origin addresses at which the chat page was ever put in the DOM, even for a moment. */
  readonly chatPageSeenAt: readonly string[];
}

export interface SignInSuite {
  readonly stack: E2eStack;
  readonly idp: TestIdp;
  /** A new browser profile with one blank page; closed after the test. */
  visitor(): Promise<Visitor>;
}

/**
 * The hooks of a sign-in test file: the test IdP, registered for the API's exact callback and
 * post-logout URLs, the stack in AUTH_MODE=oidc without a server OpenAI key (so OpenAI is the
 * user's to set), and Chromium; then per test any number of visitors, all closed afterwards.
 */
export function useSignInSuite(): SignInSuite {
  let idp: TestIdp | undefined;
  let stack: E2eStack | undefined;
  let browser: Browser | undefined;
  let visitors: Visitor[] = [];

  beforeAll(async () => {
    const started = E2eStack.start({
      apiSettings: async (apiBaseUrl) => {
        const callback = `${apiBaseUrl}${API_ROUTES.signInCallback}`;
        const afterSignOut = `${apiBaseUrl}/`;
        idp = await startTestIdp({ redirectUris: [callback], postLogoutRedirectUris: [afterSignOut] });
        return {
          AUTH_MODE: 'oidc',
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: idp.clientId,
          OIDC_CLIENT_SECRET: idp.clientSecret,
          OIDC_REDIRECT_URI: callback,
          OIDC_SCOPES: 'openid profile email',
          OIDC_POST_LOGOUT_REDIRECT_URI: afterSignOut,
          KEY_LIFETIMES: 'session,1d,7d,30d',
          OPENAI_API_KEY: null,
        };
      },
    });
    const [stackResult, browserResult] = await Promise.allSettled([started, launchChromium()]);
    if (stackResult.status === 'fulfilled') stack = stackResult.value;
    if (browserResult.status === 'fulfilled') browser = browserResult.value;
    if (stackResult.status === 'rejected') throw stackResult.reason;
    if (browserResult.status === 'rejected') throw browserResult.reason;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.close();
  }, 30_000);

  afterEach(async () => {
    const ended = visitors;
    visitors = [];
    await Promise.all(ended.map((visitor) => visitor.context.close()));
    const uncaught = ended.flatMap((visitor) => visitor.problems.uncaught);
    // An uncaught exception in the app is a bug even when the test's assertions passed.
    if (uncaught.length > 0) {
      const consoleErrors = ended.flatMap((visitor) => visitor.problems.console);
      throw new Error(`The page threw:\n${uncaught.join('\n')}\nConsole errors:\n${consoleErrors.join('\n')}\nAPI output:\n${stack?.apiOutput ?? ''}`);
    }
  });

  const required = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} did not start`);
    return value;
  };
  return {
    get stack() {
      return required(stack, 'the stack');
    },
    get idp() {
      return required(idp, 'the test IdP');
    },
    async visitor() {
      const appOrigin = required(stack, 'the stack').baseUrl;
      const context = await newUserContext(required(browser, 'the browser'));
      const documents: string[] = [];
      const chatPageSeenAt: string[] = [];
      // Reported from inside the page the moment the element appears, so a chat page shown only
      // until the sign-in redirect leaves is caught too.
      await context.exposeBinding('__byokChatPageShown', (_source, href: string) => {
        chatPageSeenAt.push(href);
      });
      await context.addInitScript((origin: string) => {
        if (location.origin !== origin) return;
        const observer = new MutationObserver(() => {
          if (document.querySelector('app-chat-page')) {
            observer.disconnect();
            void (window as unknown as { __byokChatPageShown: (href: string) => Promise<void> }).__byokChatPageShown(location.href);
          }
        });
        observer.observe(document, { childList: true, subtree: true });
      }, appOrigin);
      const page = await context.newPage();
      // Documents by their responses: 'framenavigated' would also count the router's replaceState.
      page.on('response', (response) => {
        const request = response.request();
        const redirect = response.status() >= 300 && response.status() < 400;
        if (request.isNavigationRequest() && request.frame() === page.mainFrame() && !redirect) documents.push(response.url());
      });
      const visitor: Visitor = { context, page, problems: new PageProblems(page), documents, chatPageSeenAt };
      visitors.push(visitor);
      return visitor;
    },
  };
}

export function idpLoginForm(page: Page): Locator {
  return page.locator(IDP.login);
}

/**
 * Opens `url` signed out and waits for the IdP's login form. Only the app's first response is
 * waited for: the app leaves for sign-in as soon as it knows, maybe before its own load event.
 */
export async function openSignedOut(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'commit' });
  await idpLoginForm(page).waitFor();
}

/** On the IdP's login form (which must be showing or about to), signs `user` in and waits until the app names them. */
export async function signInAtIdp(page: Page, user: TestIdpUser, password: string): Promise<void> {
  await idpLoginForm(page).fill(user.login);
  await page.locator(IDP.password).fill(password);
  await page.locator(IDP.submit).click();
  await byTestId(page, 'signed-in-person').waitFor();
}

/** The toolbar's person, with the visually hidden "Signed in as" and spaces as a reader hears them. */
export async function signedInPersonText(page: Page): Promise<string> {
  return (await textOf(byTestId(page, 'signed-in-person'))).replace(/\s+/g, ' ');
}

/** Who the API says this profile's session belongs to, asked with the profile's cookies. */
export async function sessionSeenByServer(context: BrowserContext, baseUrl: string): Promise<AuthSessionResponse> {
  const response = await context.request.get(`${baseUrl}${API_ROUTES.authSession}`, { headers: { accept: 'application/json' } });
  expect(response.status()).toBe(200);
  return (await response.json()) as AuthSessionResponse;
}

/** Picks a lifetime in a provider's "Keep for" select by its label; the options live in the CDK overlay. */
export async function chooseLifetime(page: Page, dialog: Locator, provider: string, label: string): Promise<void> {
  const select = byTestId(dialog, `key-lifetime-${provider}`);
  await select.click();
  const option = page.getByRole('listbox').getByRole('option', { name: label, exact: true });
  await option.click();
  await option.waitFor({ state: 'detached' });
  await eventually(async () => expect(await textOf(select)).toBe(label));
}

/**
 * Sets a key with the lifetime labelled `lifetime`, waits until its chip says `chip`, and returns
 * the text of the "saved" snack bar, dismissed so it covers nothing the test clicks next.
 */
export async function setKeyFor(
  page: Page,
  dialog: Locator,
  provider: string,
  apiKey: string,
  lifetime: string,
  chip: 'SESSION' | 'ACCOUNT',
): Promise<string> {
  await chooseLifetime(page, dialog, provider, lifetime);
  await byTestId(dialog, `key-input-${provider}`).fill(apiKey);
  await byTestId(dialog, `set-key-${provider}`).click();
  await eventually(async () => expect(await textOf(byTestId(dialog, `key-source-${provider}`))).toBe(chip));
  const notice = page.locator('mat-snack-bar-container');
  await notice.waitFor();
  const text = await textOf(notice);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await notice.waitFor({ state: 'detached' });
  return text;
}

/**
 * Signs out from the toolbar and confirms at the IdP's logout page; the IdP sends the browser back
 * to the app, which, signed out, sends it on to the IdP's login form.
 */
export async function signOutThroughIdp(page: Page, idpIssuer: string): Promise<void> {
  await byTestId(page, 'sign-out').click();
  const confirm = page.locator(IDP.logoutConfirm);
  await confirm.waitFor();
  expect(new URL(page.url()).origin).toBe(idpIssuer);
  await confirm.click();
  await idpLoginForm(page).waitFor();
}
