import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { maskKey, type KeyFormatRule } from '@byok/contracts';
import type { SessionData } from 'express-session';
import { Clock } from '../common/clock';
import { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher, KeyCipherError } from '../crypto/key-cipher';
import { readCsrfSeed } from '../security/csrf-seed';
import { ExtendThrottle, SessionLifetime } from '../session/session-lifetime';
import { regenerateSession, saveSession } from '../session/session-operations';
import type { SessionRequest } from '../session/session-request';
import { KeyringStore, type StoredProviderKey } from './keyring/keyring-store';

/** A session's keyring as a request or socket knows it. */
export interface KeyringRef {
  keyringId: string;
  createdAt: number;
}

/**
 * Long enough for the first keys of one browser sent at the same moment (two panel rows, two
 * tabs) to land in one keyring, short enough that the browser's CSRF seed stops mattering soon.
 */
const FIRST_KEY_CLAIM_MS = 10_000;

export function keyringOf(session: Partial<SessionData> | undefined): KeyringRef | null {
  return session?.keyringId && session.createdAt !== undefined
    ? { keyringId: session.keyringId, createdAt: session.createdAt }
    : null;
}

/**
 * The user's provider keys: sealed one per provider in the keyring their session points to.
 * Each key is sealed once, bound to the keyring and provider, and every change touches one
 * record, so concurrent changes of different keys never lose one another.
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
    for (const [providerId, entry] of stored) {
      if (!this.open(ref.keyringId, providerId, entry)) stored.delete(providerId);
    }
    return stored;
  }

  /** The plaintext key, or null when none is stored or it can no longer be opened. */
  async read(ref: KeyringRef | null, providerId: string): Promise<Secret | null> {
    if (!ref) return null;
    const [entry] = await Promise.all([this.keyrings.get(ref.keyringId, providerId), this.extendIfDue(ref)]);
    return entry ? this.open(ref.keyringId, providerId, entry) : null;
  }

  /**
   * Stores one key and tells whether it replaced one. The session's first key gives it a keyring and a
   * new session id (against fixation); later keys change nothing but their own record.
   */
  async put(
    req: SessionRequest,
    providerId: string,
    key: Secret,
    format: KeyFormatRule,
  ): Promise<{ replaced: boolean; entry: StoredProviderKey }> {
    const ref = keyringOf(req.session) ?? (await this.startKeyring(req));
    const entry: StoredProviderKey = {
      sealed: this.cipher.seal(key, { keyringId: ref.keyringId, providerId }),
      masked: maskKey(key.reveal(), format),
      fingerprint: this.fingerprinter.of(key),
      setAt: this.clock.now(),
    };
    const replaced = await this.keyrings.put(ref.keyringId, providerId, entry, this.lifetime.keyringExpiresAt(ref.createdAt));
    this.recentlyExtended.extended(ref.keyringId);
    return { replaced, entry };
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
  private async startKeyring(req: SessionRequest): Promise<KeyringRef> {
    const candidate = randomBytes(18).toString('base64url');
    const seed = readCsrfSeed(req, req.secure === true);
    const keyringId = seed
      ? await this.keyrings.claim(this.fingerprinter.of(`first-key:${seed}`), candidate, FIRST_KEY_CLAIM_MS)
      : candidate;
    await regenerateSession(req);
    req.session.createdAt = this.clock.now();
    req.session.keyringId = keyringId;
    await saveSession(req);
    return { keyringId, createdAt: req.session.createdAt };
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

  /** Activity keeps the keyring alive as long as its session, with at most one write a minute per keyring. */
  private async extendIfDue(ref: KeyringRef): Promise<void> {
    if (!this.recentlyExtended.due(ref.keyringId)) return;
    await this.keyrings.extend(ref.keyringId, this.lifetime.keyringExpiresAt(ref.createdAt));
  }
}
