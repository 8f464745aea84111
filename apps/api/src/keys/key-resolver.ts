import { Injectable } from '@nestjs/common';
import type { KeySource } from '@byok/contracts';
import type { Caller } from '../auth/caller';
import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import { effectiveKeySource, envKeyFor, userKeyCanWin } from './key-policy';
import { KeyStore } from './key-store';

export interface ResolvedKey {
  key: Secret | null;
  source: KeySource;
}

/** Picks the key one request uses, from the environment or the caller's keyring, by policy. */
@Injectable()
export class KeyResolver {
  constructor(private readonly store: KeyStore) {}

  /** Reads at most the one stored key the policy could use. */
  async resolve(provider: ProviderConfig, caller: Caller): Promise<ResolvedKey> {
    const envKey = envKeyFor(provider, caller.person);
    const hasEnvKey = envKey !== null;
    const userKey = userKeyCanWin(provider.policy, hasEnvKey) ? await this.store.read(caller.keyring, provider.id) : null;
    // A stored key that cannot be opened counts as absent, so the policy can fall back to env.
    const source = effectiveKeySource({ policy: provider.policy, hasEnvKey, userKey: userKey?.source ?? null });
    if (source === 'env') return { key: envKey, source };
    if (source === 'session' || source === 'user') return { key: userKey?.key ?? null, source };
    return { key: null, source };
  }
}
