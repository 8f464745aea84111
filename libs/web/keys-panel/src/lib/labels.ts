import type { KeyPolicy, KeySource, KeyValidationFailure, ProviderKeyStatus } from '@byok/contracts';

/** Chip text per key source; text rather than colour alone, so the state reads without colour. */
export const KEY_SOURCE_LABELS: Record<KeySource, string> = {
  env: 'ENV',
  session: 'SESSION',
  none: 'none',
};

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
  if (status.masked === null || status.source === 'session') {
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
