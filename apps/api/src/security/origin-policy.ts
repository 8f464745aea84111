import type { Request } from 'express';

/** The origin this request was addressed to, as the browser saw it (through `trust proxy`). */
export function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

/**
 * Whether a browser request may act on this API: same-origin always, others only when listed.
 * A missing Origin (curl, server-to-server) is allowed here; CSRF tokens still guard it.
 */
export function isAllowedOrigin(req: Request, allowedOrigins: readonly string[]): boolean {
  const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
  if (origin === undefined) return true;
  return origin === ownOrigin(req) || allowedOrigins.includes(origin);
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}
