import type { IncomingHttpHeaders } from 'node:http';
import type { Session, SessionData, Store } from 'express-session';

/**
 * What key handling needs from a request: its loaded session. An express Request and a
 * socket.io handshake request (after the shared session middleware) both provide it.
 */
export interface SessionRequest {
  session: Session & Partial<SessionData>;
  sessionID: string;
  headers: IncomingHttpHeaders;
  /** Whether the request came over TLS (as Express decides it, behind a trusted proxy too). */
  secure?: boolean;
  /** Set by express-session on every request it handled. */
  sessionStore?: Store;
  /** Request id given by the HTTP logger, when there is one. */
  id?: unknown;
}
