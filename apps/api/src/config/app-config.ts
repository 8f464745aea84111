import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { Secret } from '../common/secret';
import { AUTH_SCHEMA, type AuthConfig, KEY_LIFETIMES, type KeyLifetime } from './auth-config';
import {
  BOOLEAN,
  duration,
  type Env,
  type HostRule,
  HTTP_PROTOCOLS,
  integer,
  list,
  oneOf,
  optional,
  parseHost,
  parseSettings,
  refuse,
  SECRET,
  url,
  withDefault,
} from './config-parsers';
import { BUILT_IN_PROVIDERS, OPENAI_COMPATIBLE_PROVIDERS, type ProviderConfig, readProvider } from './provider-catalog';
import { readRedisSettings, REDIS_SETTINGS, type RedisSettings } from './redis-config';

export type { ProviderConfig } from './provider-catalog';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type TrustProxy = boolean | number | string[];

/** Everything the API is configured with, parsed and checked once at boot. */
export interface AppConfig {
  production: boolean;
  host: string;
  port: number;
  /** The Redis topology (null: the in-process store) and how many replicas confirm a key set. */
  redis: RedisSettings;
  sessionSecrets: Secret[];
  keystoreSecrets: Secret[];
  allowedOrigins: string[];
  allowedHosts: HostRule[];
  trustProxy: TrustProxy;
  sessionIdleTimeoutMs: number;
  sessionAbsoluteTimeoutMs: number;
  logLevel: LogLevel;
  keyRateLimit: number;
  keyRateWindowMs: number;
  validateTimeoutMs: number;
  chatFirstTokenTimeoutMs: number;
  chatIdleTimeoutMs: number;
  chatMaxStreams: number;
  chatRateLimit: number;
  socketMaxPerSession: number;
  socketMaxPerAddress: number;
  requestBodyLimitBytes: number;
  webRoot: string;
  /** Whether the OpenAPI UI and JSON are served at /api/docs. */
  apiDocs: boolean;
  /** Prometheus metrics: a separate port, and/or the main port behind a bearer token; neither by default. */
  metricsPort: number | null;
  metricsToken: Secret | null;
  /** How long running streams may finish after SIGTERM. */
  drainTimeoutMs: number;
  /** How people sign in (AUTH_MODE and its settings). */
  auth: AuthConfig;
  /** The lifetimes a signed-in person may give a key, the default first. */
  keyLifetimes: KeyLifetime[];
  providers: ProviderConfig[];
  /** Startup notices for the log (development fallbacks); never contain secret values. */
  warnings: string[];
}

const MIN_SECRET_LENGTH = 32;
const serverSecret = z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`).pipe(SECRET);
const serverSecrets = list(z.array(serverSecret));

const origin = url(HTTP_PROTOCOLS).transform((value, ctx) => {
  const parsed = new URL(value);
  if (parsed.pathname === '/' && !parsed.search && !parsed.hash && !parsed.username) return parsed.origin;
  ctx.addIssue('an origin is scheme://host[:port] only');
  return z.NEVER;
});

const hostRule = z.string().transform((entry, ctx): HostRule => {
  const subdomains = entry.startsWith('.');
  const host = parseHost(subdomains ? entry.slice(1) : entry);
  if (host) return { ...host, subdomains };
  ctx.addIssue('expected host names, IP addresses or .domain entries, each optionally with :port');
  return z.NEVER;
});
const hostRules = list(z.array(hostRule));

/** Development answers the loopback names only; production must say which names it serves. */
const DEVELOPMENT_HOSTS = 'localhost,127.0.0.1,[::1]';

const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Each form but the hop count aborts on a mismatch, so a number out of range reports its range
 * and anything else the one rule below.
 */
const trustProxy = z.union(
  [
    z.enum(['true', 'false']).transform((value) => value === 'true'),
    integer(0, 100),
    list(z.array(z.string().refine(isProxyAddress, { abort: true }))),
  ],
  'expected true, false, a hop count, or addresses/subnets (or loopback, linklocal, uniquelocal)',
);

const SERVER_SETTINGS = {
  NODE_ENV: withDefault('development', z.string(), 'production makes missing secrets fatal.'),
  HOST: withDefault('0.0.0.0', z.string(), 'Interface the HTTP server listens on.'),
  PORT: withDefault('3000', integer(0, 65535), 'HTTP port.'),
  SESSION_SECRET: optional(serverSecrets, 'Comma-separated secrets signing the session cookie, newest first (each at least 32 characters).'),
  KEYSTORE_SECRETS: optional(serverSecrets, 'Comma-separated secrets encrypting stored keys, newest first (each at least 32 characters).'),
  ALLOWED_ORIGINS: withDefault(
    '',
    list(z.array(origin)),
    'Comma-separated extra origins allowed to call the API with cookies; same-origin is always allowed.',
  ),
  ALLOWED_HOSTS: optional(
    hostRules,
    'Comma-separated host names (or IP addresses) this server answers for, each optionally with :port; `.example.com` also allows its subdomains. Any other Host header gets 421. Required when NODE_ENV=production.',
    `${DEVELOPMENT_HOSTS} (development only)`,
  ),
  TRUST_PROXY: withDefault('false', trustProxy, "Express 'trust proxy': false, true, a hop count, or comma-separated addresses/subnets."),
  SESSION_IDLE_TIMEOUT: withDefault('2h', duration(60_000), 'A session unused this long ends.'),
  SESSION_ABSOLUTE_TIMEOUT: withDefault('24h', duration(60_000), 'A session ends this long after it began, used or not.'),
  LOG_LEVEL: withDefault('info', oneOf(LOG_LEVELS), 'fatal, error, warn, info, debug, trace or silent.'),
  KEY_RATE_LIMIT: withDefault(
    '20',
    integer(1, 100_000),
    'Key set/validate requests allowed per window: per signed-in person, per client IP without sign-in.',
  ),
  KEY_RATE_WINDOW: withDefault('1m', duration(1000), 'Window of KEY_RATE_LIMIT.'),
  VALIDATE_TIMEOUT: withDefault('5s', duration(100), 'Time allowed for the provider call that validates a key.'),
  CHAT_FIRST_TOKEN_TIMEOUT: withDefault('60s', duration(100), 'A chat stream fails with `timeout` if the first token takes longer.'),
  CHAT_IDLE_TIMEOUT: withDefault('30s', duration(100), 'A chat stream fails with `timeout` if tokens stop for this long.'),
  CHAT_MAX_STREAMS: withDefault(
    '8',
    integer(1, 1000),
    'Concurrent chat streams per signed-in person (else per session, else per client IP), over every socket, instance and both transports.',
  ),
  CHAT_RATE_LIMIT: withDefault(
    '60',
    integer(1, 1_000_000),
    'Chat streams a signed-in person (else a session, else a client IP) may start per minute, over both transports.',
  ),
  SOCKET_MAX_PER_SESSION: withDefault('16', integer(1, 10_000), 'Chat sockets one signed-in person (else one session) may hold open at once.'),
  SOCKET_MAX_PER_IP: withDefault(
    '256',
    integer(1, 1_000_000),
    'Chat sockets one client IP may hold open at once (many people may share one address behind a NAT).',
  ),
  WEB_ROOT: withDefault(
    'dist/apps/web/browser',
    z.string(),
    'Folder of the built web app, served on the same origin; nothing is served when it has no index.html.',
  ),
  API_DOCS: optional(BOOLEAN, 'Serve the OpenAPI UI at /api/docs and its JSON at /api/docs-json.', 'true in development, false in production'),
  KEY_LIFETIMES,
  METRICS_PORT: optional(
    integer(1, 65535),
    'Serve Prometheus metrics at GET /metrics on this separate port (bind it to a private network). Unset, and without METRICS_TOKEN, there is no metrics endpoint.',
  ),
  METRICS_TOKEN: optional(
    serverSecret,
    'Serve GET /metrics on the main port too, to requests with `Authorization: Bearer <token>` (at least 32 characters); any other request gets 404.',
  ),
  DRAIN_TIMEOUT: withDefault(
    '30s',
    duration(0),
    'On SIGTERM, how long running streams may finish before they are ended with the retryable server_draining.',
  ),
  REQUEST_BODY_LIMIT: withDefault('262144', integer(1024, 16 * 1024 * 1024), 'Largest accepted request body, in bytes.'),
  OPENAI_COMPATIBLE_PROVIDERS,
};

/** Every setting but the sign-in ones (AUTH_SCHEMA) and the per-provider ones. */
export const BASE_SETTINGS = { ...SERVER_SETTINGS, ...REDIS_SETTINGS };

const ENV_SCHEMA = z
  .object(BASE_SETTINGS)
  .and(AUTH_SCHEMA.transform((auth) => ({ auth })))
  .transform((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    if (production) {
      for (const name of ['SESSION_SECRET', 'KEYSTORE_SECRETS'] as const) {
        if (!env[name]) return refuse(ctx, name, 'is required when NODE_ENV=production');
      }
      if (!env.ALLOWED_HOSTS) {
        return refuse(ctx, 'ALLOWED_HOSTS', 'is required when NODE_ENV=production: list the host names users open, e.g. chat.example.com');
      }
    }
    if (env.SESSION_ABSOLUTE_TIMEOUT < env.SESSION_IDLE_TIMEOUT) {
      return refuse(ctx, 'SESSION_ABSOLUTE_TIMEOUT', 'must not be shorter than SESSION_IDLE_TIMEOUT');
    }
    if (env.auth.mode === 'proxy' && !Array.isArray(env.TRUST_PROXY)) {
      return refuse(
        ctx,
        'TRUST_PROXY',
        'AUTH_MODE=proxy believes the identity headers only from the auth proxy: name its address or subnet (true or a hop count would let any client claim to be anyone)',
      );
    }
    const warnings: string[] = [];
    const redis = readRedisSettings(env, ctx);
    if (!redis.topology) {
      warnings.push(
        'REDIS_URL is not set (nor REDIS_SENTINELS or REDIS_CLUSTER_NODES): sessions and keys live in this process only; run a single instance, and set one of them to share them between instances.',
      );
    }
    const secretsOrEphemeral = (name: 'SESSION_SECRET' | 'KEYSTORE_SECRETS'): Secret[] => {
      const given = env[name];
      if (given) return given;
      warnings.push(
        `${name} is not set: using an ephemeral secret, so sessions and stored keys are lost at restart and not shared between instances.`,
      );
      return [new Secret(randomBytes(32).toString('base64url'))];
    };
    return {
      production,
      host: env.HOST,
      port: env.PORT,
      redis,
      sessionSecrets: secretsOrEphemeral('SESSION_SECRET'),
      keystoreSecrets: secretsOrEphemeral('KEYSTORE_SECRETS'),
      allowedOrigins: env.ALLOWED_ORIGINS,
      allowedHosts: env.ALLOWED_HOSTS ?? hostRules.parse(DEVELOPMENT_HOSTS),
      trustProxy: env.TRUST_PROXY,
      sessionIdleTimeoutMs: env.SESSION_IDLE_TIMEOUT,
      sessionAbsoluteTimeoutMs: env.SESSION_ABSOLUTE_TIMEOUT,
      logLevel: env.LOG_LEVEL,
      keyRateLimit: env.KEY_RATE_LIMIT,
      keyRateWindowMs: env.KEY_RATE_WINDOW,
      validateTimeoutMs: env.VALIDATE_TIMEOUT,
      chatFirstTokenTimeoutMs: env.CHAT_FIRST_TOKEN_TIMEOUT,
      chatIdleTimeoutMs: env.CHAT_IDLE_TIMEOUT,
      chatMaxStreams: env.CHAT_MAX_STREAMS,
      chatRateLimit: env.CHAT_RATE_LIMIT,
      socketMaxPerSession: env.SOCKET_MAX_PER_SESSION,
      socketMaxPerAddress: env.SOCKET_MAX_PER_IP,
      requestBodyLimitBytes: env.REQUEST_BODY_LIMIT,
      webRoot: env.WEB_ROOT,
      apiDocs: env.API_DOCS ?? !production,
      metricsPort: env.METRICS_PORT ?? null,
      metricsToken: env.METRICS_TOKEN ?? null,
      drainTimeoutMs: env.DRAIN_TIMEOUT,
      auth: env.auth,
      keyLifetimes: env.KEY_LIFETIMES,
      catalog: [...Object.values(BUILT_IN_PROVIDERS), ...env.OPENAI_COMPATIBLE_PROVIDERS],
      warnings,
    };
  });

export function loadConfig(env: Env): AppConfig {
  const { catalog, ...config } = parseSettings(ENV_SCHEMA, env);
  // The per-provider setting names follow from OPENAI_COMPATIBLE_PROVIDERS, so they are read second.
  return { ...config, providers: catalog.map((entry) => readProvider(entry, config.auth.mode, env)) };
}
