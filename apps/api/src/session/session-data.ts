declare module 'express-session' {
  interface SessionData {
    /** When the session began (ms since epoch), for the absolute timeout: the moment of its first key, or of sign-in. */
    createdAt?: number;
    /** The random, stable id of an anonymous session's keyring; kept when the session id is regenerated. */
    keyringId?: string;
    /** Who signed in with this session (modes proxy and oidc); see SignIns. */
    signedIn?: SignedInSession;
    /** An OpenID Connect sign-in under way: what the callback must find again. */
    oidcLogin?: PendingOidcLogin;
  }
}

export interface SignedInSession {
  /** The person's stable id at the identity provider or proxy (OIDC `sub`). */
  personId: string;
  /** Random per sign-in: the keys set "for this session only" are bound to it. */
  signInId: string;
  groups: string[];
  /** Display name and email, sealed (the store holds no email in plain text); absent in proxy mode, whose headers carry them. */
  sealedProfile?: string;
}

export interface PendingOidcLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A path on this site to come back to. */
  returnTo: string;
  startedAt: number;
}

export {};
