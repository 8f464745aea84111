import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Clock } from '../common/clock';
import type { ProxyAuthConfig } from '../config/auth-config';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { type KeyringRef, sessionKeyringOf } from '../keys/key-store';
import { ClientIdentity } from '../limits/client-identity';
import { clientAddressOf, TRUST_FUNCTION, type TrustFunction } from '../security/trust-proxy';
import type { SessionRequest } from '../session/session-request';
import type { Caller } from './caller';
import { identityGroups, identityText, type Person, personKeyringId } from './person';
import { SignIns } from './sign-ins';

/**
 * Who is asking, by AUTH_MODE: nobody in particular (none), the person an auth proxy names in
 * its headers (proxy), or the person the session's OpenID Connect sign-in recorded (oidc).
 */
@Injectable()
export class CallerResolver {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TRUST_FUNCTION) private readonly trust: TrustFunction,
    private readonly identity: ClientIdentity,
    private readonly signIns: SignIns,
    private readonly clock: Clock,
  ) {}

  /** An HTTP request's caller. Behind an auth proxy, a person new to this session is recorded as signed in. */
  async ofRequest(req: Request): Promise<Caller> {
    const person = this.personOf(req);
    if (person && this.config.auth.mode === 'proxy' && req.session.signedIn?.personId !== person.id) {
      await this.signIns.begin(req, person, false);
    }
    return this.callerOf(req, person, req.ip);
  }

  /** A socket handshake's caller; a handshake only reads the session, it never writes one. */
  ofHandshake(handshake: IncomingMessage): Caller {
    const req = handshake as IncomingMessage & SessionRequest;
    return this.callerOf(req, this.personOf(req), clientAddressOf(handshake, this.trust));
  }

  private personOf(req: IncomingMessage & SessionRequest): Person | null {
    const auth = this.config.auth;
    switch (auth.mode) {
      case 'none':
        return null;
      case 'proxy':
        return this.fromProxy(req, auth);
      case 'oidc':
        return req.session?.signedIn ? this.signIns.personOf(req.session.signedIn) : null;
    }
  }

  /**
   * The proxy's headers, believed only when the direct peer is a proxy TRUST_PROXY names: from
   * anyone else (a client reaching the API directly) they are ignored, whatever X-Forwarded-For says.
   */
  private fromProxy(req: IncomingMessage, auth: ProxyAuthConfig): Person | null {
    if (!this.trust(req.socket.remoteAddress ?? '', 0)) return null;
    const id = identityText(singleHeader(req, auth.userHeader));
    if (!id) return null;
    const email = auth.emailHeader ? identityText(singleHeader(req, auth.emailHeader)) : null;
    const groups = auth.groupsHeader ? identityGroups((singleHeader(req, auth.groupsHeader) ?? '').split(',')) : [];
    return { id, displayName: email ?? id, email, groups };
  }

  private callerOf(req: IncomingMessage & SessionRequest, person: Person | null, address: string | undefined): Caller {
    const byAddress = this.identity.ofAddress(address, req.socket.remoteAddress);
    if (!person) {
      const keyring = sessionKeyringOf(req.session);
      return { person, keyring, limitIdentity: keyring?.keyringId ?? byAddress, keyLimitIdentity: byAddress, addressIdentity: byAddress };
    }
    const byPerson = this.identity.ofPerson(person.id);
    return {
      person,
      keyring: this.personKeyring(req, person),
      limitIdentity: byPerson,
      keyLimitIdentity: byPerson,
      addressIdentity: byAddress,
    };
  }

  private personKeyring(req: SessionRequest, person: Person): KeyringRef {
    const signedIn = req.session?.signedIn?.personId === person.id ? req.session.signedIn : undefined;
    return {
      kind: 'person',
      keyringId: personKeyringId(person.id),
      createdAt: (signedIn && req.session.createdAt) || this.clock.now(),
      signInId: signedIn?.signInId ?? null,
    };
  }
}

/** A header sent twice is ambiguous, so it names no one. */
function singleHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
