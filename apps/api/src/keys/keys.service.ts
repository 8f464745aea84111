import { Inject, Injectable } from '@nestjs/common';
import {
  checkKeyFormat,
  type KeyLifetimeOption,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type ValidateProviderKeyResponse,
} from '@byok/contracts';
import type { Request } from 'express';
import { AuditLog } from '../audit/audit-log';
import { type Caller, callerOf } from '../auth/caller';
import { type KeyLifetime, SESSION_LIFETIME } from '../config/auth-config';
import type { AppConfig, ProviderConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { Secret } from '../common/secret';
import { validationFailureOf } from '../providers/upstream-failure';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import { SessionLifetime } from '../session/session-lifetime';
import type { ClearProviderKeyDto, SetProviderKeyDto, ValidateProviderKeyDto } from './dto/key-requests.dto';
import { effectiveKeySource, envKeyFor, noKeyMessage, userKeyRefusal } from './key-policy';
import { KeyResolver } from './key-resolver';
import { KeyStore, userKeySourceOf } from './key-store';
import type { StoredProviderKey } from './keyring/keyring-store';

/** The rules of the key endpoints: policy, format, lifetime, storage, validation and their audit trail. */
@Injectable()
export class KeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly store: KeyStore,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
    private readonly audit: AuditLog,
    private readonly lifetime: SessionLifetime,
  ) {}

  async list(req: Request): Promise<ProviderKeysResponse> {
    const caller = callerOf(req);
    const stored = await this.store.entries(caller.keyring);
    return {
      providers: this.registry.list().map((provider) => this.statusOf(req, caller, provider, stored.get(provider.id))),
      lifetimes: this.lifetimesFor(caller).map(({ id, label }): KeyLifetimeOption => ({ id, label })),
    };
  }

  async set(req: Request, { provider: providerId, apiKey, lifetime: lifetimeId }: SetProviderKeyDto): Promise<ProviderKeyStatus> {
    const caller = callerOf(req);
    const provider = this.registry.get(providerId);
    const refusal = userKeyRefusal(provider.policy, envKeyFor(provider, caller.person) !== null, provider.name);
    if (refusal) {
      this.audit.key(req, { event: 'refused_by_policy', provider: provider.id, source: 'session', detail: provider.policy });
      throw new ApiException(409, 'policy_forbids_user_key', refusal);
    }
    const lifetime = this.chosenLifetime(caller, lifetimeId);
    const key = this.checkedKey(provider, apiKey);
    const { replaced, entry } = await this.store.put(req, caller.keyring, provider.id, key, provider.keyFormat, lifetime);
    this.audit.key(req, {
      event: replaced ? 'replaced' : 'set',
      provider: provider.id,
      source: userKeySourceOf(entry),
      key,
      detail: caller.person ? `lifetime ${lifetime.id}` : undefined,
    });
    return this.statusOf(req, caller, provider, entry);
  }

  async clear(req: Request, dto: ClearProviderKeyDto): Promise<ProviderKeysResponse> {
    if ((dto.all === true) === (dto.provider !== undefined)) {
      throw new ApiException(400, 'validation_failed', 'Send either "provider" or "all": true, not both or neither.');
    }
    const { keyring } = callerOf(req);
    if (dto.provider !== undefined) {
      const provider = this.registry.get(dto.provider);
      if (await this.store.remove(keyring, provider.id)) {
        this.audit.key(req, { event: 'cleared', provider: provider.id, source: 'session' });
      }
    } else {
      for (const providerId of await this.store.removeAll(keyring)) {
        this.audit.key(req, { event: 'cleared', provider: providerId, source: 'session' });
      }
    }
    return this.list(req);
  }

  async validate(req: Request, dto: ValidateProviderKeyDto): Promise<ValidateProviderKeyResponse> {
    const caller = callerOf(req);
    const provider = this.registry.get(dto.provider);
    const { key, source } =
      dto.apiKey !== undefined
        ? { key: this.checkedKey(provider, dto.apiKey), source: 'session' as const }
        : await this.resolver.resolve(provider, caller);
    if (!key && provider.keyRequired) {
      throw new ApiException(400, 'no_key', noKeyMessage(provider));
    }
    const client = this.factory.withApiKey(provider, key);
    const deadline = AbortSignal.timeout(this.config.validateTimeoutMs);
    try {
      await client.listModels(deadline);
      this.audit.key(req, { event: 'validated', provider: provider.id, source, key });
      return { valid: true };
    } catch (error) {
      // Our own deadline is known for certain; SDKs report an abort in differing ways.
      const reason = deadline.aborted ? 'timeout' : validationFailureOf(client.classifyError(error));
      this.audit.key(req, { event: 'validation_failed', provider: provider.id, source, key, detail: reason });
      return { valid: false, reason };
    }
  }

  /** Without sign-in a key lasts one session: there is no one for it to follow. */
  private lifetimesFor(caller: Caller): readonly KeyLifetime[] {
    return caller.person ? this.config.keyLifetimes : [SESSION_LIFETIME];
  }

  private chosenLifetime(caller: Caller, lifetimeId: string | undefined): KeyLifetime {
    const allowed = this.lifetimesFor(caller);
    if (lifetimeId === undefined) return allowed[0];
    const chosen = allowed.find((lifetime) => lifetime.id === lifetimeId);
    if (!chosen) {
      throw new ApiException(400, 'validation_failed', `lifetime: must be one of ${allowed.map((lifetime) => lifetime.id).join(', ')}.`);
    }
    return chosen;
  }

  private checkedKey(provider: ProviderConfig, apiKey: string): Secret {
    const problem = checkKeyFormat(apiKey, provider.keyFormat, provider.name);
    if (problem) {
      throw new ApiException(400, 'malformed_key', problem.message);
    }
    return new Secret(apiKey);
  }

  /** A stored key is always shown (so it can be cleared), even where the policy now uses another. */
  private statusOf(req: Request, caller: Caller, provider: ProviderConfig, stored: StoredProviderKey | undefined): ProviderKeyStatus {
    const hasEnvKey = envKeyFor(provider, caller.person) !== null;
    const lockedReason = userKeyRefusal(provider.policy, hasEnvKey, provider.name);
    return {
      id: provider.id,
      name: provider.name,
      source: effectiveKeySource({ policy: provider.policy, hasEnvKey, userKey: stored ? userKeySourceOf(stored) : null }),
      masked: stored?.masked ?? null,
      editable: lockedReason === null,
      lockedReason,
      policy: provider.policy,
      expiresAt: stored ? this.expiryOf(req, stored) : null,
      lifetime: stored ? (stored.lifetime ?? SESSION_LIFETIME.id) : null,
      keyRequired: provider.keyRequired,
      keyFormat: provider.keyFormat,
    };
  }

  /**
   * A key kept for a chosen lifetime lapses when that ends; a session's key with the session,
   * whose idle expiry counts from now, since this response extends it (rolling cookie).
   */
  private expiryOf(req: Request, stored: StoredProviderKey): string | null {
    const sessionEnd = req.session.createdAt !== undefined ? this.lifetime.expiresAt(req.session.createdAt) : null;
    const expiresAt = userKeySourceOf(stored) === 'user' ? (stored.expiresAt ?? null) : sessionEnd;
    return expiresAt === null ? null : new Date(expiresAt).toISOString();
  }
}
