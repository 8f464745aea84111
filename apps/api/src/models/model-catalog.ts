import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { ModelSummary } from '@byok/contracts';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../common/clock';
import { ApiException } from '../common/errors/api-exception';
import { Fingerprinter } from '../crypto/fingerprinter';
import { noKeyMessage } from '../keys/key-policy';
import { KeyResolver } from '../keys/key-resolver';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import type { Caller } from '../auth/caller';
import { describeUpstreamFailure } from '../providers/upstream-failure';

const CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 1000;


/**
 * The models a provider offers with the key in effect. Lists are cached briefly by provider and
 * key fingerprint (never by the key itself), so reopening a model picker costs no upstream call.
 */
@Injectable()
export class ModelCatalog {
  private readonly cache: LRUCache<string, ModelSummary[]>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
    private readonly fingerprinter: Fingerprinter,
    clock: Clock,
  ) {
    // ttlResolution 0: each lookup reads the clock, rather than a time cached until a real timer fires.
    this.cache = new LRUCache({ max: CACHE_MAX_ENTRIES, ttl: CACHE_TTL_MS, ttlResolution: 0, perf: clock });
  }

  async list(caller: Caller, providerId: string): Promise<ModelSummary[]> {
    const provider = this.registry.get(providerId);
    const { key } = await this.resolver.resolve(provider, caller);
    if (!key && provider.keyRequired) {
      throw new ApiException(400, 'no_key', noKeyMessage(provider));
    }
    const cacheKey = `${provider.id}:${key ? this.fingerprinter.of(key) : '-'}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const client = this.factory.withApiKey(provider, key);
    const deadline = AbortSignal.timeout(this.config.validateTimeoutMs);
    let models: ModelSummary[];
    try {
      models = await client.listModels(deadline);
    } catch (error) {
      const failure = describeUpstreamFailure(deadline.aborted ? { kind: 'timeout' } : client.classifyError(error), provider.name);
      const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'Retry-After': String(failure.retryAfter) } : {};
      throw new ApiException(failure.httpStatus, failure.code, failure.message, headers);
    }
    this.cache.set(cacheKey, models);
    return models;
  }
}
