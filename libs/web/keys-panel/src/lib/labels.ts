import {
  SESSION_KEY_LIFETIME,
  type KeyLifetimeOption,
  type KeyPolicy,
  type KeySource,
  type KeyValidationFailure,
  type ProviderKeyStatus,
} from '@byok/contracts';

/**
 * Chip text per key source; text rather than colour alone, so the state reads without colour.
 * ACCOUNT rather than YOURS: a SESSION key is the user's too; what sets this one apart is that it
 * stays with the signed-in person, in any browser, until it expires.
 */
export const KEY_SOURCE_LABELS: Record<KeySource, string> = {
  env: 'ENV',
  session: 'SESSION',
  user: 'ACCOUNT',
  none: 'none',
};

/** Whether the key in effect is one the user stored, for this session or beyond it. */
export function usesStoredKey(source: KeySource): boolean {
  return source === 'session' || source === 'user';
}

/** What the lifetimes in the picker mean, named by the server's own label for the session one. */
export function lifetimeHint(lifetimes: readonly KeyLifetimeOption[]): string {
  const sessionOnly = lifetimes.find((option) => option.id === SESSION_KEY_LIFETIME);
  if (sessionOnly === undefined) {
    return 'Keys stay until they expire and follow you to any browser where you sign in.';
  }
  return `“${sessionOnly.label}” keys are forgotten when you sign out; longer ones stay until they expire and follow you to any browser where you sign in.`;
}

export const KEY_POLICY_DESCRIPTIONS: Record<KeyPolicy, string> = {
  'env-only': "Only the server's key is used.",
  'env-first': "The server's key is used when there is one, otherwise yours.",
  'user-first': "Your key is used when you set one, otherwise the server's.",
  'user-only': "Only your key is used; the server's key is ignored.",
};

/**
 * Why the user's stored key is not the one in effect, or null when it is or none is stored. A stored
 * key stays visible (masked) and clearable even then, so without this it would look like it is used.
 */
export function storedKeyUnusedMessage(status: ProviderKeyStatus): string | null {
  if (status.masked === null || usesStoredKey(status.source)) {
    return null;
  }
  if (status.source === 'env') {
    return "Your stored key is not in use: the server's key takes precedence for this provider.";
  }
  if (!status.editable && status.lockedReason) {
    return `Your stored key is not in use: ${status.lockedReason}`;
  }
  return 'Your stored key is not in use.';
}

export const VALIDATION_FAILURE_MESSAGES: Record<KeyValidationFailure, string> = {
  invalid: 'The provider rejected this key. Check that it is complete and still active.',
  rate_limited: 'The provider is limiting requests right now, so the key could not be checked. Try again in a minute.',
  unreachable: 'The provider could not be reached, so the key could not be checked. Try again later.',
  timeout: 'The provider took too long to answer, so the key could not be checked. Try again.',
};
