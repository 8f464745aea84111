/** HTTP paths of the API, shared so clients and server cannot drift. */
export const API_ROUTES = {
  providerKeys: '/api/providers/keys',
  setProviderKey: '/api/providers/keys/set',
  clearProviderKey: '/api/providers/keys/clear',
  validateProviderKey: '/api/providers/keys/validate',
  chatStream: '/api/chat/stream',
  /** Replace `:id` with the provider id. */
  providerModels: '/api/providers/:id/models',
  /** Who is signed in, and where to sign in or out (answered signed in or not). */
  authSession: '/api/auth/session',
  /** GET: starts an OpenID Connect sign-in; `?returnTo=/path` comes back to that page. */
  signIn: '/api/auth/login',
  signInCallback: '/api/auth/callback',
  /** POST (with the XSRF header): ends the session; answers where the browser goes next. */
  signOut: '/api/auth/logout',
  health: '/api/health',
  ready: '/api/health/ready',
} as const;

/** Angular's default XSRF names, which the server honours. */
export const XSRF_COOKIE_NAME = 'XSRF-TOKEN';
export const XSRF_HEADER_NAME = 'X-XSRF-TOKEN';
