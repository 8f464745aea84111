import { TestClock } from '../testing/test-clock';
import { APIError } from 'openai';
import { ApiException } from '../common/errors/api-exception';
import { loadConfig } from '../config/app-config';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher } from '../crypto/key-cipher';
import { KeyResolver } from '../keys/key-resolver';
import { KeyStore } from '../keys/key-store';
import { InProcessKeyringStore } from '../keys/keyring/in-process-keyring-store';
import { AnthropicAdapter } from '../providers/adapters/anthropic.adapter';
import { GeminiAdapter } from '../providers/adapters/gemini.adapter';
import { OpenAiAdapter } from '../providers/adapters/openai.adapter';
import type { ModelInfo, ProviderTarget } from '../providers/provider-adapter';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import { UpstreamHttp } from '../providers/wire/upstream-http';
import { SessionLifetime } from '../session/session-lifetime';
import type { Caller } from '../auth/caller';
import { ModelCatalog } from './model-catalog';

/** OpenAI's adapter with its listing scripted: what each call answered, and which key it carried. */
class ScriptedListing extends OpenAiAdapter {
  readonly keysSeen: Array<string | null> = [];
  answer: () => ModelInfo[] = () => [{ id: 'gpt-4o-mini', name: 'gpt-4o-mini' }];

  override async listModels(target: ProviderTarget): Promise<ModelInfo[]> {
    this.keysSeen.push(target.apiKey?.reveal() ?? null);
    return this.answer();
  }
}

describe('ModelCatalog', () => {
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test-catalog-server-key-0123456789' });
  const anonymous: Caller = { person: null, keyring: null, limitIdentity: 'ip-unit', keyLimitIdentity: 'ip-unit', addressIdentity: 'ip-unit' };
  let clock: TestClock;
  let http: UpstreamHttp;
  let listing: ScriptedListing;
  let catalog: ModelCatalog;

  beforeEach(() => {
    clock = new TestClock(5_000_000);
    http = new UpstreamHttp();
    listing = new ScriptedListing(http);
    const store = new KeyStore(new KeyCipher(config.keystoreSecrets), new Fingerprinter(config.keystoreSecrets[0]), new InProcessKeyringStore(clock), new SessionLifetime(config, clock), clock);
    const factory = new ProviderFactory(listing, new AnthropicAdapter(http), new GeminiAdapter(http));
    catalog = new ModelCatalog(config, new ProviderRegistry(config), new KeyResolver(store), factory, new Fingerprinter(config.keystoreSecrets[0]), clock);
  });

  afterEach(() => http.onApplicationShutdown());

  it('answers a second listing within a minute from its cache, and asks the provider again after it', async () => {
    expect(await catalog.list(anonymous, 'openai')).toEqual([{ id: 'gpt-4o-mini', name: 'gpt-4o-mini' }]);
    clock.time += 59_000;
    await catalog.list(anonymous, 'openai');
    expect(listing.keysSeen).toHaveLength(1);
    clock.time += 2_000;
    await catalog.list(anonymous, 'openai');
    expect(listing.keysSeen).toEqual(['sk-test-catalog-server-key-0123456789', 'sk-test-catalog-server-key-0123456789']);
  });

  it('turns a provider failure into the one mapping, as an HTTP error with its status and code', async () => {
    listing.answer = () => {
      throw new APIError(401, { message: 'bad key' }, undefined, new Headers());
    };
    const failure = await catalog.list(anonymous, 'openai').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiException);
    expect((failure as ApiException).getResponse()).toEqual({
      statusCode: 400,
      code: 'key_rejected',
      message: 'OpenAI rejected the API key (HTTP 401); check or replace it in Settings → API keys.',
    });
  });

  it('answers no_key for a provider without a key, and does not ask it', async () => {
    const failure = await catalog.list(anonymous, 'anthropic').catch((error: unknown) => error);
    expect((failure as ApiException).getResponse()).toMatchObject({ statusCode: 400, code: 'no_key' });
    expect(listing.keysSeen).toEqual([]);
  });
});
