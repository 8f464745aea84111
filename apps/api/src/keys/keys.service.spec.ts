import type { ProviderKeysResponse, ProviderKeyStatus } from '@byok/contracts';
import type { Request } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { APIConnectionError, APIError } from 'openai';
import { AuditLog, type KeyAuditEntry } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import { type Person, personKeyringId } from '../auth/person';
import { ApiException } from '../common/errors/api-exception';
import { type AppConfig, loadConfig } from '../config/app-config';
import type { Env } from '../config/config-parsers';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher } from '../crypto/key-cipher';
import { ClientIdentity } from '../limits/client-identity';
import { Metrics } from '../metrics/metrics';
import { AnthropicAdapter } from '../providers/adapters/anthropic.adapter';
import { GeminiAdapter } from '../providers/adapters/gemini.adapter';
import { OpenAiAdapter } from '../providers/adapters/openai.adapter';
import type { ModelInfo, ProviderTarget } from '../providers/provider-adapter';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import { UpstreamHttp } from '../providers/wire/upstream-http';
import { SessionLifetime } from '../session/session-lifetime';
import { TestClock } from '../testing/test-clock';
import { InProcessKeyringStore } from './keyring/in-process-keyring-store';
import { KeyResolver } from './key-resolver';
import { KeyStore, sessionKeyringOf } from './key-store';
import { KeysService } from './keys.service';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SERVER_KEY = 'sk-test-keys-service-server-0123456789';
const OPENAI_KEY = 'sk-test-keys-service-user-0123456789ab';
const ANTHROPIC_KEY = 'sk-ant-test-keys-service-user-0123456789';
const GEMINI_KEY = 'AIzaTestKeysServiceUserKey0123456789';
const SIGNED_IN = { AUTH_MODE: 'proxy', TRUST_PROXY: 'loopback' };

/** OpenAI's listing (also Ollama's, the same wire format), scripted: what it answers, and the keys it was asked with. */
class ScriptedListing extends OpenAiAdapter {
  readonly keysSeen: Array<string | null> = [];
  answer: (signal: AbortSignal) => Promise<ModelInfo[]> = async () => [{ id: 'gpt-4o-mini', name: 'gpt-4o-mini' }];

  override listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    this.keysSeen.push(target.apiKey?.reveal() ?? null);
    return this.answer(signal);
  }
}

/** The key audit trail as entries rather than log lines. */
class RecordingAuditLog extends AuditLog {
  readonly keys: KeyAuditEntry[] = [];

  override key(_req: Request, entry: KeyAuditEntry): void {
    this.keys.push(entry);
  }
}

/** The parts of an audit entry a test compares: the key as its plaintext, so the right key is proven. */
const audited = ({ key, ...entry }: KeyAuditEntry) => ({ ...entry, key: key?.reveal() ?? null });

/**
 * One browser: its session as express-session keeps it (regenerating gives a new id and an empty
 * session), and the caller AuthMiddleware derives from it for each request.
 */
class Browser {
  private sessionCount = 1;
  sessionID = 'session-1';
  readonly session = {
    regenerate: (done: (error?: unknown) => void) => {
      this.sessionCount += 1;
      this.sessionID = `session-${this.sessionCount}`;
      delete this.session.createdAt;
      delete this.session.keyringId;
      done();
    },
    save: (done: (error?: unknown) => void) => done(),
    createdAt: undefined as number | undefined,
    keyringId: undefined as string | undefined,
  };

  constructor(
    private readonly clock: TestClock,
    readonly person: Person | null = null,
  ) {
    // A sign-in starts the session; an anonymous one starts with its first key.
    if (person) this.session.createdAt = clock.now();
  }

  request(): Request {
    const caller: Caller = {
      person: this.person,
      keyring: this.person
        ? { kind: 'person', keyringId: personKeyringId(this.person.id), createdAt: this.session.createdAt ?? this.clock.now(), signInId: 'sign-in-unit' }
        : sessionKeyringOf(this.session),
      limitIdentity: 'limit-unit',
      keyLimitIdentity: 'limit-unit',
      addressIdentity: 'ip-unit',
    };
    // KeysService reads the session, its id, the headers and the caller; express builds the rest of a Request.
    return { session: this.session, sessionID: this.sessionID, headers: {}, caller } as unknown as Request;
  }
}

const person = (id: string, groups: string[] = []): Person => ({ id, displayName: id, email: null, groups });

function statusOf(response: ProviderKeysResponse, providerId: string): ProviderKeyStatus {
  const status = response.providers.find((provider) => provider.id === providerId);
  if (!status) throw new Error(`no status for ${providerId}`);
  return status;
}

/** The error a call was refused with, as the HTTP body the exception filter sends. */
async function refusalOf(call: Promise<unknown>): Promise<unknown> {
  const error = await call.then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ApiException)) throw new Error(`expected an ApiException, got ${String(error)}`);
  return error.getResponse();
}

describe('KeysService', () => {
  let clock: TestClock;
  let http: UpstreamHttp;
  let listing: ScriptedListing;
  let keyrings: InProcessKeyringStore;
  let audit: RecordingAuditLog;
  let service: KeysService;
  let config: AppConfig;

  /** The service as the KeysModule wires it without Redis: in-process keyrings, an injected clock, a scripted provider. */
  function start(env: Env): void {
    config = loadConfig({ VALIDATE_TIMEOUT: '100ms', ...env });
    const fingerprinter = new Fingerprinter(config.keystoreSecrets[0]);
    const lifetime = new SessionLifetime(config, clock);
    keyrings = new InProcessKeyringStore(clock);
    const store = new KeyStore(new KeyCipher(config.keystoreSecrets), fingerprinter, keyrings, lifetime, clock);
    audit = new RecordingAuditLog(new PinoLogger({ pinoHttp: { level: 'silent' } }), fingerprinter, new ClientIdentity(fingerprinter), new Metrics(config));
    const factory = new ProviderFactory(listing, new AnthropicAdapter(http), new GeminiAdapter(http));
    service = new KeysService(config, new ProviderRegistry(config), store, new KeyResolver(store), factory, audit, lifetime);
  }

  beforeEach(() => {
    clock = new TestClock(10 * DAY);
    http = new UpstreamHttp();
    listing = new ScriptedListing(http);
  });

  afterEach(async () => {
    keyrings.close();
    await http.onApplicationShutdown();
  });

  describe('statuses', () => {
    it('shows the ENV key in use and locked under env-first, and no key where there is none', async () => {
      start({ OPENAI_API_KEY: SERVER_KEY });
      const response = await service.list(new Browser(clock).request());
      expect(statusOf(response, 'openai')).toMatchObject({
        source: 'env',
        masked: null,
        editable: false,
        lockedReason: 'The server provides its own key for OpenAI, which takes precedence; a personal key would not be used.',
        policy: 'env-first',
        expiresAt: null,
        lifetime: null,
      });
      expect(statusOf(response, 'anthropic')).toMatchObject({ source: 'none', masked: null, editable: true, lockedReason: null });
      expect(statusOf(response, 'ollama')).toMatchObject({ source: 'none', keyRequired: false });
      expect(JSON.stringify(response)).not.toContain(SERVER_KEY);
    });

    it('shows a session key masked, never whole', async () => {
      start({});
      const browser = new Browser(clock);
      const set = await service.set(browser.request(), { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
      expect(set).toMatchObject({ source: 'session', masked: `sk-ant-…${ANTHROPIC_KEY.slice(-4)}`, lifetime: 'session' });
      const response = await service.list(browser.request());
      expect(statusOf(response, 'anthropic')).toEqual(set);
      expect(JSON.stringify(response)).not.toContain(ANTHROPIC_KEY);
    });

    it('lets the user key win over the ENV key under user-first, and ignores the ENV key under user-only', async () => {
      start({ OPENAI_API_KEY: SERVER_KEY, KEY_POLICY_OPENAI: 'user-first', GEMINI_API_KEY: 'AIzaTestServerKeyUnusedUserOnly0123', KEY_POLICY_GEMINI: 'user-only' });
      const browser = new Browser(clock);
      const before = await service.list(browser.request());
      expect(statusOf(before, 'openai')).toMatchObject({ source: 'env', editable: true });
      expect(statusOf(before, 'gemini')).toMatchObject({ source: 'none', editable: true, policy: 'user-only' });
      await service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY });
      await service.set(browser.request(), { provider: 'gemini', apiKey: GEMINI_KEY });
      const after = await service.list(browser.request());
      expect(statusOf(after, 'openai')).toMatchObject({ source: 'session', masked: `sk-…${OPENAI_KEY.slice(-4)}` });
      expect(statusOf(after, 'gemini')).toMatchObject({ source: 'session' });
    });

    it('locks an env-only provider, and says so even without an ENV key', async () => {
      start({ KEY_POLICY_ANTHROPIC: 'env-only' });
      expect(statusOf(await service.list(new Browser(clock).request()), 'anthropic')).toMatchObject({
        source: 'none',
        editable: false,
        lockedReason: "The administrator allows only the server's key for Anthropic; personal keys are disabled.",
      });
    });

    it('gives the ENV key to members of KEY_ENV_GROUPS only; anyone else sees the provider as if it had none', async () => {
      start({ ...SIGNED_IN, OPENAI_API_KEY: SERVER_KEY, KEY_ENV_GROUPS_OPENAI: 'eng' });
      const member = await service.list(new Browser(clock, person('ada', ['eng'])).request());
      expect(statusOf(member, 'openai')).toMatchObject({ source: 'env', editable: false });
      const outsider = new Browser(clock, person('bob', ['sales']));
      expect(statusOf(await service.list(outsider.request()), 'openai')).toMatchObject({ source: 'none', editable: true, lockedReason: null });
      await service.set(outsider.request(), { provider: 'openai', apiKey: OPENAI_KEY, lifetime: '7d' });
      expect(statusOf(await service.list(outsider.request()), 'openai')).toMatchObject({ source: 'user' });
    });

    it('offers a signed-in person the configured lifetimes', async () => {
      start({ ...SIGNED_IN, KEY_LIFETIMES: 'session,12h,30d' });
      expect((await service.list(new Browser(clock, person('ada')).request())).lifetimes).toEqual([
        { id: 'session', label: 'This session only' },
        { id: '12h', label: '12 hours' },
        { id: '30d', label: '30 days' },
      ]);
    });

    it('offers only "this session" without sign-in, whatever KEY_LIFETIMES lists', async () => {
      start({ KEY_LIFETIMES: '12h,30d' });
      expect((await service.list(new Browser(clock).request())).lifetimes).toEqual([{ id: 'session', label: 'This session only' }]);
    });
  });

  describe('set', () => {
    it('refuses a key the policy would never use, with 409 policy_forbids_user_key, stores nothing and audits the refusal', async () => {
      start({ OPENAI_API_KEY: SERVER_KEY });
      const browser = new Browser(clock);
      expect(await refusalOf(service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY }))).toEqual({
        statusCode: 409,
        code: 'policy_forbids_user_key',
        message: 'The server provides its own key for OpenAI, which takes precedence; a personal key would not be used.',
      });
      expect(browser.session.keyringId).toBeUndefined();
      expect(audit.keys.map(audited)).toEqual([
        { event: 'refused_by_policy', provider: 'openai', source: 'session', detail: 'env-first', key: null },
      ]);
    });

    it('refuses a key of the wrong format with 400 malformed_key, without quoting it or storing it', async () => {
      start({});
      const browser = new Browser(clock);
      const notAnthropic = 'sk-test-not-anthropic-0123456789abcdef';
      const refusal = await refusalOf(service.set(browser.request(), { provider: 'anthropic', apiKey: notAnthropic }));
      expect(refusal).toMatchObject({ statusCode: 400, code: 'malformed_key' });
      expect(JSON.stringify(refusal)).not.toContain(notAnthropic);
      expect(browser.session.keyringId).toBeUndefined();
      expect(audit.keys).toEqual([]);
    });

    it('refuses a provider this server does not offer with 404 unknown_provider', async () => {
      start({});
      expect(await refusalOf(service.set(new Browser(clock).request(), { provider: 'mistral', apiKey: OPENAI_KEY }))).toMatchObject({
        statusCode: 404,
        code: 'unknown_provider',
      });
    });

    it('audits a first key as set and the next one for the provider as replaced, each with its own key', async () => {
      start({});
      const browser = new Browser(clock);
      const second = 'sk-test-keys-service-second-0123456789';
      await service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY });
      await service.set(browser.request(), { provider: 'openai', apiKey: second });
      expect(audit.keys.map(audited)).toEqual([
        { event: 'set', provider: 'openai', source: 'session', key: OPENAI_KEY, detail: undefined },
        { event: 'replaced', provider: 'openai', source: 'session', key: second, detail: undefined },
      ]);
    });

    it('keeps an anonymous key for the session, whose idle expiry counts from the latest response', async () => {
      start({ SESSION_IDLE_TIMEOUT: '2h', SESSION_ABSOLUTE_TIMEOUT: '24h' });
      const browser = new Browser(clock);
      const set = await service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY });
      expect(set.expiresAt).toBe(new Date(clock.now() + 2 * HOUR).toISOString());
      clock.advance(HOUR);
      expect(statusOf(await service.list(browser.request()), 'openai').expiresAt).toBe(new Date(clock.now() + 2 * HOUR).toISOString());
    });

    it('refuses a lifetime without sign-in, naming the ones allowed', async () => {
      start({});
      expect(await refusalOf(service.set(new Browser(clock).request(), { provider: 'openai', apiKey: OPENAI_KEY, lifetime: '7d' }))).toEqual({
        statusCode: 400,
        code: 'validation_failed',
        message: 'lifetime: must be one of session.',
      });
    });

    it('keeps a signed-in person\'s key for the lifetime chosen, audits it, and forgets it when that ends', async () => {
      start({ ...SIGNED_IN, KEY_LIFETIMES: 'session,1d,7d' });
      const ada = new Browser(clock, person('ada'));
      const set = await service.set(ada.request(), { provider: 'openai', apiKey: OPENAI_KEY, lifetime: '1d' });
      expect(set).toMatchObject({ source: 'user', lifetime: '1d', expiresAt: new Date(clock.now() + DAY).toISOString() });
      expect(audit.keys.map(audited)).toEqual([{ event: 'set', provider: 'openai', source: 'user', key: OPENAI_KEY, detail: 'lifetime 1d' }]);
      clock.advance(DAY - 1);
      expect(statusOf(await service.list(ada.request()), 'openai').source).toBe('user');
      clock.advance(1);
      expect(statusOf(await service.list(ada.request()), 'openai')).toMatchObject({ source: 'none', masked: null, expiresAt: null });
    });

    it('gives a signed-in person\'s key the first lifetime when none is chosen', async () => {
      start({ ...SIGNED_IN, KEY_LIFETIMES: '12h,session' });
      const set = await service.set(new Browser(clock, person('ada')).request(), { provider: 'gemini', apiKey: GEMINI_KEY });
      expect(set).toMatchObject({ source: 'user', lifetime: '12h', expiresAt: new Date(clock.now() + 12 * HOUR).toISOString() });
    });

    it('refuses a lifetime the admin does not offer', async () => {
      start({ ...SIGNED_IN, KEY_LIFETIMES: 'session,1d' });
      expect(
        await refusalOf(service.set(new Browser(clock, person('ada')).request(), { provider: 'openai', apiKey: OPENAI_KEY, lifetime: '30d' })),
      ).toMatchObject({ statusCode: 400, code: 'validation_failed', message: 'lifetime: must be one of session, 1d.' });
    });
  });

  describe('validate', () => {
    beforeEach(() => start({ OPENAI_API_KEY: SERVER_KEY }));

    it('answers valid when the provider accepts the given key, and audits it', async () => {
      expect(await service.validate(new Browser(clock).request(), { provider: 'ollama', apiKey: 'ollama-test-key-0123' })).toEqual({ valid: true });
      expect(listing.keysSeen).toEqual(['ollama-test-key-0123']);
      expect(audit.keys.map(audited)).toEqual([{ event: 'validated', provider: 'ollama', source: 'session', key: 'ollama-test-key-0123' }]);
    });

    it('tries the key in effect when none is given: here the ENV key', async () => {
      expect(await service.validate(new Browser(clock).request(), { provider: 'openai' })).toEqual({ valid: true });
      expect(listing.keysSeen).toEqual([SERVER_KEY]);
      expect(audit.keys.map(audited)).toEqual([{ event: 'validated', provider: 'openai', source: 'env', key: SERVER_KEY }]);
    });

    it.each([
      ['rejects the key', () => new APIError(401, { message: 'Incorrect API key' }, undefined, new Headers()), 'invalid'],
      ['is rate-limiting', () => new APIError(429, { message: 'slow down' }, undefined, new Headers()), 'rate_limited'],
      ['cannot be reached', () => new APIConnectionError({ message: 'Connection error.' }), 'unreachable'],
    ])('answers invalid with the reason when the provider %s, and audits the failure', async (_case, failure, reason) => {
      listing.answer = async () => {
        throw failure();
      };
      expect(await service.validate(new Browser(clock).request(), { provider: 'ollama', apiKey: 'ollama-test-key-0123' })).toEqual({ valid: false, reason });
      expect(audit.keys.map(audited)).toEqual([
        { event: 'validation_failed', provider: 'ollama', source: 'session', key: 'ollama-test-key-0123', detail: reason },
      ]);
    });

    it('answers timeout when the provider does not answer within VALIDATE_TIMEOUT', async () => {
      listing.answer = (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      expect(await service.validate(new Browser(clock).request(), { provider: 'openai' })).toEqual({ valid: false, reason: 'timeout' });
    });

    it('refuses with 400 no_key when there is no key to try, and does not ask the provider', async () => {
      expect(await refusalOf(service.validate(new Browser(clock).request(), { provider: 'anthropic' }))).toEqual({
        statusCode: 400,
        code: 'no_key',
        message: 'No Anthropic API key is available: add your key in Settings → API keys.',
      });
      expect(listing.keysSeen).toEqual([]);
    });

    it('refuses a malformed key with 400 malformed_key before asking the provider', async () => {
      expect(await refusalOf(service.validate(new Browser(clock).request(), { provider: 'openai', apiKey: 'not-an-openai-key-0123456789' }))).toMatchObject({
        statusCode: 400,
        code: 'malformed_key',
      });
      expect(listing.keysSeen).toEqual([]);
    });

    it('tries a keyless provider without a key', async () => {
      expect(await service.validate(new Browser(clock).request(), { provider: 'ollama' })).toEqual({ valid: true });
      expect(listing.keysSeen).toEqual([null]);
    });
  });

  describe('clear', () => {
    beforeEach(() => start({}));

    it('clears one provider\'s key and audits it, and audits nothing when there was none', async () => {
      const browser = new Browser(clock);
      await service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY });
      await service.set(browser.request(), { provider: 'gemini', apiKey: GEMINI_KEY });
      audit.keys.length = 0;
      const response = await service.clear(browser.request(), { provider: 'openai' });
      expect(statusOf(response, 'openai').source).toBe('none');
      expect(statusOf(response, 'gemini').source).toBe('session');
      await service.clear(browser.request(), { provider: 'openai' });
      expect(audit.keys.map(audited)).toEqual([{ event: 'cleared', provider: 'openai', source: 'session', key: null }]);
    });

    it('clears every key at once, auditing each provider', async () => {
      const browser = new Browser(clock);
      await service.set(browser.request(), { provider: 'openai', apiKey: OPENAI_KEY });
      await service.set(browser.request(), { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
      audit.keys.length = 0;
      const response = await service.clear(browser.request(), { all: true });
      expect(response.providers.map((status) => status.source)).toEqual(['none', 'none', 'none', 'none']);
      expect(audit.keys.map((entry) => `${entry.event} ${entry.provider}`).sort()).toEqual(['cleared anthropic', 'cleared openai']);
    });

    it.each([
      ['both a provider and all', { provider: 'openai', all: true as const }],
      ['neither a provider nor all', {}],
    ])('refuses a clear naming %s with 400 validation_failed', async (_case, dto) => {
      expect(await refusalOf(service.clear(new Browser(clock).request(), dto))).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    });
  });
});
