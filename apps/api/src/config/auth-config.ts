import { AUTH_MODES, KEY_LIFETIME_PATTERN, SESSION_KEY_LIFETIME, type KeyLifetimeId } from '@byok/contracts';
import { Secret } from '../common/secret';
import { ConfigError } from './config-error';
import { type Env, parseEnum, parseList, parseUrl, readSetting } from './config-parsers';

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

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function readAuthConfig(env: Env, setting: (name: string) => string): AuthConfig {
  const mode = parseEnum('AUTH_MODE', setting('AUTH_MODE'), AUTH_MODES);
  if (mode === 'none') return { mode };
  if (mode === 'proxy') {
    return {
      mode,
      userHeader: headerName('AUTH_PROXY_USER_HEADER', setting('AUTH_PROXY_USER_HEADER')),
      emailHeader: optionalHeader(env, 'AUTH_PROXY_EMAIL_HEADER'),
      groupsHeader: optionalHeader(env, 'AUTH_PROXY_GROUPS_HEADER'),
      signInUrl: appUrl('AUTH_PROXY_SIGN_IN_URL', setting('AUTH_PROXY_SIGN_IN_URL')),
      signOutUrl: appUrl('AUTH_PROXY_SIGN_OUT_URL', setting('AUTH_PROXY_SIGN_OUT_URL')),
    };
  }
  const issuer = parseUrl('OIDC_ISSUER', required(env, 'OIDC_ISSUER'), ['https:', 'http:']);
  const allowHttpIssuer = issuer.protocol === 'http:';
  if (allowHttpIssuer && !LOOPBACK_HOSTS.has(issuer.host.replace(/:\d+$/, ''))) {
    throw new ConfigError('OIDC_ISSUER', 'must be an https URL (plain http only for an issuer on a loopback address)');
  }
  const redirectUri = parseUrl('OIDC_REDIRECT_URI', required(env, 'OIDC_REDIRECT_URI'), ['https:', 'http:']);
  if (redirectUri.pathname !== '/api/auth/callback') {
    throw new ConfigError('OIDC_REDIRECT_URI', 'must end in /api/auth/callback, the route that completes a sign-in');
  }
  const groupsClaim = setting('OIDC_GROUPS_CLAIM');
  if (!CLAIM_NAME.test(groupsClaim)) {
    throw new ConfigError('OIDC_GROUPS_CLAIM', 'expected a claim name (letters, digits, _ . : / -)');
  }
  const scopes = parseList(setting('OIDC_SCOPES').replace(/\s+/g, ','));
  if (!scopes.includes('openid')) {
    throw new ConfigError('OIDC_SCOPES', 'must include openid');
  }
  const postLogout = readSetting(env, 'OIDC_POST_LOGOUT_REDIRECT_URI');
  return {
    mode,
    issuer,
    clientId: required(env, 'OIDC_CLIENT_ID'),
    clientSecret: new Secret(required(env, 'OIDC_CLIENT_SECRET')),
    redirectUri,
    scopes: scopes.join(' '),
    groupsClaim,
    postLogoutRedirectUri: postLogout
      ? parseUrl('OIDC_POST_LOGOUT_REDIRECT_URI', postLogout, ['https:', 'http:'])
      : new URL('/', redirectUri),
    allowHttpIssuer,
  };
}

/**
 * KEY_LIFETIMES: `session`, or whole hours or days, the default first. Without sign-in only
 * `session` applies, since an anonymous session's keys cannot outlive it.
 */
export function readKeyLifetimes(value: string): KeyLifetime[] {
  const entries = parseList(value);
  if (entries.length === 0) {
    throw new ConfigError('KEY_LIFETIMES', 'must list at least one lifetime');
  }
  const seen = new Set<string>();
  return entries.map((id) => {
    if (!KEY_LIFETIME_PATTERN.test(id)) {
      throw new ConfigError('KEY_LIFETIMES', `expected session or a number of hours or days such as 12h or 7d, got "${id}"`);
    }
    if (seen.has(id)) throw new ConfigError('KEY_LIFETIMES', `lists "${id}" twice`);
    seen.add(id);
    return lifetimeOf(id);
  });
}

export const SESSION_LIFETIME: KeyLifetime = { id: SESSION_KEY_LIFETIME, label: 'This session only', ms: null };

function lifetimeOf(id: KeyLifetimeId): KeyLifetime {
  if (id === SESSION_KEY_LIFETIME) return SESSION_LIFETIME;
  const count = Number(id.slice(0, -1));
  const unit = id.endsWith('d') ? 'day' : 'hour';
  return { id, label: `${count} ${unit}${count === 1 ? '' : 's'}`, ms: count * (unit === 'day' ? 86_400_000 : 3_600_000) };
}

/** KEY_ENV_GROUPS_<PROVIDER>: the groups whose members may use the server's key; null when everyone signed in may. */
export function readEnvKeyGroups(env: Env, name: string, authMode: AuthConfig['mode']): string[] | null {
  const raw = readSetting(env, name);
  if (!raw) return null;
  if (authMode === 'none') {
    throw new ConfigError(name, 'needs sign-in to know anyone’s groups: set AUTH_MODE to proxy or oidc');
  }
  return parseList(raw);
}

function required(env: Env, name: string): string {
  const value = readSetting(env, name);
  if (!value) throw new ConfigError(name, 'is required when AUTH_MODE=oidc');
  return value;
}

function headerName(name: string, value: string): string {
  if (!HEADER_NAME.test(value)) throw new ConfigError(name, 'expected an HTTP header name (letters, digits and -)');
  return value.toLowerCase();
}

function optionalHeader(env: Env, name: string): string | null {
  const value = readSetting(env, name);
  return value ? headerName(name, value) : null;
}

/** A sign-in or sign-out address: a path on this site, or an absolute http(s) URL. */
function appUrl(name: string, value: string): string {
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  return parseUrl(name, value, ['https:', 'http:']).href;
}
