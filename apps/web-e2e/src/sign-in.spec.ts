import { BUILT_IN_KEY_FORMATS, maskKey } from '@byok/contracts';
import { keysSeenByServer, openSettings } from './support/app';
import { EXTERNAL_BASE_URL } from './support/environment';
import {
  TEST_IDP_USERS,
  expect,
  idpLoginForm,
  openSignedOut,
  sessionSeenByServer,
  setKeyFor,
  signInAtIdp,
  signOutThroughIdp,
  signedInPerson,
  test,
} from './support/sign-in';

// Obviously fake keys, in each provider's format; nothing upstream is called with them.
const ALICE_OPENAI_KEY = 'sk-test-e2e-alice-openai-0123456789wxyz';
const ALICE_ANTHROPIC_KEY = 'sk-ant-test-e2e-alice-anthropic-0123456789';
const ALICE_OPENAI_MASK = maskKey(ALICE_OPENAI_KEY, BUILT_IN_KEY_FORMATS.openai);

const { alice, bob } = TEST_IDP_USERS;

/** An address that starts with `prefix` and goes on as `rest` (a regular expression) says. */
function addressAt(prefix: string, rest = ''): unknown {
  const literal = prefix.replace(/[.*+?^$|()[\]{}\\]/g, '\\$&');
  return expect.stringMatching(new RegExp(`^${literal}${rest}`));
}

test.describe('signing in with OpenID Connect, in the browser', () => {
  // These need an API configured for the test IdP they start, which a deployed app is not.
  test.skip(EXTERNAL_BASE_URL !== null, 'needs a stack configured for its own test IdP, not E2E_BASE_URL');

  test('a key kept 7 days follows alice to a new browser after she signs out; her "this session only" key does not', async ({ signIn, newVisitor }) => {
    const { stack: { baseUrl }, idp } = signIn;
    const first = await newVisitor();
    await openSignedOut(first.page, `${baseUrl}/`);
    expect(new URL(first.page.url()).origin).toBe(idp.issuer);

    await signInAtIdp(first.page, alice, idp.password);
    await expect(signedInPerson(first.page)).toHaveText('Signed in as Alice Tester alice@example.test');
    expect(first.page.url()).toBe(`${baseUrl}/`);

    const dialog = await openSettings(first.page);
    await expect(dialog.getByTestId('key-source-openai')).toHaveText('none');
    const openAiSaved = await setKeyFor(first.page, dialog, 'openai', ALICE_OPENAI_KEY, '7 days', 'ACCOUNT');
    expect(openAiSaved).toContain('OpenAI key saved. Your key expires in 7 days.');
    await expect(dialog.getByTestId('key-expiry-openai')).toHaveText('Your key expires in 7 days.');
    await expect(dialog.getByTestId('masked-key-openai')).toHaveText(ALICE_OPENAI_MASK);

    await setKeyFor(first.page, dialog, 'anthropic', ALICE_ANTHROPIC_KEY, 'This session only', 'SESSION');
    await expect(dialog.getByTestId('key-expiry-anthropic')).toHaveText('Your key expires when you sign out or the session ends.');
    expect(await keysSeenByServer(first.page)).toMatchObject({
      openai: { source: 'user', lifetime: '7d' },
      anthropic: { source: 'session', lifetime: 'session' },
    });
    // The keys panel is a dialog over the toolbar; Sign out is in the toolbar.
    await dialog.getByTestId('close-settings').click();
    await expect(dialog).toHaveCount(0);

    const beforeSignOut = first.documents.length;
    await signOutThroughIdp(first.page, idp.issuer);
    // Back to the app from the IdP's logout, and on from there to sign in: the IdP session ended too.
    expect(first.documents.slice(beforeSignOut)).toEqual([
      addressAt(`${idp.issuer}/session/end`),
      `${baseUrl}/`,
      addressAt(`${idp.issuer}/interaction/`),
    ]);
    expect((await sessionSeenByServer(first.context, baseUrl)).person).toBeNull();

    const second = await newVisitor();
    await openSignedOut(second.page, `${baseUrl}/`);
    await signInAtIdp(second.page, alice, idp.password);
    const again = await openSettings(second.page);
    await expect(again.getByTestId('key-source-openai')).toHaveText('ACCOUNT');
    const masked = again.getByTestId('masked-key-openai');
    await expect(masked).toHaveText(ALICE_OPENAI_MASK);
    await expect(masked).toHaveText(new RegExp(`${ALICE_OPENAI_KEY.slice(-4)}$`));
    await expect(again.getByTestId('key-expiry-openai')).toHaveText('Your key expires in 7 days.');
    await expect(again.getByTestId('key-source-anthropic')).toHaveText('none');
    await expect(again.getByTestId('masked-key-anthropic')).toHaveCount(0);
    await expect(again.getByTestId('key-expiry-anthropic')).toHaveCount(0);
    expect(await keysSeenByServer(second.page)).toMatchObject({
      openai: { source: 'user', masked: ALICE_OPENAI_MASK, lifetime: '7d' },
      anthropic: { source: 'none', masked: null, lifetime: null },
    });
    for (const visitor of [first, second]) {
      expect(await visitor.page.content()).not.toContain(ALICE_OPENAI_KEY);
    }
  });

  test("bob, signed in in another browser, sees none of alice's keys, and alice still has hers", async ({ signIn, newVisitor }) => {
    const { stack: { baseUrl }, idp } = signIn;
    const alicesBrowser = await newVisitor();
    await openSignedOut(alicesBrowser.page, `${baseUrl}/`);
    await signInAtIdp(alicesBrowser.page, alice, idp.password);
    await setKeyFor(alicesBrowser.page, await openSettings(alicesBrowser.page), 'openai', ALICE_OPENAI_KEY, '7 days', 'ACCOUNT');

    const bobsBrowser = await newVisitor();
    await openSignedOut(bobsBrowser.page, `${baseUrl}/`);
    await signInAtIdp(bobsBrowser.page, bob, idp.password);
    await expect(signedInPerson(bobsBrowser.page)).toHaveText('Signed in as Bob Tester bob@example.test');
    const bobsSettings = await openSettings(bobsBrowser.page);
    await expect(bobsSettings.getByTestId('key-source-openai')).toHaveText('none');
    await expect(bobsSettings.getByTestId('masked-key-openai')).toHaveCount(0);
    await expect(bobsSettings.getByTestId('key-expiry-openai')).toHaveCount(0);
    expect((await keysSeenByServer(bobsBrowser.page))['openai']).toMatchObject({ source: 'none', masked: null });
    expect(await bobsBrowser.page.content()).not.toContain(ALICE_OPENAI_MASK);

    await alicesBrowser.page.reload();
    const alicesSettings = await openSettings(alicesBrowser.page);
    await expect(signedInPerson(alicesBrowser.page)).toHaveText('Signed in as Alice Tester alice@example.test');
    await expect(alicesSettings.getByTestId('key-source-openai')).toHaveText('ACCOUNT');
    await expect(alicesSettings.getByTestId('masked-key-openai')).toHaveText(ALICE_OPENAI_MASK);
  });

  test('a signed-out visitor lands first on the IdP login form, never sees the chat page before signing in, and comes back to the page asked for', async ({ signIn, newVisitor }) => {
    const { stack: { baseUrl }, idp } = signIn;
    const visitor = await newVisitor();
    const { page } = visitor;
    const asked = `${baseUrl}/?from=e2e`;
    // A pending navigation freezes the leaving page for inspection tools, so what it showed is
    // known from the page's own record (chatPageSeenAt) rather than by looking at it.
    await page.goto(asked, { waitUntil: 'commit' });
    await expect(idpLoginForm(page)).toBeVisible();
    expect(visitor.documents).toEqual([asked, addressAt(`${idp.issuer}/interaction/`, '[A-Za-z0-9_-]+$')]);
    expect(visitor.chatPageSeenAt).toEqual([]);
    expect(await sessionSeenByServer(visitor.context, baseUrl)).toMatchObject({ mode: 'oidc', person: null });

    await signInAtIdp(page, alice, idp.password);
    expect(page.url()).toBe(asked);
    await expect(page.getByTestId('provider-select')).toBeVisible();
    // The same watch that saw nothing before sign-in sees the chat page now.
    await expect.poll(() => visitor.chatPageSeenAt).toEqual([asked]);
  });
});
