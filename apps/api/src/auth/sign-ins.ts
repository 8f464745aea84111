import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { Clock } from '../common/clock';
import { Secret } from '../common/secret';
import { KeyCipher, KeyCipherError, type SealedKey } from '../crypto/key-cipher';
import type { PersonKeyringRef } from '../keys/key-store';
import { KeyStore } from '../keys/key-store';
import type { SignedInSession } from '../session/session-data';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../session/session-middleware.factory';
import { regenerateSession, saveSession } from '../session/session-operations';
import type { SessionRequest } from '../session/session-request';
import { storeUnavailable } from '../common/errors/api-exception';
import { type Person, personKeyringId } from './person';

interface Profile {
  displayName: string;
  email: string | null;
}

/** What the sealed profile is bound to: it opens only in the record of the person it describes. */
const PROFILE_SEAL = 'profile';

/**
 * Beginning and ending a sign-in in the session. A sign-in always gets a new session id (against
 * fixation) and a random sign-in id that its "this session only" keys are bound to.
 */
@Injectable()
export class SignIns {
  private readonly logger = new Logger(SignIns.name);

  constructor(
    private readonly cipher: KeyCipher,
    private readonly keys: KeyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * `keepProfile`: OIDC mode keeps the name and email (sealed) for later requests; in proxy mode
   * the proxy's headers bring them with every request instead.
   */
  async begin(req: SessionRequest, person: Person, keepProfile: boolean): Promise<void> {
    await regenerateSession(req);
    const signedIn: SignedInSession = {
      personId: person.id,
      signInId: randomBytes(18).toString('base64url'),
      groups: [...person.groups],
    };
    if (keepProfile) {
      const profile: Profile = { displayName: person.displayName, email: person.email };
      signedIn.sealedProfile = this.cipher.seal(new Secret(JSON.stringify(profile)), sealContext(person.id));
    }
    req.session.createdAt = this.clock.now();
    req.session.signedIn = signedIn;
    await saveSession(req);
  }

  /** The person a session's OIDC sign-in recorded; the name falls back to the id if the profile no longer opens. */
  personOf(signedIn: SignedInSession): Person {
    const profile = signedIn.sealedProfile ? this.openProfile(signedIn.personId, signedIn.sealedProfile) : null;
    return {
      id: signedIn.personId,
      displayName: profile?.displayName ?? signedIn.personId,
      email: profile?.email ?? null,
      groups: signedIn.groups,
    };
  }

  /** Signing out: this sign-in's session-only keys go, then the session itself. Returns the providers whose keys went. */
  async end(req: SessionRequest, res: Response, keyring: PersonKeyringRef | null): Promise<string[]> {
    const forgotten = keyring ? await this.keys.forgetSignIn(keyring) : [];
    await new Promise<void>((resolve, reject) =>
      req.session.destroy((error: unknown) => (error ? reject(storeUnavailable()) : resolve())),
    );
    res.clearCookie(req.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, { path: '/', httpOnly: true, secure: req.secure === true, sameSite: 'lax' });
    return forgotten;
  }

  private openProfile(personId: string, sealed: string): Profile | null {
    const envelope = sealed as SealedKey;
    if (!this.cipher.hasSecretFor(envelope)) return null;
    try {
      return JSON.parse(this.cipher.open(envelope, sealContext(personId)).reveal()) as Profile;
    } catch (error) {
      if (!(error instanceof KeyCipherError)) throw error;
      this.logger.warn(`A signed-in profile cannot be opened: ${error.message}`);
      return null;
    }
  }
}

function sealContext(personId: string): { keyringId: string; providerId: string } {
  return { keyringId: personKeyringId(personId), providerId: PROFILE_SEAL };
}
