import { Inject, Injectable } from '@nestjs/common';
import type { ApiErrorCode, ChatErrorCode, ModelSummary } from '@byok/contracts';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyResolver } from '../keys/key-resolver';
import { keyringOf } from '../keys/key-store';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import type { SessionRequest } from '../session/session-request';
import { chatFailureFromUpstream } from '../chat/chat-failure';

const CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 1000;

interface CacheEntry {
  models: ModelSummary[];
  expiresAt: number;
}

/** HTTP status for each way an upstream call can fail; the code stays the chat code. */
const HTTP_ERROR_OF: Partial<Record<ChatErrorCode, { status: number; code: ApiErrorCode }>> = {
  key_rejected: { status: 400, code: 'key_rejected' },
  bad_request: { status: 400, code: 'bad_request' },
  rate_limited: { status: 429, code: 'rate_limited' },
  upstream_unreachable: { status: 502, code: 'upstream_unreachable' },
  timeout: { status: 504, code: 'timeout' },
};

/**
 * The models a provider offers with the key in effect. Lists are cached briefly by provider and
 * key fingerprint (never by the key itself), so reopening a model picker costs no upstream call.
 */
@Injectable()
export class ModelCatalog {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
    private readonly fingerprinter: Fingerprinter,
  ) {}

  async list(req: SessionRequest, providerId: string): Promise<ModelSummary[]> {
    const provider = this.registry.get(providerId);
    const { key } = await this.resolver.resolve(provider, keyringOf(req.session));
    if (!key && provider.keyRequired) {
      throw new ApiException(400, 'no_key', `No ${provider.name} API key is available: add your key in Settings → API keys.`);
    }
    const cacheKey = `${provider.id}:${key ? this.fingerprinter.of(key) : '-'}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.models;
    const client = this.factory.withApiKey(provider.id, key);
    const deadline = AbortSignal.timeout(this.config.validateTimeoutMs);
    let models: ModelSummary[];
    try {
      models = await client.listModels(deadline);
    } catch (error) {
      const failure = chatFailureFromUpstream(
        deadline.aborted ? { kind: 'timeout' } : client.classifyError(error),
        provider.name,
      );
      const headers: Record<string, string> =
        failure.retryAfter !== undefined ? { 'Retry-After': String(failure.retryAfter) } : {};
      const { status, code } = HTTP_ERROR_OF[failure.code] ?? { status: 502, code: 'upstream_error' };
      throw new ApiException(status, code, failure.message, headers);
    }
    this.remember(cacheKey, models);
    return models;
  }

  private remember(cacheKey: string, models: ModelSummary[]): void {
    if (this.cache.size >= CACHE_MAX_ENTRIES) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(cacheKey, { models, expiresAt: Date.now() + CACHE_TTL_MS });
  }
}
