import type { KeyPolicy, KeySource } from '@byok/contracts';

export interface KeyAvailability {
  policy: KeyPolicy;
  hasEnvKey: boolean;
  hasSessionKey: boolean;
}

/** Which key a request uses, by the provider's policy (env-first is task 8.1's rule). */
export function effectiveKeySource({ policy, hasEnvKey, hasSessionKey }: KeyAvailability): KeySource {
  switch (policy) {
    case 'env-only':
      return hasEnvKey ? 'env' : 'none';
    case 'env-first':
      return hasEnvKey ? 'env' : hasSessionKey ? 'session' : 'none';
    case 'user-first':
      return hasSessionKey ? 'session' : hasEnvKey ? 'env' : 'none';
    case 'user-only':
      return hasSessionKey ? 'session' : 'none';
  }
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
