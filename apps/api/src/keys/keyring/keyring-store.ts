import type { KeyLifetimeId } from '@byok/contracts';
import type { SealedKey } from '../../crypto/key-cipher';

/** One provider key as kept in a keyring: sealed, plus what the status listing shows without opening it. */
export interface StoredProviderKey {
  sealed: SealedKey;
  masked: string;
  fingerprint: string;
  setAt: number;
  /** A signed-in person's key: the lifetime chosen for it. Absent in an anonymous session's keyring. */
  lifetime?: KeyLifetimeId;
  /** A signed-in person's key: when it lapses, whatever else the keyring holds. */
  expiresAt?: number;
  /** A key "for this session only": the sign-in it belongs to; other sign-ins of the person do not see it. */
  boundTo?: string;
}

/**
 * A session's or a person's provider keys, one record per provider, so setting, replacing or
 * clearing one key is a single atomic command and two changes at the same moment never overwrite
 * each other. Every method that writes also carries the keyring's expiry, which only ever moves
 * later: a keyring lapses with its session, or with the longest-lived key of its person.
 */
export abstract class KeyringStore {
  abstract get(keyringId: string, providerId: string): Promise<StoredProviderKey | null>;

  abstract getAll(keyringId: string): Promise<Map<string, StoredProviderKey>>;

  /** Stores one key and moves the keyring's expiry; true when it replaced a key of that provider. */
  abstract put(keyringId: string, providerId: string, entry: StoredProviderKey, expiresAt: number): Promise<boolean>;

  /** Removes one key; true when there was one. */
  abstract remove(keyringId: string, providerId: string): Promise<boolean>;

  /** Deletes the whole keyring at once; returns the providers it held keys for. */
  abstract removeAll(keyringId: string): Promise<string[]>;

  /**
   * Removes each given key only if the keyring still holds that very key (same sealed value), so
   * a key set again at the same moment by another request is kept; returns the providers removed.
   */
  abstract removeIfUnchanged(keyringId: string, entries: ReadonlyMap<string, StoredProviderKey>): Promise<string[]>;

  abstract extend(keyringId: string, expiresAt: number): Promise<void>;

  /**
   * The keyring id for a browser's first key: `candidate`, unless a concurrent first key of the
   * same browser claimed one in the last `ttlMs`, in which case both requests share that one.
   */
  abstract claim(claimId: string, candidate: string, ttlMs: number): Promise<string>;
}

export const KEYRING_PREFIX = 'byok:keyring:';
export const KEYRING_CLAIM_PREFIX = 'byok:keyring-claim:';
