import { createHmac, hkdfSync } from 'node:crypto';
import type { Secret } from '../common/secret';

/**
 * Keyed hashes that let audit lines and caches tell keys and sessions apart without holding
 * them: without the server secret a fingerprint cannot be checked against a guessed key.
 */
export class Fingerprinter {
  private readonly hmacKey: Buffer;

  constructor(secret: Secret) {
    this.hmacKey = Buffer.from(hkdfSync('sha256', secret.reveal(), 'byok-fingerprint', 'byok fingerprint v1', 32));
  }

  /** 12 base64url characters (72 bits): short for logs, ample to tell keys apart. */
  of(value: Secret | string): string {
    const text = typeof value === 'string' ? value : value.reveal();
    return createHmac('sha256', this.hmacKey).update(text, 'utf8').digest('base64url').slice(0, 12);
  }
}
