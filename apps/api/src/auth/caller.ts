import type { Request } from 'express';
import type { KeyringRef } from '../keys/key-store';
import type { Person } from './person';

/**
 * Who is asking, looked up once per HTTP request (AuthMiddleware) or socket (at its handshake),
 * and handed down to whatever the request does: keys, limits and audit lines all read it here.
 */
export interface Caller {
  /** The signed-in person; always null in AUTH_MODE=none. */
  person: Person | null;
  /** The keyring the caller's keys live in: the person's when signed in, else the session's (once it has one). */
  keyring: KeyringRef | null;
  /** Who the stream and rate limits count: the person, else the session, else the client address (all hashed). */
  limitIdentity: string;
  /** Who the key-route rate limit counts: the person, else the client address (a session is too cheap to make anew). */
  keyLimitIdentity: string;
  /** The client address as the limits know it (hashed), for the caps every address has, signed in or not. */
  addressIdentity: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by AuthMiddleware on every route that uses keys. */
    caller?: Caller;
  }
}

/** AuthMiddleware runs before every route that uses keys, so a missing caller is a wiring fault, not the request's. */
export function callerOf(req: Request): Caller {
  if (!req.caller) throw new Error('AuthMiddleware did not run for this route');
  return req.caller;
}
