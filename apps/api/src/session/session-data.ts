declare module 'express-session' {
  interface SessionData {
    /** When the session began (ms since epoch), for the absolute timeout: the moment of its first key. */
    createdAt?: number;
    /** The random, stable id of the session's keyring; kept when the session id is regenerated. */
    keyringId?: string;
  }
}

export {};
