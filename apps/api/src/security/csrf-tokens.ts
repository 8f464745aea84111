import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../common/secret';

/**
 * Signed double-submit tokens: `<nonce>.<hmac(seed, nonce)>`, where the seed is a random value
 * in the browser's HttpOnly seed cookie. A token is valid only with the seed it was issued for,
 * and a cross-site page can neither read the cookies nor forge a token for the victim's seed.
 */
export class CsrfTokens {
  private readonly keys: Buffer[];

  constructor(sessionSecrets: readonly Secret[]) {
    this.keys = sessionSecrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', secret.reveal(), 'byok-csrf', 'byok csrf v1', 32)),
    );
  }

  static newSeed(): string {
    return randomBytes(18).toString('base64url');
  }

  issue(seed: string): string {
    const nonce = randomBytes(18).toString('base64url');
    return `${nonce}.${this.sign(this.keys[0], seed, nonce)}`;
  }

  /** True when the token was issued for this seed by any current session secret. */
  verify(token: string, seed: string): boolean {
    const [nonce, signature, ...rest] = token.split('.');
    if (!nonce || !signature || rest.length > 0) return false;
    const given = Buffer.from(signature);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.sign(key, seed, nonce));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private sign(key: Buffer, seed: string, nonce: string): string {
    return createHmac('sha256', key).update(`${seed}!${nonce}`).digest('base64url');
  }
}
