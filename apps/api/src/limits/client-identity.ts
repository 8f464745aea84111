import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { Fingerprinter } from '../crypto/fingerprinter';

/**
 * Who a limit counts: a person or a client address by a keyed hash (a session by its keyring
 * id), so Redis never holds an address or a person's id in plain text. A value that is not an IP address (a forged
 * forwarding header) never becomes an identity of its own: the peer's address stands in.
 */
@Injectable()
export class ClientIdentity {
  constructor(private readonly fingerprinter: Fingerprinter) {}

  ofAddress(address: string | undefined, peerAddress: string | undefined): string {
    const ip = address && isIP(address) ? address : (peerAddress ?? 'unknown');
    return `ip-${this.fingerprinter.of(`client-ip:${ip}`)}`;
  }

  /** A signed-in person counts as one, over every session, browser and instance. */
  ofPerson(personId: string): string {
    return `person-${this.fingerprinter.of(`person:${personId}`)}`;
  }
}
