import { parse } from 'cookie';
import type { IncomingMessage } from 'node:http';

/**
 * The random value CSRF tokens are bound to, in its own HttpOnly cookie, so a visitor gets a
 * working token without the server storing anything for them. Over TLS it takes the `__Host-`
 * prefix, so no other site on a parent domain can plant one.
 */
export const CSRF_SEED_COOKIE = 'byok.csrf';
export const SECURE_CSRF_SEED_COOKIE = '__Host-byok.csrf';

export function csrfSeedCookieName(secure: boolean): string {
  return secure ? SECURE_CSRF_SEED_COOKIE : CSRF_SEED_COOKIE;
}

export function readCookie(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header)[name] : undefined;
}

export function readCsrfSeed(req: Pick<IncomingMessage, 'headers'>, secure: boolean): string | undefined {
  return readCookie(req, csrfSeedCookieName(secure));
}
