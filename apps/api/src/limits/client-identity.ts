import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { Fingerprinter } from '../crypto/fingerprinter';

/**
 * Who a limit counts: a session by its keyring id, or a client address by a keyed hash, so
 * Redis never holds an address in plain text. A value that is not an IP address (a forged
 * forwarding header) never becomes an identity of its own: the peer's address stands in.
 */
@Injectable()
export class ClientIdentity {
  constructor(private readonly fingerprinter: Fingerprinter) {}

  ofAddress(address: string | undefined, peerAddress: string | undefined): string {
    const ip = address && isIP(address) ? address : (peerAddress ?? 'unknown');
    return `ip-${this.fingerprinter.of(`client-ip:${ip}`)}`;
  }

  /** A session's streams count together over every socket and both transports. */
  ofCaller(keyringId: string | undefined, address: string | undefined, peerAddress: string | undefined): string {
    return keyringId ?? this.ofAddress(address, peerAddress);
  }
}
