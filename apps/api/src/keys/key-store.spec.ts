import { BUILT_IN_KEY_FORMATS, SESSION_KEY_LIFETIME } from '@byok/contracts';
import type { KeyLifetime } from '../config/auth-config';
import { loadConfig } from '../config/app-config';
import { readKeyLifetimes, SESSION_LIFETIME } from '../config/auth-config';
import { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher } from '../crypto/key-cipher';
import { SessionLifetime } from '../session/session-lifetime';
import type { SessionRequest } from '../session/session-request';
import { TestClock } from '../testing/test-clock';
import { InProcessKeyringStore } from './keyring/in-process-keyring-store';
import { KeyStore, type PersonKeyringRef } from './key-store';

const HOUR = 3_600_000;
const KEY = new Secret('sk-ant-test-keystore-unit-0123456789ab');
const FORMAT = BUILT_IN_KEY_FORMATS.anthropic;

describe('KeyStore, a signed-in person\'s keyring', () => {
  const config = loadConfig({ SESSION_IDLE_TIMEOUT: '2h', SESSION_ABSOLUTE_TIMEOUT: '24h' });
  const [, oneDay, sevenDays] = readKeyLifetimes('session,1d,7d');
  let clock: TestClock;
  let keyrings: InProcessKeyringStore;
  let store: KeyStore;
  // The request matters only for an anonymous session's first key; a person's keyring exists by name.
  const request = {} as SessionRequest;
  const signIn = (signInId: string): PersonKeyringRef => ({ kind: 'person', keyringId: 'p-unit', createdAt: clock.now(), signInId });
  const put = (ref: PersonKeyringRef, providerId: string, lifetime: KeyLifetime) => store.put(request, ref, providerId, KEY, FORMAT, lifetime);

  beforeEach(() => {
    clock = new TestClock();
    keyrings = new InProcessKeyringStore(clock);
    store = new KeyStore(new KeyCipher(config.keystoreSecrets), new Fingerprinter(config.keystoreSecrets[0]), keyrings, new SessionLifetime(config, clock), clock);
  });

  afterEach(() => keyrings.close());

  it('keeps a key exactly its lifetime, then counts it as absent and sweeps it from the keyring', async () => {
    const ref = signIn('first');
    await put(ref, 'anthropic', oneDay);
    clock.advance(24 * HOUR - 1);
    expect(await store.read(ref, 'anthropic')).toMatchObject({ source: 'user' });
    clock.advance(1);
    expect(await store.read(ref, 'anthropic')).toBeNull();
    expect((await store.entries(ref)).size).toBe(0);
    expect(await keyrings.getAll('p-unit')).toEqual(new Map());
  });

  it('lets a shorter-lived key lapse without taking a longer-lived one with it, or shortening the keyring', async () => {
    const ref = signIn('first');
    await put(ref, 'anthropic', sevenDays);
    await put(ref, 'gemini', oneDay);
    clock.advance(2 * 24 * HOUR);
    expect([...(await store.entries(ref)).keys()]).toEqual(['anthropic']);
    clock.advance(5 * 24 * HOUR - 1);
    expect(await store.read(ref, 'anthropic')).not.toBeNull();
  });

  it('shows a session-only key to its own sign-in only, and never past the session\'s absolute end', async () => {
    const first = signIn('first');
    await put(first, 'gemini', SESSION_LIFETIME);
    expect(await store.read(first, 'gemini')).toMatchObject({ source: 'session' });
    expect(await store.read(signIn('second'), 'gemini')).toBeNull();
    expect(await store.read({ ...first, signInId: null }, 'gemini')).toBeNull();
    clock.advance(24 * HOUR);
    expect(await store.read(first, 'gemini')).toBeNull();
  });

  it('forgets only the signing-out sign-in\'s session-only keys, and keeps one set again meanwhile', async () => {
    const first = signIn('first');
    const second = signIn('second');
    await put(first, 'gemini', SESSION_LIFETIME);
    await put(first, 'anthropic', sevenDays);
    await put(second, 'openai', SESSION_LIFETIME);
    expect(await store.forgetSignIn(first)).toEqual(['gemini']);
    expect([...(await keyrings.getAll('p-unit')).keys()].sort()).toEqual(['anthropic', 'openai']);
    expect(await store.forgetSignIn({ ...first, signInId: null })).toEqual([]);
  });

  it('records the lifetime chosen, so the listing can say which', async () => {
    const { entry } = await put(signIn('first'), 'anthropic', sevenDays);
    expect(entry).toMatchObject({ lifetime: '7d', expiresAt: clock.now() + 7 * 24 * HOUR });
    expect(entry.boundTo).toBeUndefined();
    const session = await put(signIn('first'), 'gemini', SESSION_LIFETIME);
    expect(session.entry).toMatchObject({ lifetime: SESSION_KEY_LIFETIME, boundTo: 'first', expiresAt: clock.now() + 24 * HOUR });
  });
});
