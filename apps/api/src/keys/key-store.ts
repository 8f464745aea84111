import { Injectable, Logger } from '@nestjs/common';
import { maskKey, type KeyFormatRule } from '@byok/contracts';
import type { SessionRequest } from '../session/session-request';
import type { SessionData } from 'express-session';
import { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher, KeyCipherError } from '../crypto/key-cipher';
import type { StoredProviderKey } from '../session/session-data';
import { regenerateSession, saveSession } from '../session/session-operations';

/**
 * The user's provider keys, sealed inside their server-side session. Every ciphertext is bound
 * to the session id and provider, so setting a key (which regenerates the session id against
 * fixation) re-seals the others for the new id, with the newest keystore secret.
 */
@Injectable()
export class KeyStore {
  private readonly logger = new Logger(KeyStore.name);

  constructor(
    private readonly cipher: KeyCipher,
    private readonly fingerprinter: Fingerprinter,
  ) {}

  /** The stored key's record, or null when there is none or no configured secret can open it. */
  entry(session: Partial<SessionData>, providerId: string): StoredProviderKey | null {
    const keys = session.providerKeys;
    if (!keys || !Object.hasOwn(keys, providerId)) return null;
    const stored = keys[providerId];
    return this.cipher.hasSecretFor(stored.sealed) ? stored : null;
  }

  /** The plaintext key, or null when none is stored or it can no longer be opened. */
  read(req: SessionRequest, providerId: string): Secret | null {
    const stored = this.entry(req.session, providerId);
    if (!stored) return null;
    try {
      return this.cipher.open(stored.sealed, { sessionId: req.sessionID, providerId });
    } catch (error) {
      if (!(error instanceof KeyCipherError)) throw error;
      // Unopenable (secret retired, or tampered): the user is asked to set it again.
      this.logger.warn(`Stored ${providerId} key cannot be opened: ${error.message}`);
      return null;
    }
  }

  async put(req: SessionRequest, providerId: string, key: Secret, format: KeyFormatRule): Promise<void> {
    const kept = this.openAll(req);
    const { createdAt, csrfSeed } = req.session;
    await regenerateSession(req);
    req.session.createdAt = createdAt ?? Date.now();
    if (csrfSeed) req.session.csrfSeed = csrfSeed;
    const entries: Record<string, StoredProviderKey> = {};
    for (const [id, { key: keptKey, entry }] of kept) {
      entries[id] = { ...entry, sealed: this.cipher.seal(keptKey, { sessionId: req.sessionID, providerId: id }) };
    }
    entries[providerId] = {
      sealed: this.cipher.seal(key, { sessionId: req.sessionID, providerId }),
      masked: maskKey(key.reveal(), format),
      fingerprint: this.fingerprinter.of(key),
      setAt: Date.now(),
    };
    req.session.providerKeys = entries;
    await saveSession(req);
  }

  /** Removes one key; true when there was one. */
  async remove(req: SessionRequest, providerId: string): Promise<boolean> {
    const keys = req.session.providerKeys;
    if (!keys || !Object.hasOwn(keys, providerId)) return false;
    const rest = { ...keys };
    delete rest[providerId];
    req.session.providerKeys = rest;
    await saveSession(req);
    return true;
  }

  /** Destroys the session holding the keys and starts an empty one (keeping the CSRF binding). */
  async removeAll(req: SessionRequest): Promise<string[]> {
    const removed = Object.keys(req.session.providerKeys ?? {});
    const { csrfSeed } = req.session;
    await regenerateSession(req);
    req.session.createdAt = Date.now();
    if (csrfSeed) req.session.csrfSeed = csrfSeed;
    await saveSession(req);
    return removed;
  }

  private openAll(req: SessionRequest): Map<string, { key: Secret; entry: StoredProviderKey }> {
    const opened = new Map<string, { key: Secret; entry: StoredProviderKey }>();
    for (const [id, entry] of Object.entries(req.session.providerKeys ?? {})) {
      const key = this.read(req, id);
      if (key) opened.set(id, { key, entry });
    }
    return opened;
  }
}
