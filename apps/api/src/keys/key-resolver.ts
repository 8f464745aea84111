import { Injectable } from '@nestjs/common';
import type { KeySource } from '@byok/contracts';
import type { SessionRequest } from '../session/session-request';
import type { Secret } from '../common/secret';
import { ProviderRegistry } from '../providers/provider-registry';
import { effectiveKeySource } from './key-policy';
import { KeyStore } from './key-store';

export interface ResolvedKey {
  key: Secret | null;
  source: KeySource;
}

/** Picks the key one request uses, from the environment or the caller's session, by policy. */
@Injectable()
export class KeyResolver {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly store: KeyStore,
  ) {}

  resolve(req: SessionRequest, providerId: string): ResolvedKey {
    const provider = this.registry.get(providerId);
    const source = effectiveKeySource({
      policy: provider.policy,
      hasEnvKey: provider.envKey !== null,
      hasSessionKey: this.store.entry(req.session, providerId) !== null,
    });
    if (source === 'env') return { key: provider.envKey, source };
    if (source === 'session') {
      const key = this.store.read(req, providerId);
      return key ? { key, source } : { key: null, source: 'none' };
    }
    return { key: null, source };
  }
}
