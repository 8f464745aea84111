import { createHash } from 'node:crypto';

/** A signed-in person, as the identity provider or the auth proxy names them. */
export interface Person {
  /** The stable id (OIDC `sub`, the proxy's user header): what keys, limits and audit lines follow. */
  id: string;
  displayName: string;
  /** Shown to the person themselves; never logged, never stored in plain text. */
  email: string | null;
  groups: readonly string[];
}

/**
 * The keyring a person's keys live in. Named by a plain hash of their id rather than a keyed
 * one, so it survives the rotation of KEYSTORE_SECRETS and the revocation command can find it
 * from the id alone; the keys inside stay sealed, so the name tells a store reader nothing more.
 */
export function personKeyringId(personId: string): string {
  return `p-${createHash('sha256').update(`byok-person:${personId}`, 'utf8').digest('base64url').slice(0, 32)}`;
}

const MAX_ID_LENGTH = 256;
const MAX_GROUPS = 200;
// Printable text only: a header or claim with control characters is not an identity.
const PRINTABLE = /^[^\p{Cc}]+$/u;

/** A person id, name, email or group as the identity source gives it; null when it is not usable text. */
export function identityText(value: unknown, maxLength = MAX_ID_LENGTH): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text.length > 0 && text.length <= maxLength && PRINTABLE.test(text) ? text : null;
}

export function identityGroups(values: readonly unknown[]): string[] {
  return values.flatMap((value) => identityText(value, 128) ?? []).slice(0, MAX_GROUPS);
}
