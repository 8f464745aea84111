/**
 * How people are signed in:
 * - none: no sign-in; every visitor has an anonymous session (the default).
 * - proxy: an auth proxy in front signs people in and passes them in trusted headers.
 * - oidc: the API signs people in itself with OpenID Connect.
 */
export const AUTH_MODES = ['none', 'proxy', 'oidc'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The signed-in person as shown to themselves; never logged. */
export interface SignedInPerson {
  /** A name to show: the display name, else the email, else the id. */
  displayName: string;
  email: string | null;
}

/** GET /api/auth/session. */
export interface AuthSessionResponse {
  mode: AuthMode;
  /** Null when no one is signed in (always null in mode `none`). */
  person: SignedInPerson | null;
  /** Where a signed-out visitor goes to sign in (a full-page navigation); null in mode `none`. */
  signInUrl: string | null;
  /** Whether the sign-out action applies (modes proxy and oidc). */
  canSignOut: boolean;
}

/** POST /api/auth/logout. */
export interface SignOutResponse {
  /** Where the browser goes next: the identity provider's logout page, the proxy's, or the app. */
  redirectTo: string;
}
