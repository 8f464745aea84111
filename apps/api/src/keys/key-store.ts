import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { maskKey, SESSION_KEY_LIFETIME, type KeyFormatRule, type KeySource } from '@byok/contracts';
import type { SessionData } from 'express-session';
import type { KeyLifetime } from '../config/auth-config';
import { Clock } from '../common/clock';
import { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher, KeyCipherError } from '../crypto/key-cipher';
import { readCsrfSeed } from '../security/csrf-seed';
import { ExtendThrottle, SessionLifetime } from '../session/session-lifetime';
import { regenerateSession, saveSession } from '../session/session-operations';
import type { SessionRequest } from '../session/session-request';
import { KeyringStore, type StoredProviderKey } from './keyring/keyring-store';

/**
 * The keyring a request or socket reads: an anonymous session's own (lives and lapses with the
 * session), or a signed-in person's (each key lapses at the end of the lifetime chosen for it).
 */
export type KeyringRef = SessionKeyringRef | PersonKeyringRef;

export interface SessionKeyringRef {
  kind: 'session';
  keyringId: string;
  /** When the session began: the absolute timeout counts from here. */
  createdAt: number;
}

export interface PersonKeyringRef {
  kind: 'person';
  keyringId: string;
  /** When this sign-in began: a key "for this session only" lapses with it at the latest. */
  createdAt: number;
  /** The sign-in whose session-only keys this caller sees; null where none was recorded (a socket opened first). */
  signInId: string | null;
}

/**
 * Long enough for the first keys of one browser sent at the same moment (two panel rows, two
 * tabs) to land in one keyring, short enough that the browser's CSRF seed stops mattering soon.
 */
const FIRST_KEY_CLAIM_MS = 10_000;

/** A user's key, opened, with the source it counts as. */
export interface UserKey {
  key: Secret;
  source: UserKeySource;
}

/** `session`: lasts one session (an anonymous one, or one sign-in); `user`: a person's key kept for a chosen lifetime. */
export type UserKeySource = Extract<KeySource, 'session' | 'user'>;

export function userKeySourceOf(entry: StoredProviderKey): UserKeySource {
  return entry.lifetime !== undefined && entry.lifetime !== SESSION_KEY_LIFETIME ? 'user' : 'session';
}

/** An anonymous session's keyring, once its first key gave it one. */
export function sessionKeyringOf(session: Partial<SessionData> | undefined): SessionKeyringRef | null {
  return session?.keyringId && session.createdAt !== undefined
    ? { kind: 'session', keyringId: session.keyringId, createdAt: session.createdAt }
    : null;
}

/**
 * The user's provider keys: sealed one per provider in the keyring their session (or, signed
 * in, their person) points to. Each key is sealed once, bound to the keyring and provider, and
 * every change touches one record, so concurrent changes of different keys never lose one another.
 */
@Injectable()
export class KeyStore {
  private readonly logger = new Logger(KeyStore.name);
  private readonly recentlyExtended: ExtendThrottle;

  constructor(
    private readonly cipher: KeyCipher,
    private readonly fingerprinter: Fingerprinter,
    private readonly keyrings: KeyringStore,
    private readonly lifetime: SessionLifetime,
    private readonly clock: Clock,
  ) {
    this.recentlyExtended = new ExtendThrottle(clock);
  }

  /** Every stored key that still opens; one that does not (secret retired, tampered) counts as absent. */
  async entries(ref: KeyringRef | null): Promise<Map<string, StoredProviderKey>> {
    if (!ref) return new Map();
    const [stored] = await Promise.all([this.keyrings.getAll(ref.keyringId), this.extendIfDue(ref)]);
    const lapsed = new Map<string, StoredProviderKey>();
    for (const [providerId, entry] of stored) {
      if (this.hasLapsed(entry)) lapsed.set(providerId, entry);
      if (!this.visibleTo(ref, entry) || !this.open(ref.keyringId, providerId, entry)) stored.delete(providerId);
    }
    // A person's keyring outlives its shorter-lived keys; the listing is where they are swept up.
    await this.keyrings.removeIfUnchanged(ref.keyringId, lapsed);
    return stored;
  }

  /** The plaintext key and its kind, or null when none is stored, it lapsed, or it can no longer be opened. */
  async read(ref: KeyringRef | null, providerId: string): Promise<UserKey | null> {
    if (!ref) return null;
    const [entry] = await Promise.all([this.keyrings.get(ref.keyringId, providerId), this.extendIfDue(ref)]);
    if (!entry || !this.visibleTo(ref, entry)) return null;
    const key = this.open(ref.keyringId, providerId, entry);
    return key ? { key, source: userKeySourceOf(entry) } : null;
  }

  /**
   * Stores one key and tells whether it replaced one. An anonymous session's first key gives it a
   * keyring and a new session id (against fixation); later keys change nothing but their own
   * record. A signed-in person's key lapses at the end of `lifetime`; "this session only" binds
   * it to the sign-in, which it cannot outlive.
   */
  async put(
    req: SessionRequest,
    ref: KeyringRef | null,
    providerId: string,
    key: Secret,
    format: KeyFormatRule,
    lifetime: KeyLifetime,
  ): Promise<{ replaced: boolean; entry: StoredProviderKey }> {
    const keyring = ref ?? (await this.startKeyring(req));
    const entry: StoredProviderKey = {
      sealed: this.cipher.seal(key, { keyringId: keyring.keyringId, providerId }),
      masked: maskKey(key.reveal(), format),
      fingerprint: this.fingerprinter.of(key),
      setAt: this.clock.now(),
      ...(keyring.kind === 'person' ? this.personTerms(keyring, lifetime) : {}),
    };
    const expiresAt = entry.expiresAt ?? this.lifetime.keyringExpiresAt(keyring.createdAt);
    const replaced = await this.keyrings.put(keyring.keyringId, providerId, entry, expiresAt);
    this.recentlyExtended.extended(keyring.keyringId);
    return { replaced, entry };
  }

  /** Signing out: the keys this sign-in set "for this session only" go; the person's others stay. */
  async forgetSignIn(ref: PersonKeyringRef): Promise<string[]> {
    if (ref.signInId === null) return [];
    const stored = await this.keyrings.getAll(ref.keyringId);
    const bound = new Map([...stored].filter(([, entry]) => entry.boundTo === ref.signInId));
    return this.keyrings.removeIfUnchanged(ref.keyringId, bound);
  }

  /** Removes one key; true when there was one. */
  async remove(ref: KeyringRef | null, providerId: string): Promise<boolean> {
    return ref ? this.keyrings.remove(ref.keyringId, providerId) : false;
  }

  /** Deletes every key at once; the session keeps its keyring id, so a key set later lands where every socket looks. */
  async removeAll(ref: KeyringRef | null): Promise<string[]> {
    return ref ? this.keyrings.removeAll(ref.keyringId) : [];
  }

  /**
   * The browser's first key: the session id is regenerated and the session, stored from now on,
   * points to a new keyring. First keys sent at the same moment carry the same CSRF seed, and
   * share the keyring the first of them claimed, so whichever session cookie the browser keeps
   * holds all of them.
   */
  private async startKeyring(req: SessionRequest): Promise<SessionKeyringRef> {
    const candidate = randomBytes(18).toString('base64url');
    const seed = readCsrfSeed(req, req.secure === true);
    const keyringId = seed
      ? await this.keyrings.claim(this.fingerprinter.of(`first-key:${seed}`), candidate, FIRST_KEY_CLAIM_MS)
      : candidate;
    await regenerateSession(req);
    req.session.createdAt = this.clock.now();
    req.session.keyringId = keyringId;
    await saveSession(req);
    return { kind: 'session', keyringId, createdAt: req.session.createdAt };
  }

  private personTerms(ref: PersonKeyringRef, lifetime: KeyLifetime): Pick<StoredProviderKey, 'lifetime' | 'expiresAt' | 'boundTo'> {
    if (lifetime.ms !== null) {
      return { lifetime: lifetime.id, expiresAt: this.clock.now() + lifetime.ms };
    }
    if (ref.signInId === null) {
      throw new Error('A session-only key needs the sign-in it belongs to');
    }
    return { lifetime: lifetime.id, expiresAt: this.lifetime.absoluteEnd(ref.createdAt), boundTo: ref.signInId };
  }

  private hasLapsed(entry: StoredProviderKey): boolean {
    return entry.expiresAt !== undefined && entry.expiresAt <= this.clock.now();
  }

  /** A lapsed key, or another sign-in's session-only key, counts as absent. */
  private visibleTo(ref: KeyringRef, entry: StoredProviderKey): boolean {
    if (this.hasLapsed(entry)) return false;
    return entry.boundTo === undefined || (ref.kind === 'person' && entry.boundTo === ref.signInId);
  }

  private open(keyringId: string, providerId: string, entry: StoredProviderKey): Secret | null {
    if (!this.cipher.hasSecretFor(entry.sealed)) return null;
    try {
      return this.cipher.open(entry.sealed, { keyringId, providerId });
    } catch (error) {
      if (!(error instanceof KeyCipherError)) throw error;
      this.logger.warn(`Stored ${providerId} key cannot be opened: ${error.message}`);
      return null;
    }
  }

  /**
   * Activity keeps a session's keyring alive as long as the session, with at most one write a
   * minute per keyring. A person's keyring lives as long as its keys' lifetimes say, used or not.
   */
  private async extendIfDue(ref: KeyringRef): Promise<void> {
    if (ref.kind === 'person' || !this.recentlyExtended.due(ref.keyringId)) return;
    await this.keyrings.extend(ref.keyringId, this.lifetime.keyringExpiresAt(ref.createdAt));
  }
}
