/**
 * Every environment setting the API reads. docs/configuration.md is checked against this list,
 * so a setting cannot be added here without being documented there.
 */
export interface SettingDoc {
  name: string;
  default: string | null;
  description: string;
}

export const SETTINGS: readonly SettingDoc[] = [
  { name: 'NODE_ENV', default: 'development', description: 'production makes missing secrets fatal.' },
  { name: 'HOST', default: '0.0.0.0', description: 'Interface the HTTP server listens on.' },
  { name: 'PORT', default: '3000', description: 'HTTP port.' },
  {
    name: 'REDIS_URL',
    default: null,
    description: 'redis:// or rediss:// URL of the shared session store; without it sessions live in this process only.',
  },
  { name: 'REDIS_TLS_CA_FILE', default: null, description: 'PEM file of the CA that signed the Redis servers’ certificates; turns TLS on for every topology.' },
  { name: 'REDIS_SENTINELS', default: null, description: 'Redis Sentinel: comma-separated host:port of the sentinels (instead of REDIS_URL).' },
  { name: 'REDIS_SENTINEL_NAME', default: null, description: 'Redis Sentinel: the name the sentinels monitor the primary under.' },
  { name: 'REDIS_SENTINEL_PASSWORD', default: null, description: 'Redis Sentinel: the sentinels’ own password, when they require one.' },
  { name: 'REDIS_CLUSTER_NODES', default: null, description: 'Redis Cluster: comma-separated host:port of some cluster nodes (instead of REDIS_URL).' },
  { name: 'REDIS_USERNAME', default: null, description: 'Sentinel or Cluster: the ACL user of the data nodes.' },
  { name: 'REDIS_PASSWORD', default: null, description: 'Sentinel or Cluster: the password of the data nodes (the primary and its replicas).' },
  {
    name: 'REDIS_REPLICA_ACKS',
    default: '1 with Sentinel, else 0',
    description: 'Replicas that must confirm a key set (WAIT) before it is acknowledged; when fewer answer in time the set fails with 503.',
  },
  { name: 'REDIS_REPLICA_ACK_TIMEOUT', default: '1s', description: 'How long a key set waits for the replicas of REDIS_REPLICA_ACKS.' },
  {
    name: 'SESSION_SECRET',
    default: null,
    description: 'Comma-separated secrets signing the session cookie, newest first (each at least 32 characters).',
  },
  {
    name: 'KEYSTORE_SECRETS',
    default: null,
    description: 'Comma-separated secrets encrypting stored keys, newest first (each at least 32 characters).',
  },
  {
    name: 'ALLOWED_ORIGINS',
    default: '',
    description: 'Comma-separated extra origins allowed to call the API with cookies; same-origin is always allowed.',
  },
  {
    name: 'ALLOWED_HOSTS',
    default: 'localhost,127.0.0.1,[::1] (development only)',
    description:
      'Comma-separated host names (or IP addresses) this server answers for, each optionally with :port; `.example.com` also allows its subdomains. Any other Host header gets 421. Required when NODE_ENV=production.',
  },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description: "Express 'trust proxy': false, true, a hop count, or comma-separated addresses/subnets.",
  },
  { name: 'SESSION_IDLE_TIMEOUT', default: '2h', description: 'A session unused this long ends.' },
  { name: 'SESSION_ABSOLUTE_TIMEOUT', default: '24h', description: 'A session ends this long after it began, used or not.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent.' },
  { name: 'KEY_RATE_LIMIT', default: '20', description: 'Key set/validate requests allowed per window: per signed-in person, per client IP without sign-in.' },
  { name: 'KEY_RATE_WINDOW', default: '1m', description: 'Window of KEY_RATE_LIMIT.' },
  { name: 'VALIDATE_TIMEOUT', default: '5s', description: 'Time allowed for the provider call that validates a key.' },
  { name: 'CHAT_FIRST_TOKEN_TIMEOUT', default: '60s', description: 'A chat stream fails with `timeout` if the first token takes longer.' },
  { name: 'CHAT_IDLE_TIMEOUT', default: '30s', description: 'A chat stream fails with `timeout` if tokens stop for this long.' },
  {
    name: 'CHAT_MAX_STREAMS',
    default: '8',
    description: 'Concurrent chat streams per signed-in person (else per session, else per client IP), over every socket, instance and both transports.',
  },
  {
    name: 'CHAT_RATE_LIMIT',
    default: '60',
    description: 'Chat streams a signed-in person (else a session, else a client IP) may start per minute, over both transports.',
  },
  { name: 'SOCKET_MAX_PER_SESSION', default: '16', description: 'Chat sockets one signed-in person (else one session) may hold open at once.' },
  {
    name: 'SOCKET_MAX_PER_IP',
    default: '256',
    description: 'Chat sockets one client IP may hold open at once (many people may share one address behind a NAT).',
  },
  {
    name: 'WEB_ROOT',
    default: 'dist/apps/web/browser',
    description: 'Folder of the built web app, served on the same origin; nothing is served when it has no index.html.',
  },
  {
    name: 'API_DOCS',
    default: 'true in development, false in production',
    description: 'Serve the OpenAPI UI at /api/docs and its JSON at /api/docs-json.',
  },
  {
    name: 'AUTH_MODE',
    default: 'none',
    description:
      'none (anonymous sessions), proxy (an auth proxy in front passes the signed-in person in headers) or oidc (the API signs people in with OpenID Connect). With proxy or oidc every /api route but health needs a signed-in person.',
  },
  {
    name: 'AUTH_PROXY_USER_HEADER',
    default: 'X-Forwarded-User',
    description: 'proxy mode: header holding the signed-in person’s stable id. Believed only from the addresses TRUST_PROXY names.',
  },
  { name: 'AUTH_PROXY_EMAIL_HEADER', default: null, description: 'proxy mode: optional header holding the person’s email (shown to them, never logged or stored).' },
  { name: 'AUTH_PROXY_GROUPS_HEADER', default: null, description: 'proxy mode: optional header holding the person’s groups, comma-separated.' },
  { name: 'AUTH_PROXY_SIGN_IN_URL', default: '/oauth2/sign_in', description: 'proxy mode: where a signed-out browser is sent to sign in.' },
  { name: 'AUTH_PROXY_SIGN_OUT_URL', default: '/oauth2/sign_out', description: 'proxy mode: where Sign out sends the browser after the API has ended its session.' },
  { name: 'OIDC_ISSUER', default: null, description: 'oidc mode: the issuer URL (discovery at /.well-known/openid-configuration); https, or http on a loopback address.' },
  { name: 'OIDC_CLIENT_ID', default: null, description: 'oidc mode: the client id registered at the issuer.' },
  { name: 'OIDC_CLIENT_SECRET', default: null, description: 'oidc mode: the client secret (client_secret_basic).' },
  {
    name: 'OIDC_REDIRECT_URI',
    default: null,
    description: 'oidc mode: the registered redirect URI, this site’s /api/auth/callback, e.g. https://chat.example.com/api/auth/callback.',
  },
  { name: 'OIDC_SCOPES', default: 'openid profile email', description: 'oidc mode: scopes requested at sign-in (space- or comma-separated; must include openid).' },
  { name: 'OIDC_GROUPS_CLAIM', default: 'groups', description: 'oidc mode: the ID token or userinfo claim listing the person’s groups.' },
  {
    name: 'OIDC_POST_LOGOUT_REDIRECT_URI',
    default: null,
    description: 'oidc mode: where the issuer sends the browser after sign-out (RP-initiated logout); the site root by default.',
  },
  {
    name: 'KEY_LIFETIMES',
    default: 'session,1d,7d,30d',
    description:
      'Lifetimes a signed-in person may choose for a key, the default first: session (forgotten at sign-out or when the session ends), or whole hours or days such as 12h or 7d. Without sign-in keys always last one session.',
  },
  {
    name: 'METRICS_PORT',
    default: null,
    description: 'Serve Prometheus metrics at GET /metrics on this separate port (bind it to a private network). Unset, and without METRICS_TOKEN, there is no metrics endpoint.',
  },
  {
    name: 'METRICS_TOKEN',
    default: null,
    description: 'Serve GET /metrics on the main port too, to requests with `Authorization: Bearer <token>` (at least 32 characters); any other request gets 404.',
  },
  { name: 'DRAIN_TIMEOUT', default: '30s', description: 'On SIGTERM, how long running streams may finish before they are ended with the retryable server_draining.' },
  { name: 'REQUEST_BODY_LIMIT', default: '262144', description: 'Largest accepted request body, in bytes.' },
  {
    name: 'OPENAI_COMPATIBLE_PROVIDERS',
    default: '[]',
    description:
      'JSON array of admin-defined OpenAI-compatible providers: {"id","name","baseUrl","apiKeyEnv"?,"keyPrefix"?,"keyRequired"?}.',
  },
] as const;

/**
 * Settings repeated for each provider; `<PROVIDER>` is its id in capitals with `-` as `_`
 * (OPENAI, ANTHROPIC, GEMINI, OLLAMA, or an admin-defined id).
 */
export const PER_PROVIDER_SETTINGS: readonly SettingDoc[] = [
  { name: '<PROVIDER>_API_KEY', default: null, description: "The server's key for the provider (an ENV key)." },
  { name: '<PROVIDER>_BASE_URL', default: "the provider's public API", description: 'Where requests to the provider go.' },
  {
    name: 'KEY_POLICY_<PROVIDER>',
    default: 'env-first',
    description: 'env-only, env-first, user-first or user-only: how the ENV key and a user key combine.',
  },
  {
    name: 'KEY_ENV_GROUPS_<PROVIDER>',
    default: null,
    description:
      'Comma-separated groups whose members may use the ENV key (needs AUTH_MODE proxy or oidc); anyone else sees the provider as if it had no ENV key and may bring their own under its policy.',
  },
] as const;

export function providerEnvStem(providerId: string): string {
  return providerId.toUpperCase().replace(/-/g, '_');
}
