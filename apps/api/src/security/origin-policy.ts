import type { Request } from 'express';

/** The origin this request was addressed to, as the browser saw it (through `trust proxy`). */
export function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

/**
 * The one rule for HTTP requests and socket handshakes: this site's own origin always, others
 * only when listed. A missing Origin (curl, server-to-server) is allowed; CSRF tokens or the
 * session cookie still guard what such a client can do.
 */
export function originAllowed(origin: string | undefined, own: string, allowedOrigins: readonly string[]): boolean {
  return origin === undefined || origin === own || allowedOrigins.includes(origin);
}

/** Whether a browser request may act on this API; falls back to the Referer's origin. */
export function isAllowedOrigin(req: Request, allowedOrigins: readonly string[]): boolean {
  return originAllowed(req.get('origin') ?? refererOrigin(req.get('referer')), ownOrigin(req), allowedOrigins);
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}
