import type { Caller } from '../auth/caller';
import { type Person, personKeyringId } from '../auth/person';
import { Secret } from '../common/secret';
import { type AppConfig, loadConfig, type ProviderConfig } from '../config/app-config';
import type { Env } from '../config/config-parsers';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher } from '../crypto/key-cipher';
import { SessionLifetime } from '../session/session-lifetime';
import type { SessionRequest } from '../session/session-request';
import { TestClock } from '../testing/test-clock';
import { InProcessKeyringStore } from './keyring/in-process-keyring-store';
import type { PersonKeyringRef } from './key-store';
import { KeyResolver } from './key-resolver';
import { KeyStore } from './key-store';

const SERVER_KEY = 'sk-test-key-resolver-server-0123456789';
const USER_KEY = 'sk-test-key-resolver-user-0123456789ab';
const SIGNED_IN: Env = { AUTH_MODE: 'proxy', TRUST_PROXY: 'loopback' };

const alice: Person = { id: 'alice', displayName: 'alice', email: null, groups: ['eng'] };
const bob: Person = { id: 'bob', displayName: 'bob', email: null, groups: ['sales'] };

describe('KeyResolver', () => {
  let clock: TestClock;
  let keyrings: InProcessKeyringStore;
  let store: KeyStore;
  let config: AppConfig;
  let resolver: KeyResolver;

  function start(env: Env): void {
    config = loadConfig({ ...SIGNED_IN, ...env });
    keyrings = new InProcessKeyringStore(clock);
    store = new KeyStore(new KeyCipher(config.keystoreSecrets), new Fingerprinter(config.keystoreSecrets[0]), keyrings, new SessionLifetime(config, clock), clock);
    resolver = new KeyResolver(store);
  }

  function provider(id: string): ProviderConfig {
    const found = config.providers.find((candidate) => candidate.id === id);
    if (!found) throw new Error(`no provider ${id}`);
    return found;
  }

  function keyringOf(person: Person): PersonKeyringRef {
    return { kind: 'person', keyringId: personKeyringId(person.id), createdAt: clock.now(), signInId: `sign-in-${person.id}` };
  }

  function callerOf(person: Person): Caller {
    return { person, keyring: keyringOf(person), limitIdentity: person.id, keyLimitIdentity: person.id, addressIdentity: 'ip-unit' };
  }

  /** Keeps a 7-day key for the person; with a keyring already named, the store reads nothing of the request. */
  async function keepKey(person: Person, providerId: string): Promise<void> {
    const lifetime = config.keyLifetimes.find((candidate) => candidate.id === '7d');
    if (!lifetime) throw new Error('no 7d lifetime');
    await store.put({} as SessionRequest, keyringOf(person), providerId, new Secret(USER_KEY), provider(providerId).keyFormat, lifetime);
  }

  const resolved = async (providerId: string, person: Person) => {
    const { key, source } = await resolver.resolve(provider(providerId), callerOf(person));
    return { key: key?.reveal() ?? null, source };
  };

  beforeEach(() => {
    clock = new TestClock(1_000_000);
  });

  afterEach(() => keyrings.close());

  it('uses the ENV key under env-first without reading the keyring at all', async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_LIFETIMES: 'session,7d' });
    await keepKey(alice, 'openai');
    const read = jest.spyOn(store, 'read');

    expect(await resolved('openai', alice)).toEqual({ key: SERVER_KEY, source: 'env' });
    expect(read).not.toHaveBeenCalled();
  });

  it("uses the person's own key under user-first, and the ENV key for someone without one", async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_POLICY_OPENAI: 'user-first', KEY_LIFETIMES: 'session,7d' });
    await keepKey(alice, 'openai');

    expect(await resolved('openai', alice)).toEqual({ key: USER_KEY, source: 'user' });
    expect(await resolved('openai', bob)).toEqual({ key: SERVER_KEY, source: 'env' });
  });

  it('never uses a stored key under env-only, and has none when there is no ENV key', async () => {
    start({ KEY_POLICY_ANTHROPIC: 'env-only', KEY_LIFETIMES: 'session,7d' });
    await keepKey(alice, 'anthropic');
    const read = jest.spyOn(store, 'read');

    expect(await resolved('anthropic', alice)).toEqual({ key: null, source: 'none' });
    expect(read).not.toHaveBeenCalled();
  });

  it('ignores the ENV key under user-only', async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_POLICY_OPENAI: 'user-only', KEY_LIFETIMES: 'session,7d' });

    expect(await resolved('openai', bob)).toEqual({ key: null, source: 'none' });
    await keepKey(bob, 'openai');
    expect(await resolved('openai', bob)).toEqual({ key: USER_KEY, source: 'user' });
  });

  it('gives the ENV key only to the groups it is for; an outsider falls back to a key of their own', async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_ENV_GROUPS_OPENAI: 'eng', KEY_LIFETIMES: 'session,7d' });

    expect(await resolved('openai', alice)).toEqual({ key: SERVER_KEY, source: 'env' });
    expect(await resolved('openai', bob)).toEqual({ key: null, source: 'none' });
    await keepKey(bob, 'openai');
    expect(await resolved('openai', bob)).toEqual({ key: USER_KEY, source: 'user' });
  });

  it('counts a stored key that can no longer be opened as absent, so the ENV key takes over under user-first', async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_POLICY_OPENAI: 'user-first', KEY_LIFETIMES: 'session,7d' });
    await keepKey(alice, 'openai');
    const [stored] = (await keyrings.getAll(personKeyringId(alice.id))).values();
    if (!stored) throw new Error('the key was not stored');
    // Sealed for another keyring: the binding check refuses to open it here.
    const ciphertext = new KeyCipher(config.keystoreSecrets).seal(new Secret(USER_KEY), { keyringId: 'another-keyring', providerId: 'openai' });
    await keyrings.put(personKeyringId(alice.id), 'openai', { ...stored, sealed: ciphertext }, clock.now() + 60_000);

    expect(await resolved('openai', alice)).toEqual({ key: SERVER_KEY, source: 'env' });
  });

  it('lets a lapsed key count as absent', async () => {
    start({ OPENAI_API_KEY: SERVER_KEY, KEY_POLICY_OPENAI: 'user-first', KEY_LIFETIMES: 'session,7d' });
    await keepKey(alice, 'openai');
    clock.advance(7 * 24 * 3_600_000 + 1);

    expect(await resolved('openai', alice)).toEqual({ key: SERVER_KEY, source: 'env' });
  });
});
