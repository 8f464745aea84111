import { type BrowserContext, type Locator, type Page, expect, test as base } from '@playwright/test';
import { API_ROUTES, type AuthSessionResponse } from '@byok/contracts';
import { TEST_IDP_USERS, type TestIdp, type TestIdpUser, startTestIdp } from '@byok/test-idp';
import { PageProblems, textOf } from './browser';
import { CONTEXT_OPTIONS } from './environment';
import { E2eStack } from './stack';

export { expect } from '@playwright/test';
export { TEST_IDP_USERS, type TestIdpUser };

/** The test IdP's own pages, by the hooks its HTML carries. */
const IDP = {
  login: 'input[name="login"]',
  password: 'input[name="password"]',
  submit: 'button[data-testid="idp-submit"]',
  logoutConfirm: 'button[data-testid="idp-logout-confirm"]',
};

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

interface SignInStack {
  readonly stack: E2eStack;
  readonly idp: TestIdp;
}

interface VisitorFixtures {
  /**
   * Opens a new browser profile with one blank page; any number per test, all closed after it.
   * An uncaught exception in any of their pages fails the test.
   */
  newVisitor: () => Promise<Visitor>;
}

/**
 * The sign-in tests' own `test`, so they get a worker of their own: the test IdP, registered for
 * the API's exact callback and post-logout URLs, and the stack in AUTH_MODE=oidc without a server
 * OpenAI key (so OpenAI is the user's to set), once per worker.
 */
export const test = base.extend<VisitorFixtures, { signIn: SignInStack }>({
  signIn: [
    // Playwright reads the fixtures a fixture needs from this pattern; this one needs none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      let idp: TestIdp | undefined;
      try {
        const stack = await E2eStack.start({
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
        try {
          if (idp === undefined) throw new Error('the sign-in tests need a stack of their own, not E2E_BASE_URL');
          await use({ stack, idp });
        } finally {
          await stack.stop();
        }
      } finally {
        await idp?.close();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  newVisitor: async ({ browser, signIn }, use) => {
    const contexts: BrowserContext[] = [];
    const problems: PageProblems[] = [];
    const appOrigin = signIn.stack.baseUrl;
    await use(async () => {
      const context = await browser.newContext(CONTEXT_OPTIONS);
      contexts.push(context);
      problems.push(new PageProblems(context));
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
      return { context, page, problems: problems[problems.length - 1], documents, chatPageSeenAt };
    });
    await Promise.all(contexts.map((context) => context.close()));
    PageProblems.assertNone(problems, signIn.stack.apiOutput);
  },
});

export function idpLoginForm(page: Page): Locator {
  return page.locator(IDP.login);
}

/**
 * Opens `url` signed out and waits for the IdP's login form. Only the app's first response is
 * waited for: the app leaves for sign-in as soon as it knows, maybe before its own load event.
 */
export async function openSignedOut(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'commit' });
  await expect(idpLoginForm(page)).toBeVisible();
}

/** On the IdP's login form (which must be showing or about to), signs `user` in and waits until the app names them. */
export async function signInAtIdp(page: Page, user: TestIdpUser, password: string): Promise<void> {
  await idpLoginForm(page).fill(user.login);
  await page.locator(IDP.password).fill(password);
  await page.locator(IDP.submit).click();
  await expect(signedInPerson(page)).toBeVisible();
}

/** The toolbar's person; its text, with the visually hidden "Signed in as", is what a reader hears. */
export function signedInPerson(page: Page): Locator {
  return page.getByTestId('signed-in-person');
}

/** Who the API says this profile's session belongs to, asked with the profile's cookies. */
export async function sessionSeenByServer(context: BrowserContext, baseUrl: string): Promise<AuthSessionResponse> {
  const response = await context.request.get(`${baseUrl}${API_ROUTES.authSession}`, { headers: { accept: 'application/json' } });
  expect(response.status()).toBe(200);
  return (await response.json()) as AuthSessionResponse;
}

/** Picks a lifetime in a provider's "Keep for" select by its label; the options live in the CDK overlay. */
export async function chooseLifetime(page: Page, dialog: Locator, provider: string, label: string): Promise<void> {
  const select = dialog.getByTestId(`key-lifetime-${provider}`);
  await select.click();
  const option = page.getByRole('listbox').getByRole('option', { name: label, exact: true });
  await option.click();
  await expect(option).toHaveCount(0);
  await expect(select).toHaveText(label);
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
  await dialog.getByTestId(`key-input-${provider}`).fill(apiKey);
  await dialog.getByTestId(`set-key-${provider}`).click();
  await expect(dialog.getByTestId(`key-source-${provider}`)).toHaveText(chip);
  const notice = page.locator('mat-snack-bar-container');
  await expect(notice).toBeVisible();
  const text = await textOf(notice);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toHaveCount(0);
  return text;
}

/**
 * Signs out from the toolbar and confirms at the IdP's logout page; the IdP sends the browser back
 * to the app, which, signed out, sends it on to the IdP's login form.
 */
export async function signOutThroughIdp(page: Page, idpIssuer: string): Promise<void> {
  await page.getByTestId('sign-out').click();
  const confirm = page.locator(IDP.logoutConfirm);
  await expect(confirm).toBeVisible();
  expect(new URL(page.url()).origin).toBe(idpIssuer);
  await confirm.click();
  await expect(idpLoginForm(page)).toBeVisible();
}
