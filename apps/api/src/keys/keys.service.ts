import { Inject, Injectable } from '@nestjs/common';
import {
  checkKeyFormat,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type ValidateProviderKeyResponse,
} from '@byok/contracts';
import type { Request } from 'express';
import type { AppConfig, ProviderConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { Secret } from '../common/secret';
import { validationFailureOf } from '../providers/upstream-failure';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import { SessionLifetime } from '../session/session-lifetime';
import type { ClearProviderKeyDto, SetProviderKeyDto, ValidateProviderKeyDto } from './dto/key-requests.dto';
import { KeyAuditLog } from './key-audit-log';
import { effectiveKeySource, noKeyMessage, userKeyRefusal } from './key-policy';
import { KeyResolver } from './key-resolver';
import { KeyStore, keyringOf } from './key-store';
import type { StoredProviderKey } from './keyring/keyring-store';

/** The rules of the key endpoints: policy, format, storage, validation and their audit trail. */
@Injectable()
export class KeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly store: KeyStore,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
    private readonly audit: KeyAuditLog,
    private readonly lifetime: SessionLifetime,
  ) {}

  async list(req: Request): Promise<ProviderKeysResponse> {
    const stored = await this.store.entries(keyringOf(req.session));
    return { providers: this.registry.list().map((provider) => this.statusOf(req, provider, stored.get(provider.id))) };
  }

  async set(req: Request, { provider: providerId, apiKey }: SetProviderKeyDto): Promise<ProviderKeyStatus> {
    const provider = this.registry.get(providerId);
    const refusal = userKeyRefusal(provider.policy, provider.envKey !== null, provider.name);
    if (refusal) {
      this.audit.record(req, { event: 'refused_by_policy', provider: provider.id, source: 'session', detail: provider.policy });
      throw new ApiException(409, 'policy_forbids_user_key', refusal);
    }
    const key = this.checkedKey(provider, apiKey);
    const { replaced, entry } = await this.store.put(req, provider.id, key, provider.keyFormat);
    this.audit.record(req, { event: replaced ? 'replaced' : 'set', provider: provider.id, source: 'session', key });
    return this.statusOf(req, provider, entry);
  }

  async clear(req: Request, dto: ClearProviderKeyDto): Promise<ProviderKeysResponse> {
    if ((dto.all === true) === (dto.provider !== undefined)) {
      throw new ApiException(400, 'validation_failed', 'Send either "provider" or "all": true, not both or neither.');
    }
    const keyring = keyringOf(req.session);
    if (dto.provider !== undefined) {
      const provider = this.registry.get(dto.provider);
      if (await this.store.remove(keyring, provider.id)) {
        this.audit.record(req, { event: 'cleared', provider: provider.id, source: 'session' });
      }
    } else {
      for (const providerId of await this.store.removeAll(keyring)) {
        this.audit.record(req, { event: 'cleared', provider: providerId, source: 'session' });
      }
    }
    return this.list(req);
  }

  async validate(req: Request, dto: ValidateProviderKeyDto): Promise<ValidateProviderKeyResponse> {
    const provider = this.registry.get(dto.provider);
    const { key, source } =
      dto.apiKey !== undefined
        ? { key: this.checkedKey(provider, dto.apiKey), source: 'session' as const }
        : await this.resolver.resolve(provider, keyringOf(req.session));
    if (!key && provider.keyRequired) {
      throw new ApiException(400, 'no_key', noKeyMessage(provider));
    }
    const client = this.factory.withApiKey(provider, key);
    const deadline = AbortSignal.timeout(this.config.validateTimeoutMs);
    try {
      await client.listModels(deadline);
      this.audit.record(req, { event: 'validated', provider: provider.id, source, key });
      return { valid: true };
    } catch (error) {
      // Our own deadline is known for certain; SDKs report an abort in differing ways.
      const reason = deadline.aborted ? 'timeout' : validationFailureOf(client.classifyError(error));
      this.audit.record(req, { event: 'validation_failed', provider: provider.id, source, key, detail: reason });
      return { valid: false, reason };
    }
  }

  private checkedKey(provider: ProviderConfig, apiKey: string): Secret {
    const problem = checkKeyFormat(apiKey, provider.keyFormat, provider.name);
    if (problem) {
      throw new ApiException(400, 'malformed_key', problem.message);
    }
    return new Secret(apiKey);
  }

  /** A stored key is always shown (so it can be cleared), even where the policy now uses another. */
  private statusOf(req: Request, provider: ProviderConfig, stored: StoredProviderKey | undefined): ProviderKeyStatus {
    const hasEnvKey = provider.envKey !== null;
    const lockedReason = userKeyRefusal(provider.policy, hasEnvKey, provider.name);
    const createdAt = req.session.createdAt;
    return {
      id: provider.id,
      name: provider.name,
      source: effectiveKeySource({ policy: provider.policy, hasEnvKey, hasSessionKey: stored !== undefined }),
      masked: stored?.masked ?? null,
      editable: lockedReason === null,
      lockedReason,
      policy: provider.policy,
      // Idle expiry counts from now, since this response extends the session (rolling cookie).
      expiresAt: stored && createdAt !== undefined ? new Date(this.lifetime.expiresAt(createdAt)).toISOString() : null,
      keyRequired: provider.keyRequired,
      keyFormat: provider.keyFormat,
    };
  }
}
