import type { KeyPolicy, KeySource } from '@byok/contracts';
import type { Person } from '../auth/person';
import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import type { UserKeySource } from './key-store';

export interface KeyAvailability {
  policy: KeyPolicy;
  hasEnvKey: boolean;
  /** The kind of the user's stored key, or null without one. */
  userKey: UserKeySource | null;
}

/** Which key a request uses, by the provider's policy (env-first is task 8.1's rule). */
export function effectiveKeySource({ policy, hasEnvKey, userKey }: KeyAvailability): KeySource {
  switch (policy) {
    case 'env-only':
      return hasEnvKey ? 'env' : 'none';
    case 'env-first':
      return hasEnvKey ? 'env' : (userKey ?? 'none');
    case 'user-first':
      return userKey ?? (hasEnvKey ? 'env' : 'none');
    case 'user-only':
      return userKey ?? 'none';
  }
}

/**
 * The server's key as this caller may use it: with KEY_ENV_GROUPS_<PROVIDER>, only members of
 * one of the groups; anyone else sees the provider as if it had no ENV key.
 */
export function envKeyFor(provider: ProviderConfig, person: Person | null): Secret | null {
  if (!provider.envKey || provider.envKeyGroups === null) return provider.envKey;
  const allowed = provider.envKeyGroups;
  return person?.groups.some((group) => allowed.includes(group)) ? provider.envKey : null;
}

/** Whether the policy could ever pick a user's key over what the server has. */
export function userKeyCanWin(policy: KeyPolicy, hasEnvKey: boolean): boolean {
  return policy !== 'env-only' && !(policy === 'env-first' && hasEnvKey);
}

/**
 * Why a user may not set a key for a provider, or null when they may. A key the policy would
 * never use is refused rather than stored, so users are not misled into thinking it is in use.
 */
export function userKeyRefusal(policy: KeyPolicy, hasEnvKey: boolean, providerName: string): string | null {
  if (policy === 'env-only') {
    return `The administrator allows only the server's key for ${providerName}; personal keys are disabled.`;
  }
  if (policy === 'env-first' && hasEnvKey) {
    return `The server provides its own key for ${providerName}, which takes precedence; a personal key would not be used.`;
  }
  return null;
}

/** The one `no_key` message, for chat, model listing and validation alike. */
export function noKeyMessage(provider: { name: string; policy: KeyPolicy }): string {
  const serverOnly = provider.policy === 'env-only' ? ', or ask your administrator (only the server key is allowed)' : '';
  return `No ${provider.name} API key is available: add your key in Settings → API keys${serverOnly}.`;
}
