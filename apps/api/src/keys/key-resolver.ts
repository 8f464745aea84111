import { Injectable } from '@nestjs/common';
import type { KeySource } from '@byok/contracts';
import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import { effectiveKeySource, userKeyCanWin } from './key-policy';
import { KeyStore, type KeyringRef } from './key-store';

export interface ResolvedKey {
  key: Secret | null;
  source: KeySource;
}

/** Picks the key one request uses, from the environment or the caller's keyring, by policy. */
@Injectable()
export class KeyResolver {
  constructor(private readonly store: KeyStore) {}

  /** Reads at most the one stored key the policy could use. */
  async resolve(provider: ProviderConfig, keyring: KeyringRef | null): Promise<ResolvedKey> {
    const hasEnvKey = provider.envKey !== null;
    const sessionKey = userKeyCanWin(provider.policy, hasEnvKey) ? await this.store.read(keyring, provider.id) : null;
    // A stored key that cannot be opened counts as absent, so the policy can fall back to env.
    const source = effectiveKeySource({ policy: provider.policy, hasEnvKey, hasSessionKey: sessionKey !== null });
    if (source === 'env') return { key: provider.envKey, source };
    if (source === 'session') return { key: sessionKey, source };
    return { key: null, source };
  }
}
