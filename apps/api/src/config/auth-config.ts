import { AUTH_MODES, KEY_LIFETIME_PATTERN, SESSION_KEY_LIFETIME, type KeyLifetimeId } from '@byok/contracts';
import { z } from 'zod';
import { Secret } from '../common/secret';
import { HTTP_PROTOCOLS, list, optional, parseList, parseSettings, required, SECRET, SETTING_DOCS, url, withDefault } from './config-parsers';

/** One lifetime a signed-in person may give a key: `ms` null for "this session only". */
export interface KeyLifetime {
  id: KeyLifetimeId;
  label: string;
  ms: number | null;
}

export interface ProxyAuthConfig {
  mode: 'proxy';
  /** Header names in lower case, as Node presents them. */
  userHeader: string;
  emailHeader: string | null;
  groupsHeader: string | null;
  signInUrl: string;
  signOutUrl: string;
}

export interface OidcAuthConfig {
  mode: 'oidc';
  issuer: URL;
  clientId: string;
  clientSecret: Secret;
  redirectUri: URL;
  scopes: string;
  groupsClaim: string;
  postLogoutRedirectUri: URL;
  /** Plain-HTTP issuer allowed: only for an issuer on a loopback address (a test or local IdP). */
  allowHttpIssuer: boolean;
}

export type AuthConfig = { mode: 'none' } | ProxyAuthConfig | OidcAuthConfig;

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an HTTP header name (letters, digits and -)')
  .transform((name) => name.toLowerCase());

/**
 * A sign-in or sign-out address: a path on this site, or an absolute http(s) URL. Either form
 * aborts on a mismatch, so anything else gets the one rule.
 */
const appUrl = z.union(
  [z.string().regex(/^\/(?!\/)/, { abort: true }), url(HTTP_PROTOCOLS).transform((value) => new URL(value).href)],
  'expected a path on this site or an http: or https: URL',
);

const PROXY_SETTINGS = {
  AUTH_PROXY_USER_HEADER: withDefault(
    'X-Forwarded-User',
    headerName,
    'proxy mode: header holding the signed-in person’s stable id. Believed only from the addresses TRUST_PROXY names.',
  ),
  AUTH_PROXY_EMAIL_HEADER: optional(headerName, 'proxy mode: optional header holding the person’s email (shown to them, never logged or stored).'),
  AUTH_PROXY_GROUPS_HEADER: optional(headerName, 'proxy mode: optional header holding the person’s groups, comma-separated.'),
  AUTH_PROXY_SIGN_IN_URL: withDefault('/oauth2/sign_in', appUrl, 'proxy mode: where a signed-out browser is sent to sign in.'),
  AUTH_PROXY_SIGN_OUT_URL: withDefault('/oauth2/sign_out', appUrl, 'proxy mode: where Sign out sends the browser after the API has ended its session.'),
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FOR_OIDC = 'is required when AUTH_MODE=oidc';
const oidcUrl = url(['https:', 'http:']).transform((value) => new URL(value));

const OIDC_SETTINGS = {
  OIDC_ISSUER: required(
    FOR_OIDC,
    oidcUrl.refine(
      (issuer) => issuer.protocol === 'https:' || LOOPBACK_HOSTS.has(issuer.hostname),
      'must be an https URL (plain http only for an issuer on a loopback address)',
    ),
    'oidc mode: the issuer URL (discovery at /.well-known/openid-configuration); https, or http on a loopback address.',
  ),
  OIDC_CLIENT_ID: required(FOR_OIDC, z.string(), 'oidc mode: the client id registered at the issuer.'),
  OIDC_CLIENT_SECRET: required(FOR_OIDC, SECRET, 'oidc mode: the client secret (client_secret_basic).'),
  OIDC_REDIRECT_URI: required(
    FOR_OIDC,
    oidcUrl.refine((uri) => uri.pathname === '/api/auth/callback', 'must end in /api/auth/callback, the route that completes a sign-in'),
    'oidc mode: the registered redirect URI, this site’s /api/auth/callback, e.g. https://chat.example.com/api/auth/callback.',
  ),
  OIDC_SCOPES: withDefault(
    'openid profile email',
    z
      .string()
      .transform((value) => parseList(value.replace(/\s+/g, ',')))
      .refine((scopes) => scopes.includes('openid'), 'must include openid')
      .transform((scopes) => scopes.join(' ')),
    'oidc mode: scopes requested at sign-in (space- or comma-separated; must include openid).',
  ),
  OIDC_GROUPS_CLAIM: withDefault(
    'groups',
    z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'expected a claim name (letters, digits, _ . : / -)'),
    'oidc mode: the ID token or userinfo claim listing the person’s groups.',
  ),
  OIDC_POST_LOGOUT_REDIRECT_URI: optional(oidcUrl, 'oidc mode: where the issuer sends the browser after sign-out (RP-initiated logout); the site root by default.'),
};

/** The settings of each AUTH_MODE are read only in that mode. */
export const AUTH_SCHEMA = z
  .discriminatedUnion(
    'AUTH_MODE',
    [
      z.object({ AUTH_MODE: z.literal('none').optional() }).transform((): AuthConfig => ({ mode: 'none' })),
      z.object({ AUTH_MODE: z.literal('proxy'), ...PROXY_SETTINGS }).transform(
        (env): AuthConfig => ({
          mode: 'proxy',
          userHeader: env.AUTH_PROXY_USER_HEADER,
          emailHeader: env.AUTH_PROXY_EMAIL_HEADER ?? null,
          groupsHeader: env.AUTH_PROXY_GROUPS_HEADER ?? null,
          signInUrl: env.AUTH_PROXY_SIGN_IN_URL,
          signOutUrl: env.AUTH_PROXY_SIGN_OUT_URL,
        }),
      ),
      z.object({ AUTH_MODE: z.literal('oidc'), ...OIDC_SETTINGS }).transform(
        (env): AuthConfig => ({
          mode: 'oidc',
          issuer: env.OIDC_ISSUER,
          clientId: env.OIDC_CLIENT_ID,
          clientSecret: env.OIDC_CLIENT_SECRET,
          redirectUri: env.OIDC_REDIRECT_URI,
          scopes: env.OIDC_SCOPES,
          groupsClaim: env.OIDC_GROUPS_CLAIM,
          postLogoutRedirectUri: env.OIDC_POST_LOGOUT_REDIRECT_URI ?? new URL('/', env.OIDC_REDIRECT_URI),
          allowHttpIssuer: env.OIDC_ISSUER.protocol === 'http:',
        }),
      ),
    ],
    `expected one of ${AUTH_MODES.join(', ')}`,
  )
  .register(SETTING_DOCS, {
    default: 'none',
    description:
      'none (anonymous sessions), proxy (an auth proxy in front passes the signed-in person in headers) or oidc (the API signs people in with OpenID Connect). With proxy or oidc every /api route but health needs a signed-in person.',
  });

/** Every sign-in setting, for the docs: AUTH_MODE is documented on the union that switches on it. */
export const AUTH_SETTINGS = { AUTH_MODE: AUTH_SCHEMA, ...PROXY_SETTINGS, ...OIDC_SETTINGS };

export const SESSION_LIFETIME: KeyLifetime = { id: SESSION_KEY_LIFETIME, label: 'This session only', ms: null };

function lifetimeOf(id: KeyLifetimeId): KeyLifetime {
  if (id === SESSION_KEY_LIFETIME) return SESSION_LIFETIME;
  const count = Number(id.slice(0, -1));
  const unit = id.endsWith('d') ? 'day' : 'hour';
  return { id, label: `${count} ${unit}${count === 1 ? '' : 's'}`, ms: count * (unit === 'day' ? 86_400_000 : 3_600_000) };
}

/**
 * KEY_LIFETIMES: `session`, or whole hours or days, the default first. Without sign-in only
 * `session` applies, since an anonymous session's keys cannot outlive it.
 */
export const KEY_LIFETIMES = withDefault(
  'session,1d,7d,30d',
  list(
    z
      .array(z.string().regex(KEY_LIFETIME_PATTERN, 'expected session or a number of hours or days such as 12h or 7d'))
      .min(1, 'must list at least one lifetime')
      .superRefine((ids, ctx) =>
        ids.forEach((id, index) => {
          if (ids.indexOf(id) !== index) ctx.addIssue({ code: 'custom', path: [index], message: 'is listed twice' });
        }),
      ),
  ).transform((ids) => ids.map(lifetimeOf)),
  'Lifetimes a signed-in person may choose for a key, the default first: session (forgotten at sign-out or when the session ends), or whole hours or days such as 12h or 7d. Without sign-in keys always last one session.',
);

export function readKeyLifetimes(value: string): KeyLifetime[] {
  return parseSettings(z.object({ KEY_LIFETIMES }), { KEY_LIFETIMES: value }).KEY_LIFETIMES;
}
