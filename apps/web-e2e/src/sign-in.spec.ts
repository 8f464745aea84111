import { BUILT_IN_KEY_FORMATS, maskKey } from '@byok/contracts';
import { keysSeenByServer, openSettings } from './support/app';
import { byTestId, eventually, textOf } from './support/browser';
import {
  TEST_IDP_USERS,
  describeWithOwnIdp,
  idpLoginForm,
  openSignedOut,
  sessionSeenByServer,
  setKeyFor,
  signInAtIdp,
  signOutThroughIdp,
  signedInPersonText,
  useSignInSuite,
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

describeWithOwnIdp('signing in with OpenID Connect, in the browser', () => {
  const suite = useSignInSuite();

  it('a key kept 7 days follows alice to a new browser after she signs out; her "this session only" key does not', async () => {
    const { baseUrl } = suite.stack;
    const { idp } = suite;
    const first = await suite.visitor();
    await openSignedOut(first.page, `${baseUrl}/`);
    expect(new URL(first.page.url()).origin).toBe(idp.issuer);

    await signInAtIdp(first.page, alice, idp.password);
    expect(await signedInPersonText(first.page)).toBe('Signed in as Alice Tester alice@example.test');
    expect(first.page.url()).toBe(`${baseUrl}/`);

    const dialog = await openSettings(first.page);
    expect(await textOf(byTestId(dialog, 'key-source-openai'))).toBe('none');
    const openAiSaved = await setKeyFor(first.page, dialog, 'openai', ALICE_OPENAI_KEY, '7 days', 'ACCOUNT');
    expect(openAiSaved).toContain('OpenAI key saved. Your key expires in 7 days.');
    expect(await textOf(byTestId(dialog, 'key-expiry-openai'))).toBe('Your key expires in 7 days.');
    expect(await textOf(byTestId(dialog, 'masked-key-openai'))).toBe(ALICE_OPENAI_MASK);

    await setKeyFor(first.page, dialog, 'anthropic', ALICE_ANTHROPIC_KEY, 'This session only', 'SESSION');
    expect(await textOf(byTestId(dialog, 'key-expiry-anthropic'))).toBe('Your key expires when you sign out or the session ends.');
    expect(await keysSeenByServer(first.page)).toMatchObject({
      openai: { source: 'user', lifetime: '7d' },
      anthropic: { source: 'session', lifetime: 'session' },
    });
    // The keys panel is a dialog over the toolbar; Sign out is in the toolbar.
    await byTestId(dialog, 'close-settings').click();
    await dialog.waitFor({ state: 'detached' });

    const beforeSignOut = first.documents.length;
    await signOutThroughIdp(first.page, idp.issuer);
    // Back to the app from the IdP's logout, and on from there to sign in: the IdP session ended too.
    expect(first.documents.slice(beforeSignOut)).toEqual([
      addressAt(`${idp.issuer}/session/end`),
      `${baseUrl}/`,
      addressAt(`${idp.issuer}/interaction/`),
    ]);
    expect((await sessionSeenByServer(first.context, baseUrl)).person).toBeNull();

    const second = await suite.visitor();
    await openSignedOut(second.page, `${baseUrl}/`);
    await signInAtIdp(second.page, alice, idp.password);
    const again = await openSettings(second.page);
    expect(await textOf(byTestId(again, 'key-source-openai'))).toBe('ACCOUNT');
    const masked = await textOf(byTestId(again, 'masked-key-openai'));
    expect(masked).toBe(ALICE_OPENAI_MASK);
    expect(masked.endsWith(ALICE_OPENAI_KEY.slice(-4))).toBe(true);
    expect(await textOf(byTestId(again, 'key-expiry-openai'))).toBe('Your key expires in 7 days.');
    expect(await textOf(byTestId(again, 'key-source-anthropic'))).toBe('none');
    expect(await byTestId(again, 'masked-key-anthropic').count()).toBe(0);
    expect(await byTestId(again, 'key-expiry-anthropic').count()).toBe(0);
    expect(await keysSeenByServer(second.page)).toMatchObject({
      openai: { source: 'user', masked: ALICE_OPENAI_MASK, lifetime: '7d' },
      anthropic: { source: 'none', masked: null, lifetime: null },
    });
    for (const visitor of [first, second]) {
      expect(await visitor.page.content()).not.toContain(ALICE_OPENAI_KEY);
    }
  });

  it("bob, signed in in another browser, sees none of alice's keys, and alice still has hers", async () => {
    const { baseUrl } = suite.stack;
    const { idp } = suite;
    const alicesBrowser = await suite.visitor();
    await openSignedOut(alicesBrowser.page, `${baseUrl}/`);
    await signInAtIdp(alicesBrowser.page, alice, idp.password);
    await setKeyFor(alicesBrowser.page, await openSettings(alicesBrowser.page), 'openai', ALICE_OPENAI_KEY, '7 days', 'ACCOUNT');

    const bobsBrowser = await suite.visitor();
    await openSignedOut(bobsBrowser.page, `${baseUrl}/`);
    await signInAtIdp(bobsBrowser.page, bob, idp.password);
    expect(await signedInPersonText(bobsBrowser.page)).toBe('Signed in as Bob Tester bob@example.test');
    const bobsSettings = await openSettings(bobsBrowser.page);
    expect(await textOf(byTestId(bobsSettings, 'key-source-openai'))).toBe('none');
    expect(await byTestId(bobsSettings, 'masked-key-openai').count()).toBe(0);
    expect(await byTestId(bobsSettings, 'key-expiry-openai').count()).toBe(0);
    expect((await keysSeenByServer(bobsBrowser.page))['openai']).toMatchObject({ source: 'none', masked: null });
    expect(await bobsBrowser.page.content()).not.toContain(ALICE_OPENAI_MASK);

    await alicesBrowser.page.reload();
    const alicesSettings = await openSettings(alicesBrowser.page);
    expect(await signedInPersonText(alicesBrowser.page)).toBe('Signed in as Alice Tester alice@example.test');
    expect(await textOf(byTestId(alicesSettings, 'key-source-openai'))).toBe('ACCOUNT');
    expect(await textOf(byTestId(alicesSettings, 'masked-key-openai'))).toBe(ALICE_OPENAI_MASK);
  });

  it('a signed-out visitor lands first on the IdP login form, never sees the chat page before signing in, and comes back to the page asked for', async () => {
    const { baseUrl } = suite.stack;
    const { idp } = suite;
    const visitor = await suite.visitor();
    const { page } = visitor;
    const asked = `${baseUrl}/?from=e2e`;
    // A pending navigation freezes the leaving page for inspection tools, so what it showed is
    // known from the page's own record (chatPageSeenAt) rather than by looking at it.
    await page.goto(asked, { waitUntil: 'commit' });
    await idpLoginForm(page).waitFor();
    expect(visitor.documents).toEqual([asked, addressAt(`${idp.issuer}/interaction/`, '[A-Za-z0-9_-]+$')]);
    expect(visitor.chatPageSeenAt).toEqual([]);
    expect(await sessionSeenByServer(visitor.context, baseUrl)).toMatchObject({ mode: 'oidc', person: null });

    await signInAtIdp(page, alice, idp.password);
    expect(page.url()).toBe(asked);
    await byTestId(page, 'provider-select').waitFor();
    // The same watch that saw nothing before sign-in sees the chat page now.
    await eventually(() => expect(visitor.chatPageSeenAt).toEqual([asked]));
  });
});
