import type { KeyFormatRule } from './key-format';
import type { ProviderId } from './providers';

/**
 * Where the key in effect for a provider comes from: the server (env), the user's key for this
 * session only (session), a signed-in person's key kept past the session for its lifetime (user).
 */
export const KEY_SOURCES = ['env', 'session', 'user', 'none'] as const;
export type KeySource = (typeof KEY_SOURCES)[number];

/**
 * The admin's per-provider rule for combining the server's key (env) with the user's (session).
 * - env-only: only the server key is ever used; users cannot set one.
 * - env-first: the server key when there is one, else the user's (the default).
 * - user-first: the user's key when set, else the server key.
 * - user-only: only the user's key; the server key is ignored.
 */
export const KEY_POLICIES = ['env-only', 'env-first', 'user-first', 'user-only'] as const;
export type KeyPolicy = (typeof KEY_POLICIES)[number];
export const DEFAULT_KEY_POLICY: KeyPolicy = 'env-first';

export function isKeyPolicy(value: string): value is KeyPolicy {
  return (KEY_POLICIES as readonly string[]).includes(value);
}

export interface ProviderKeyStatus {
  id: ProviderId;
  name: string;
  /** Source of the key in effect for the next request. */
  source: KeySource;
  /** Masked session key (short prefix and last 4 characters); never shown for server keys. */
  masked: string | null;
  /** Whether this user may set a key for this provider right now; a stored key can always be cleared. */
  editable: boolean;
  /** Why `editable` is false, in words a user understands; null when editable. */
  lockedReason: string | null;
  policy: KeyPolicy;
  /**
   * When the stored key lapses: a session key with its session (idle or absolute timeout, whichever
   * is first), a signed-in person's key at the end of the lifetime chosen for it; null without one.
   */
  expiresAt: string | null;
  /** The lifetime the stored key was set with (an id from `lifetimes`); null without a stored key. */
  lifetime: KeyLifetimeId | null;
  /** False for providers that work without a key, such as a local Ollama. */
  keyRequired: boolean;
  /** The rule the server checks keys against, so forms can check before sending. */
  keyFormat: KeyFormatRule;
}

/**
 * How long a key is kept: `session` (until sign-out or the session ends) or a duration such as
 * `1d`, `7d`, `30d`, `12h`, from the list the administrator allows (KEY_LIFETIMES).
 */
export type KeyLifetimeId = string;
export const SESSION_KEY_LIFETIME: KeyLifetimeId = 'session';
/** A lifetime id: `session`, or a whole number of hours or days. */
export const KEY_LIFETIME_PATTERN = /^(session|[1-9]\d{0,3}[hd])$/;

export interface KeyLifetimeOption {
  id: KeyLifetimeId;
  /** Words for a picker: "This session only", "7 days". */
  label: string;
}

export interface ProviderKeysResponse {
  providers: ProviderKeyStatus[];
  /**
   * The lifetimes a key may be set with, the default first. Only `session` without sign-in, since
   * an anonymous session's keys cannot outlive it.
   */
  lifetimes: KeyLifetimeOption[];
}

export interface SetProviderKeyRequest {
  provider: ProviderId;
  apiKey: string;
  /** One of the response's `lifetimes`; the default (the first) when left out. */
  lifetime?: KeyLifetimeId;
}

/** Either one provider or every provider at once. */
export type ClearProviderKeyRequest = { provider: ProviderId } | { all: true };

export interface ValidateProviderKeyRequest {
  provider: ProviderId;
  /** The key to try; without it, the key in effect is tried. */
  apiKey?: string;
}

export const KEY_VALIDATION_FAILURES = ['invalid', 'rate_limited', 'unreachable', 'timeout'] as const;
export type KeyValidationFailure = (typeof KEY_VALIDATION_FAILURES)[number];

export interface ValidateProviderKeyResponse {
  valid: boolean;
  reason?: KeyValidationFailure;
}
