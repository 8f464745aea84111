import type { Session, SessionData, Store } from 'express-session';

/**
 * What key handling needs from a request: its loaded session. An express Request and a
 * socket.io handshake request (after the shared session middleware) both provide it.
 */
export interface SessionRequest {
  session: Session & Partial<SessionData>;
  sessionID: string;
  /** Set by express-session on every request it handled. */
  sessionStore?: Store;
  /** Request id given by the HTTP logger, when there is one. */
  id?: unknown;
}
