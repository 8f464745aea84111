import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  BUILT_IN_PROVIDER_IDS,
  DEFAULT_KEY_POLICY,
  GENERIC_KEY_FORMAT,
  KEY_POLICIES,
  PROVIDER_ID_PATTERN,
  type KeyPolicy,
} from '@byok/contracts';
import { Secret } from '../common/secret';
import { readRedisSettings, type RedisSettings } from './redis-config';
import { type AuthConfig, type KeyLifetime, readAuthConfig, readEnvKeyGroups, readKeyLifetimes } from './auth-config';
import { BUILT_IN_PROVIDERS, type ProviderCatalogEntry } from './provider-catalog';
import { ConfigError } from './config-error';
import {
  type Env,
  type HostRule,
  parseBoolean,
  parseDuration,
  parseEnum,
  parseHost,
  parseInteger,
  parseList,
  parseOrigin,
  parseUrl,
  readSetting,
} from './config-parsers';
import { providerEnvStem, SETTINGS } from './settings';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProviderConfig extends ProviderCatalogEntry {
  baseUrl: string;
  envKeyVar: string;
  envKey: Secret | null;
  /** Only members of one of these groups may use the ENV key; null when every caller may. */
  envKeyGroups: string[] | null;
  policy: KeyPolicy;
}

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

const DEFAULTS = new Map(SETTINGS.map((setting) => [setting.name, setting.default]));

/** The setting's value, or its documented default (one source for code and docs). */
function settingOrDefault(env: Env, name: string): string {
  const value = readSetting(env, name) ?? DEFAULTS.get(name);
  if (value === undefined || value === null) {
    throw new ConfigError(name, 'has no value and no default');
  }
  return value;
}

export function loadConfig(env: Env): AppConfig {
  const production = readSetting(env, 'NODE_ENV') === 'production';
  const warnings: string[] = [];
  const redis = readRedisSettings(env, (name) => settingOrDefault(env, name));
  if (!redis.topology) {
    warnings.push(
      'REDIS_URL is not set (nor REDIS_SENTINELS or REDIS_CLUSTER_NODES): sessions and keys live in this process only; run a single instance, and set one of them to share them between instances.',
    );
  }
  const idle = parseDuration('SESSION_IDLE_TIMEOUT', settingOrDefault(env, 'SESSION_IDLE_TIMEOUT'), 60_000);
  const absolute = parseDuration(
    'SESSION_ABSOLUTE_TIMEOUT',
    settingOrDefault(env, 'SESSION_ABSOLUTE_TIMEOUT'),
    60_000,
  );
  if (absolute < idle) {
    throw new ConfigError('SESSION_ABSOLUTE_TIMEOUT', 'must not be shorter than SESSION_IDLE_TIMEOUT');
  }
  const trustProxy = parseTrustProxy(settingOrDefault(env, 'TRUST_PROXY'));
  const auth = readAuthConfig(env, (name) => settingOrDefault(env, name));
  if (auth.mode === 'proxy' && !Array.isArray(trustProxy)) {
    throw new ConfigError(
      'TRUST_PROXY',
      "AUTH_MODE=proxy believes the identity headers only from the auth proxy: name its address or subnet (true or a hop count would let any client claim to be anyone)",
    );
  }
  return {
    production,
    host: settingOrDefault(env, 'HOST'),
    port: parseInteger('PORT', settingOrDefault(env, 'PORT'), 0, 65535),
    redis,
    sessionSecrets: readSecrets(env, 'SESSION_SECRET', production, warnings),
    keystoreSecrets: readSecrets(env, 'KEYSTORE_SECRETS', production, warnings),
    allowedOrigins: parseList(settingOrDefault(env, 'ALLOWED_ORIGINS')).map((origin) =>
      parseOrigin('ALLOWED_ORIGINS', origin),
    ),
    allowedHosts: readAllowedHosts(env, production),
    trustProxy,
    sessionIdleTimeoutMs: idle,
    sessionAbsoluteTimeoutMs: absolute,
    logLevel: parseEnum('LOG_LEVEL', settingOrDefault(env, 'LOG_LEVEL'), LOG_LEVELS),
    keyRateLimit: parseInteger('KEY_RATE_LIMIT', settingOrDefault(env, 'KEY_RATE_LIMIT'), 1, 100_000),
    keyRateWindowMs: parseDuration('KEY_RATE_WINDOW', settingOrDefault(env, 'KEY_RATE_WINDOW'), 1000),
    validateTimeoutMs: parseDuration('VALIDATE_TIMEOUT', settingOrDefault(env, 'VALIDATE_TIMEOUT'), 100),
    chatFirstTokenTimeoutMs: parseDuration(
      'CHAT_FIRST_TOKEN_TIMEOUT',
      settingOrDefault(env, 'CHAT_FIRST_TOKEN_TIMEOUT'),
      100,
    ),
    chatIdleTimeoutMs: parseDuration('CHAT_IDLE_TIMEOUT', settingOrDefault(env, 'CHAT_IDLE_TIMEOUT'), 100),
    chatMaxStreams: parseInteger('CHAT_MAX_STREAMS', settingOrDefault(env, 'CHAT_MAX_STREAMS'), 1, 1000),
    chatRateLimit: parseInteger('CHAT_RATE_LIMIT', settingOrDefault(env, 'CHAT_RATE_LIMIT'), 1, 1_000_000),
    socketMaxPerSession: parseInteger('SOCKET_MAX_PER_SESSION', settingOrDefault(env, 'SOCKET_MAX_PER_SESSION'), 1, 10_000),
    socketMaxPerAddress: parseInteger('SOCKET_MAX_PER_IP', settingOrDefault(env, 'SOCKET_MAX_PER_IP'), 1, 1_000_000),
    requestBodyLimitBytes: parseInteger(
      'REQUEST_BODY_LIMIT',
      settingOrDefault(env, 'REQUEST_BODY_LIMIT'),
      1024,
      16 * 1024 * 1024,
    ),
    webRoot: settingOrDefault(env, 'WEB_ROOT'),
    apiDocs: parseBoolean('API_DOCS', readSetting(env, 'API_DOCS') ?? String(!production)),
    metricsPort: readSetting(env, 'METRICS_PORT') ? parseInteger('METRICS_PORT', readSetting(env, 'METRICS_PORT') ?? '', 1, 65535) : null,
    metricsToken: readMetricsToken(env),
    drainTimeoutMs: parseDuration('DRAIN_TIMEOUT', settingOrDefault(env, 'DRAIN_TIMEOUT'), 0),
    auth,
    keyLifetimes: readKeyLifetimes(settingOrDefault(env, 'KEY_LIFETIMES')),
    providers: readProviders(env, auth.mode),
    warnings,
  };
}

function readSecrets(env: Env, name: string, production: boolean, warnings: string[]): Secret[] {
  const raw = readSetting(env, name);
  if (!raw) {
    if (production) {
      throw new ConfigError(name, 'is required when NODE_ENV=production');
    }
    warnings.push(
      `${name} is not set: using an ephemeral secret, so sessions and stored keys are lost at restart and not shared between instances.`,
    );
    return [new Secret(randomBytes(32).toString('base64url'))];
  }
  const secrets = parseList(raw);
  secrets.forEach((secret, index) => {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(name, `secret #${index + 1} is shorter than ${MIN_SECRET_LENGTH} characters`);
    }
  });
  return secrets.map((secret) => new Secret(secret));
}

function readMetricsToken(env: Env): Secret | null {
  const token = readSetting(env, 'METRICS_TOKEN');
  if (!token) return null;
  if (token.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('METRICS_TOKEN', `must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return new Secret(token);
}

/** Development answers the loopback names only; production must say which names it serves. */
const DEVELOPMENT_HOSTS = 'localhost,127.0.0.1,[::1]';

function readAllowedHosts(env: Env, production: boolean): HostRule[] {
  const raw = readSetting(env, 'ALLOWED_HOSTS');
  if (!raw && production) {
    throw new ConfigError('ALLOWED_HOSTS', 'is required when NODE_ENV=production: list the host names users open, e.g. chat.example.com');
  }
  return parseList(raw ?? DEVELOPMENT_HOSTS).map((entry) => {
    const subdomains = entry.startsWith('.');
    const host = parseHost(subdomains ? entry.slice(1) : entry);
    if (!host) {
      throw new ConfigError(
        'ALLOWED_HOSTS',
        `expected host names, IP addresses or .domain entries, each optionally with :port, got "${entry}"`,
      );
    }
    return { ...host, subdomains };
  });
}

function parseTrustProxy(value: string): TrustProxy {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return parseInteger('TRUST_PROXY', value, 0, 100);
  const entries = parseList(value);
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `expected true, false, a hop count, or addresses/subnets (or loopback, linklocal, uniquelocal), got "${entry}"`,
      );
    }
  }
  return entries;
}

const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

interface CompatibleProviderInput {
  id?: unknown;
  name?: unknown;
  baseUrl?: unknown;
  apiKeyEnv?: unknown;
  keyPrefix?: unknown;
  keyRequired?: unknown;
}

const SETTING = 'OPENAI_COMPATIBLE_PROVIDERS';

type CompatibleProvider = ProviderCatalogEntry & { apiKeyEnv?: string };

function readCompatibleProviders(env: Env): CompatibleProvider[] {
  const raw = readSetting(env, SETTING) ?? '[]';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(SETTING, 'is not valid JSON');
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigError(SETTING, 'must be a JSON array of provider objects');
  }
  const seen = new Set<string>(BUILT_IN_PROVIDER_IDS);
  return parsed.map((input: CompatibleProviderInput, index) => {
    const where = `entry #${index + 1}`;
    if (typeof input !== 'object' || input === null) {
      throw new ConfigError(SETTING, `${where} is not an object`);
    }
    const { id, name, baseUrl, apiKeyEnv, keyPrefix, keyRequired } = input;
    if (typeof id !== 'string' || !PROVIDER_ID_PATTERN.test(id)) {
      throw new ConfigError(SETTING, `${where}: "id" must match ${PROVIDER_ID_PATTERN}`);
    }
    if (seen.has(id)) {
      throw new ConfigError(SETTING, `${where}: provider id "${id}" is already taken`);
    }
    seen.add(id);
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 64) {
      throw new ConfigError(SETTING, `${where}: "name" must be a non-empty string of at most 64 characters`);
    }
    if (typeof baseUrl !== 'string') {
      throw new ConfigError(SETTING, `${where}: "baseUrl" must be a URL string`);
    }
    parseUrl(SETTING, baseUrl, ['http:', 'https:']);
    if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || !/^[A-Za-z0-9_-]{1,12}$/.test(keyPrefix))) {
      throw new ConfigError(SETTING, `${where}: "keyPrefix" must be 1-12 letters, digits, - or _`);
    }
    if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(apiKeyEnv))) {
      throw new ConfigError(SETTING, `${where}: "apiKeyEnv" must be an environment variable name in capitals`);
    }
    if (keyRequired !== undefined && typeof keyRequired !== 'boolean') {
      throw new ConfigError(SETTING, `${where}: "keyRequired" must be true or false`);
    }
    return {
      id,
      name: name.trim(),
      family: 'openai-compatible',
      defaultBaseUrl: baseUrl,
      keyRequired: keyRequired ?? true,
      keyFormat: { ...GENERIC_KEY_FORMAT, prefixes: keyPrefix ? [keyPrefix] : [] },
      apiKeyEnv,
    };
  });
}

function readProviders(env: Env, authMode: AuthConfig['mode']): ProviderConfig[] {
  const catalog: CompatibleProvider[] = [...Object.values(BUILT_IN_PROVIDERS), ...readCompatibleProviders(env)];
  return catalog.map(({ apiKeyEnv, ...entry }) => {
    const stem = providerEnvStem(entry.id);
    const envKeyVar = apiKeyEnv ?? `${stem}_API_KEY`;
    const envKey = readSetting(env, envKeyVar);
    const baseUrlSetting = `${stem}_BASE_URL`;
    const baseUrl = readSetting(env, baseUrlSetting) ?? entry.defaultBaseUrl;
    parseUrl(baseUrlSetting, baseUrl, ['http:', 'https:']);
    const policySetting = `KEY_POLICY_${stem}`;
    return {
      ...entry,
      baseUrl: baseUrl.replace(/\/+$/, ''),
      envKeyVar,
      envKey: envKey ? new Secret(envKey) : null,
      envKeyGroups: readEnvKeyGroups(env, `KEY_ENV_GROUPS_${stem}`, authMode),
      policy: parseEnum(policySetting, readSetting(env, policySetting) ?? DEFAULT_KEY_POLICY, KEY_POLICIES),
    };
  });
}
