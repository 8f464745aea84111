import type { SealedKey } from '../crypto/key-cipher';

/** A user's key as kept in their session: sealed, plus what the status listing shows without opening it. */
export interface StoredProviderKey {
  sealed: SealedKey;
  masked: string;
  fingerprint: string;
  setAt: number;
}

declare module 'express-session' {
  interface SessionData {
    /** When the session began (ms since epoch), for the absolute timeout. */
    createdAt?: number;
    /** Random value CSRF tokens are bound to; survives session id regeneration. */
    csrfSeed?: string;
    providerKeys?: Record<string, StoredProviderKey>;
  }
}
