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
    const hasEnvKey = provider.envKey !== null;
    const sessionKey = this.store.entry(req.session, providerId) ? this.store.read(req, providerId) : null;
    // A stored key that cannot be opened counts as absent, so the policy can fall back to env.
    const source = effectiveKeySource({ policy: provider.policy, hasEnvKey, hasSessionKey: sessionKey !== null });
    if (source === 'env') return { key: provider.envKey, source };
    if (source === 'session') return { key: sessionKey, source };
    return { key: null, source };
  }
}
