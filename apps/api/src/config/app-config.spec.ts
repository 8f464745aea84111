import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_PROVIDER_IDS, GENERIC_KEY_FORMAT } from '@byok/contracts';
import { Secret } from '../common/secret';
import { loadConfig } from './app-config';
import { readKeyLifetimes } from './auth-config';
import { ConfigError } from './config-error';
import type { Env } from './config-parsers';

const SESSION_SECRET = 'session-secret-0123456789-abcdefghijkl';
const KEYSTORE_SECRET = 'keystore-secret-0123456789-abcdefghijk';
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  SESSION_SECRET,
  KEYSTORE_SECRETS: KEYSTORE_SECRET,
  ALLOWED_HOSTS: 'chat.example.com',
};

function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the configuration');
}

function expectConfigError(env: Env, setting: string): ConfigError {
  const error = configErrorOf(env);
  expect(error.setting).toBe(setting);
  expect(error.message).toContain(setting);
  return error;
}

function provider(env: Env, id: string) {
  const found = loadConfig(env).providers.find((entry) => entry.id === id);
  if (!found) throw new Error(`no provider ${id}`);
  return found;
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('listens on 0.0.0.0:3000', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('is not production without NODE_ENV=production', () => {
    expect(config.production).toBe(false);
  });

  it('ends idle sessions after 2 hours and all sessions after 24 hours', () => {
    expect(config.sessionIdleTimeoutMs).toBe(2 * 60 * 60 * 1000);
    expect(config.sessionAbsoluteTimeoutMs).toBe(24 * 60 * 60 * 1000);
  });

  it('uses no Redis, no extra origins, no proxy trust and info logging', () => {
    expect(config.redis).toEqual({ topology: null, replicaAcks: 0, replicaAckTimeoutMs: 1000 });
    expect(config.allowedOrigins).toEqual([]);
    expect(config.trustProxy).toBe(false);
    expect(config.logLevel).toBe('info');
  });

  it('offers exactly the four built-in providers', () => {
    expect(config.providers.map((entry) => entry.id)).toEqual([...BUILT_IN_PROVIDER_IDS]);
  });

  it('applies the env-first policy to every provider', () => {
    expect(config.providers.map((entry) => entry.policy)).toEqual(['env-first', 'env-first', 'env-first', 'env-first']);
  });

  it('has no env keys and reads them from <PROVIDER>_API_KEY', () => {
    expect(config.providers.map((entry) => entry.envKey)).toEqual([null, null, null, null]);
    expect(config.providers.map((entry) => entry.envKeyVar)).toEqual([
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'GEMINI_API_KEY',
      'OLLAMA_API_KEY',
    ]);
  });

  it('warns that sessions live in this process when REDIS_URL is unset', () => {
    expect(config.warnings.some((warning) => warning.includes('REDIS_URL'))).toBe(true);
    expect(loadConfig({ ...PRODUCTION, REDIS_URL: 'redis://cache:6379' }).warnings).toEqual([]);
  });
});

describe('loadConfig secrets', () => {
  it.each(['SESSION_SECRET', 'KEYSTORE_SECRETS'])('refuses to start in production without %s', (setting) => {
    expectConfigError({ ...PRODUCTION, [setting]: undefined }, setting);
  });

  it.each(['SESSION_SECRET', 'KEYSTORE_SECRETS'])('treats a blank %s as missing in production', (setting) => {
    expectConfigError({ ...PRODUCTION, [setting]: '   ' }, setting);
  });

  it('starts in production with both secrets set', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.production).toBe(true);
    expect(config.sessionSecrets.map((secret) => secret.reveal())).toEqual([SESSION_SECRET]);
    expect(config.keystoreSecrets.map((secret) => secret.reveal())).toEqual([KEYSTORE_SECRET]);
  });

  it('generates ephemeral secrets in development and warns about each', () => {
    const config = loadConfig({});
    expect(config.sessionSecrets).toHaveLength(1);
    expect(config.keystoreSecrets).toHaveLength(1);
    expect(config.sessionSecrets[0]).toBeInstanceOf(Secret);
    expect(config.sessionSecrets[0].length).toBeGreaterThanOrEqual(32);
    expect(config.keystoreSecrets[0].length).toBeGreaterThanOrEqual(32);
    expect(config.sessionSecrets[0].reveal()).not.toBe(config.keystoreSecrets[0].reveal());
    expect(config.warnings.some((warning) => warning.includes('SESSION_SECRET'))).toBe(true);
    expect(config.warnings.some((warning) => warning.includes('KEYSTORE_SECRETS'))).toBe(true);
  });

  it('generates new ephemeral secrets on every load', () => {
    expect(loadConfig({}).sessionSecrets[0].reveal()).not.toBe(loadConfig({}).sessionSecrets[0].reveal());
  });

  it('never puts generated secrets in the warnings', () => {
    const config = loadConfig({});
    const text = config.warnings.join('\n');
    for (const secret of [...config.sessionSecrets, ...config.keystoreSecrets]) {
      expect(text).not.toContain(secret.reveal());
    }
  });

  it('reads comma-separated secrets newest first', () => {
    const older = 'older-keystore-secret-0123456789-abcdef';
    const config = loadConfig({ ...PRODUCTION, KEYSTORE_SECRETS: `${KEYSTORE_SECRET}, ${older}` });
    expect(config.keystoreSecrets.map((secret) => secret.reveal())).toEqual([KEYSTORE_SECRET, older]);
  });

  it.each(['SESSION_SECRET', 'KEYSTORE_SECRETS'])(
    'rejects a %s shorter than 32 characters without quoting it',
    (setting) => {
      const short = 'too-short-secret-31-characters!';
      expect(short).toHaveLength(31);
      const error = expectConfigError({ ...PRODUCTION, [setting]: short }, setting);
      expect(error.message).not.toContain(short);
    },
  );

  it('rejects a short secret anywhere in the list, naming its position', () => {
    const error = expectConfigError({ ...PRODUCTION, SESSION_SECRET: `${SESSION_SECRET},short` }, 'SESSION_SECRET');
    expect(error.message).toContain('#2');
  });

  it('accepts a secret of exactly 32 characters', () => {
    expect(() => loadConfig({ ...PRODUCTION, SESSION_SECRET: 'x'.repeat(32) })).not.toThrow();
  });
});

describe('loadConfig rejects bad settings, naming them', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '3000.5'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['KEY_POLICY_OPENAI', 'sometimes'],
    ['KEY_POLICY_ANTHROPIC', 'env_first'],
    ['SESSION_IDLE_TIMEOUT', 'two hours'],
    ['SESSION_IDLE_TIMEOUT', '2w'],
    ['SESSION_IDLE_TIMEOUT', '30s'],
    ['SESSION_ABSOLUTE_TIMEOUT', '1y'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_URL', 'http://cache:6379'],
    ['ALLOWED_ORIGINS', 'not a url'],
    ['ALLOWED_ORIGINS', 'https://app.example/path'],
    ['ALLOWED_ORIGINS', 'https://app.example?x=1'],
    ['ALLOWED_ORIGINS', 'ftp://app.example'],
    ['ALLOWED_ORIGINS', 'https://ok.example, javascript:alert(1)'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '101'],
    ['TRUST_PROXY', 'proxy.example'],
    ['TRUST_PROXY', 'cafe'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['ALLOWED_HOSTS', 'https://chat.example.com'],
    ['ALLOWED_HOSTS', 'chat.example.com/path'],
    ['ALLOWED_HOSTS', 'user@chat.example.com'],
    ['ALLOWED_HOSTS', 'chat.example.com:0'],
    ['ALLOWED_HOSTS', 'chat.example.com:70000'],
    ['ALLOWED_HOSTS', '*'],
    ['ALLOWED_HOSTS', '::1'],
    ['API_DOCS', 'yes'],
    ['OPENAI_BASE_URL', 'not a url'],
    ['OPENAI_BASE_URL', 'file:///etc/passwd'],
    ['KEY_RATE_LIMIT', '0'],
    ['VALIDATE_TIMEOUT', '10ms'],
  ])('%s=%s', (setting, value) => {
    expectConfigError({ ...PRODUCTION, [setting]: value }, setting);
  });

  it('rejects an absolute timeout shorter than the idle timeout', () => {
    const error = expectConfigError(
      { ...PRODUCTION, SESSION_IDLE_TIMEOUT: '2h', SESSION_ABSOLUTE_TIMEOUT: '1h' },
      'SESSION_ABSOLUTE_TIMEOUT',
    );
    expect(error.message).toContain('SESSION_IDLE_TIMEOUT');
  });

  it('accepts an absolute timeout equal to the idle timeout', () => {
    const config = loadConfig({ ...PRODUCTION, SESSION_IDLE_TIMEOUT: '3h', SESSION_ABSOLUTE_TIMEOUT: '3h' });
    expect(config.sessionAbsoluteTimeoutMs).toBe(config.sessionIdleTimeoutMs);
  });
});

describe('loadConfig ALLOWED_HOSTS and API_DOCS', () => {
  it.each([undefined, '  '])('refuses to start in production with ALLOWED_HOSTS=%p', (value) => {
    const error = expectConfigError({ ...PRODUCTION, ALLOWED_HOSTS: value }, 'ALLOWED_HOSTS');
    expect(error.message).toContain('NODE_ENV=production');
  });

  it('answers the loopback names in development', () => {
    expect(loadConfig({}).allowedHosts).toEqual([
      { hostname: 'localhost', subdomains: false },
      { hostname: '127.0.0.1', subdomains: false },
      { hostname: '[::1]', subdomains: false },
    ]);
  });

  it('reads names, ports and .domain entries, lowercased', () => {
    expect(loadConfig({ ...PRODUCTION, ALLOWED_HOSTS: 'Chat.Example.com, .corp.example, 10.0.0.5:8443' }).allowedHosts).toEqual([
      { hostname: 'chat.example.com', subdomains: false },
      { hostname: 'corp.example', subdomains: true },
      { hostname: '10.0.0.5', port: 8443, subdomains: false },
    ]);
  });

  it('serves the API docs in development and not in production, unless API_DOCS says otherwise', () => {
    expect(loadConfig({}).apiDocs).toBe(true);
    expect(loadConfig(PRODUCTION).apiDocs).toBe(false);
    expect(loadConfig({ ...PRODUCTION, API_DOCS: 'true' }).apiDocs).toBe(true);
    expect(loadConfig({ API_DOCS: 'false' }).apiDocs).toBe(false);
  });
});

describe('loadConfig parses good settings', () => {
  it('reads durations with units, and plain numbers as seconds', () => {
    const config = loadConfig({ ...PRODUCTION, SESSION_IDLE_TIMEOUT: '90', SESSION_ABSOLUTE_TIMEOUT: '7d' });
    expect(config.sessionIdleTimeoutMs).toBe(90_000);
    expect(config.sessionAbsoluteTimeoutMs).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it('reads PORT, LOG_LEVEL and REDIS_URL', () => {
    const config = loadConfig({ ...PRODUCTION, PORT: '8080', LOG_LEVEL: 'debug', REDIS_URL: 'rediss://cache:6380/0' });
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('debug');
    expect(config.redis.topology).toMatchObject({ kind: 'standalone', url: 'rediss://cache:6380/0', tls: true });
  });

  it('reads a Sentinel topology, which waits for one replica by default', () => {
    const config = loadConfig({
      ...PRODUCTION,
      REDIS_SENTINELS: 'sentinel-1:26379, sentinel-2:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'byok',
      REDIS_PASSWORD: 'test-redis-password-0123',
    });
    expect(config.redis.topology).toMatchObject({
      kind: 'sentinel',
      name: 'byok',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(config.redis.replicaAcks).toBe(1);
  });

  it('reads a Cluster topology, which trusts the primary alone unless told otherwise', () => {
    const config = loadConfig({ ...PRODUCTION, REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2:7001' });
    expect(config.redis).toMatchObject({ topology: { kind: 'cluster', nodes: [{ host: 'redis-1', port: 7000 }, { host: 'redis-2', port: 7001 }] }, replicaAcks: 0 });
    expect(loadConfig({ ...PRODUCTION, REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_REPLICA_ACKS: '1' }).redis.replicaAcks).toBe(1);
  });

  it.each([
    [{ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }, /^REDIS_CLUSTER_NODES: set only one of/],
    [{ REDIS_SENTINELS: 'a:26379' }, /^REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/],
    [{ REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'byok' }, /^REDIS_SENTINELS: expected host:port entries/],
    [{ REDIS_PASSWORD: 'x' }, /^REDIS_PASSWORD: needs REDIS_SENTINELS or REDIS_CLUSTER_NODES/],
    [{ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'x' }, /^REDIS_PASSWORD: is part of REDIS_URL/],
    [{ REDIS_URL: 'redis://a:6379', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, /^REDIS_TLS_CA_FILE: cannot be read/],
  ])('refuses a contradictory or incomplete Redis topology, naming the setting (%o)', (settings, message) => {
    expect(() => loadConfig({ ...PRODUCTION, ...settings })).toThrow(message);
  });

  it('normalises ALLOWED_ORIGINS to origins', () => {
    const config = loadConfig({ ...PRODUCTION, ALLOWED_ORIGINS: 'https://A.example:443, http://b.example:8080/' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
  ] as const)('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('reads a per-provider key policy', () => {
    expect(provider({ ...PRODUCTION, KEY_POLICY_OPENAI: 'user-only' }, 'openai').policy).toBe('user-only');
    expect(provider({ ...PRODUCTION, KEY_POLICY_OPENAI: 'user-only' }, 'anthropic').policy).toBe('env-first');
  });

  it('overrides a base URL, trimming trailing slashes', () => {
    expect(provider({ ...PRODUCTION, OPENAI_BASE_URL: 'https://proxy.example/v1/' }, 'openai').baseUrl).toBe(
      'https://proxy.example/v1',
    );
    expect(provider({ ...PRODUCTION, OPENAI_BASE_URL: 'http://localhost:8080//' }, 'openai').baseUrl).toBe(
      'http://localhost:8080',
    );
  });

  it('keeps the default base URL when not overridden', () => {
    expect(provider(PRODUCTION, 'openai').baseUrl).toBe('https://api.openai.com/v1');
  });

  it('turns OPENAI_API_KEY into the env key, held as a Secret', () => {
    const openai = provider({ ...PRODUCTION, OPENAI_API_KEY: ' sk-env-key-0123456789abcdef ' }, 'openai');
    expect(openai.envKey).toBeInstanceOf(Secret);
    expect(openai.envKey?.reveal()).toBe('sk-env-key-0123456789abcdef');
    expect(JSON.stringify(openai)).not.toContain('sk-env-key-0123456789abcdef');
  });

  it('treats a blank OPENAI_API_KEY as no env key', () => {
    expect(provider({ ...PRODUCTION, OPENAI_API_KEY: '' }, 'openai').envKey).toBeNull();
  });
});

describe('loadConfig OPENAI_COMPATIBLE_PROVIDERS', () => {
  const entry = { id: 'my-llm', name: 'My LLM', baseUrl: 'https://llm.example/v1/' };
  const withProviders = (value: unknown, extra: Env = {}): Env => ({
    ...PRODUCTION,
    OPENAI_COMPATIBLE_PROVIDERS: typeof value === 'string' ? value : JSON.stringify(value),
    ...extra,
  });

  it('adds a provider after the built-in ones', () => {
    const ids = loadConfig(withProviders([entry])).providers.map((item) => item.id);
    expect(ids).toEqual([...BUILT_IN_PROVIDER_IDS, 'my-llm']);
  });

  it('describes the added provider with defaults', () => {
    const added = provider(withProviders([entry]), 'my-llm');
    expect(added).toMatchObject({
      name: 'My LLM',
      family: 'openai-compatible',
      baseUrl: 'https://llm.example/v1',
      keyRequired: true,
      envKeyVar: 'MY_LLM_API_KEY',
      envKey: null,
      policy: 'env-first',
    });
    expect(added.keyFormat).toEqual(GENERIC_KEY_FORMAT);
  });

  it('reads the provider settings from its env stem (my-llm -> MY_LLM_*)', () => {
    const added = provider(
      withProviders([entry], {
        MY_LLM_API_KEY: 'my-llm-env-key-123',
        KEY_POLICY_MY_LLM: 'user-first',
        MY_LLM_BASE_URL: 'https://other.example/api/',
      }),
      'my-llm',
    );
    expect(added.envKey?.reveal()).toBe('my-llm-env-key-123');
    expect(added.policy).toBe('user-first');
    expect(added.baseUrl).toBe('https://other.example/api');
  });

  it('names KEY_POLICY_<STEM> when the added provider has a bad policy', () => {
    expectConfigError(withProviders([entry], { KEY_POLICY_MY_LLM: 'never' }), 'KEY_POLICY_MY_LLM');
  });

  it('honours apiKeyEnv, keyPrefix and keyRequired', () => {
    const added = provider(
      withProviders([{ ...entry, apiKeyEnv: 'LLM_TOKEN', keyPrefix: 'llm_', keyRequired: false }], {
        LLM_TOKEN: 'llm_secret-value',
        MY_LLM_API_KEY: 'ignored',
      }),
      'my-llm',
    );
    expect(added.envKeyVar).toBe('LLM_TOKEN');
    expect(added.envKey?.reveal()).toBe('llm_secret-value');
    expect(added.keyFormat.prefixes).toEqual(['llm_']);
    expect(added.keyRequired).toBe(false);
  });

  it('treats an empty array as no extra providers', () => {
    expect(loadConfig(withProviders([])).providers).toHaveLength(BUILT_IN_PROVIDER_IDS.length);
  });

  it.each([
    ['invalid JSON', '[{"id":'],
    ['a JSON object instead of an array', { id: 'my-llm' }],
    ['a JSON string', '"my-llm"'],
    ['a null entry', [null]],
    ['a string entry', ['my-llm']],
    ['the built-in id openai', [{ ...entry, id: 'openai' }]],
    ['the built-in id ollama', [{ ...entry, id: 'ollama' }]],
    ['the same id twice', [entry, { ...entry, name: 'Again' }]],
    ['the id __proto__', [{ ...entry, id: '__proto__' }]],
    ['an id with capitals', [{ ...entry, id: 'My-LLM' }]],
    ['an id with an underscore', [{ ...entry, id: 'my_llm' }]],
    ['a one-character id', [{ ...entry, id: 'x' }]],
    ['a missing id', [{ name: 'My LLM', baseUrl: 'https://llm.example' }]],
    ['a missing name', [{ id: 'my-llm', baseUrl: 'https://llm.example' }]],
    ['a blank name', [{ ...entry, name: '   ' }]],
    ['a name longer than 64 characters', [{ ...entry, name: 'n'.repeat(65) }]],
    ['a missing baseUrl', [{ id: 'my-llm', name: 'My LLM' }]],
    ['a baseUrl that is not a URL', [{ ...entry, baseUrl: 'llm.example' }]],
    ['a non-HTTP baseUrl', [{ ...entry, baseUrl: 'file:///etc/passwd' }]],
    ['a keyPrefix with spaces', [{ ...entry, keyPrefix: 'sk live' }]],
    ['a lowercase apiKeyEnv', [{ ...entry, apiKeyEnv: 'my_key' }]],
    ['a non-boolean keyRequired', [{ ...entry, keyRequired: 'no' }]],
  ])('rejects %s, naming OPENAI_COMPATIBLE_PROVIDERS', (_label, value) => {
    expectConfigError(withProviders(value), 'OPENAI_COMPATIBLE_PROVIDERS');
  });

  it('does not pollute Object.prototype through a __proto__ entry', () => {
    expect(() =>
      loadConfig(withProviders('[{"id":"__proto__","name":"x","baseUrl":"https://x.example","polluted":true}]')),
    ).toThrow(ConfigError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('says which entry is wrong', () => {
    const error = expectConfigError(withProviders([entry, { ...entry, id: 'openai' }]), 'OPENAI_COMPATIBLE_PROVIDERS');
    expect(error.message).toContain('#2');
  });
});

describe('loadConfig reads a full, valid environment', () => {
  const caDir = mkdtempSync(join(tmpdir(), 'byok-config-ca-'));
  const caFile = join(caDir, 'ca.pem');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nunit\n-----END CERTIFICATE-----\n');
  afterAll(() => rmSync(caDir, { recursive: true, force: true }));

  const FULL: Env = {
    ...PRODUCTION,
    HOST: '127.0.0.1',
    PORT: '8080',
    REDIS_URL: 'rediss://cache.internal:6380/0',
    REDIS_TLS_CA_FILE: caFile,
    REDIS_REPLICA_ACKS: '2',
    REDIS_REPLICA_ACK_TIMEOUT: '250ms',
    ALLOWED_ORIGINS: 'https://app.example',
    TRUST_PROXY: '10.0.0.0/8',
    SESSION_IDLE_TIMEOUT: '30m',
    SESSION_ABSOLUTE_TIMEOUT: '12h',
    LOG_LEVEL: 'warn',
    KEY_RATE_LIMIT: '5',
    KEY_RATE_WINDOW: '10m',
    VALIDATE_TIMEOUT: '2s',
    CHAT_FIRST_TOKEN_TIMEOUT: '90s',
    CHAT_IDLE_TIMEOUT: '45s',
    CHAT_MAX_STREAMS: '3',
    CHAT_RATE_LIMIT: '30',
    SOCKET_MAX_PER_SESSION: '4',
    SOCKET_MAX_PER_IP: '64',
    WEB_ROOT: '/srv/byok/web',
    API_DOCS: 'true',
    AUTH_MODE: 'proxy',
    AUTH_PROXY_USER_HEADER: 'X-Auth-Request-User',
    AUTH_PROXY_EMAIL_HEADER: 'X-Auth-Request-Email',
    AUTH_PROXY_GROUPS_HEADER: 'X-Auth-Request-Groups',
    AUTH_PROXY_SIGN_IN_URL: 'https://auth.example/start',
    AUTH_PROXY_SIGN_OUT_URL: '/bye',
    KEY_LIFETIMES: '7d,session,12h',
    METRICS_PORT: '9464',
    METRICS_TOKEN: 'metrics-token-0123456789-abcdefghijkl',
    DRAIN_TIMEOUT: '1m',
    REQUEST_BODY_LIMIT: '1048576',
    OPENAI_API_KEY: 'sk-test-full-env-key-0123456789',
    KEY_POLICY_OPENAI: 'user-first',
    KEY_ENV_GROUPS_OPENAI: 'eng, ops',
    ANTHROPIC_BASE_URL: 'https://anthropic-proxy.example/',
  };

  it('parses every setting into the config the API runs with', () => {
    const config = loadConfig(FULL);
    expect(config).toMatchObject({
      production: true,
      host: '127.0.0.1',
      port: 8080,
      redis: {
        topology: { kind: 'standalone', url: 'rediss://cache.internal:6380/0', tls: true, auth: { username: null, password: null, tlsCa: expect.stringContaining('BEGIN CERTIFICATE') } },
        replicaAcks: 2,
        replicaAckTimeoutMs: 250,
      },
      allowedOrigins: ['https://app.example'],
      allowedHosts: [{ hostname: 'chat.example.com', subdomains: false }],
      trustProxy: ['10.0.0.0/8'],
      sessionIdleTimeoutMs: 30 * 60_000,
      sessionAbsoluteTimeoutMs: 12 * 3_600_000,
      logLevel: 'warn',
      keyRateLimit: 5,
      keyRateWindowMs: 10 * 60_000,
      validateTimeoutMs: 2000,
      chatFirstTokenTimeoutMs: 90_000,
      chatIdleTimeoutMs: 45_000,
      chatMaxStreams: 3,
      chatRateLimit: 30,
      socketMaxPerSession: 4,
      socketMaxPerAddress: 64,
      requestBodyLimitBytes: 1_048_576,
      webRoot: '/srv/byok/web',
      apiDocs: true,
      metricsPort: 9464,
      drainTimeoutMs: 60_000,
      auth: {
        mode: 'proxy',
        userHeader: 'x-auth-request-user',
        emailHeader: 'x-auth-request-email',
        groupsHeader: 'x-auth-request-groups',
        signInUrl: 'https://auth.example/start',
        signOutUrl: '/bye',
      },
      keyLifetimes: [
        { id: '7d', label: '7 days', ms: 7 * 86_400_000 },
        { id: 'session', label: 'This session only', ms: null },
        { id: '12h', label: '12 hours', ms: 12 * 3_600_000 },
      ],
      warnings: [],
    });
    expect(config.metricsToken?.reveal()).toBe(FULL.METRICS_TOKEN);
    expect(provider(FULL, 'openai')).toMatchObject({ policy: 'user-first', envKeyGroups: ['eng', 'ops'] });
    expect(provider(FULL, 'openai').envKey?.reveal()).toBe(FULL.OPENAI_API_KEY);
    expect(provider(FULL, 'anthropic').baseUrl).toBe('https://anthropic-proxy.example');
  });

  it('trims every value, and treats a blank one as unset', () => {
    const config = loadConfig({ PORT: ' 8080 ', AUTH_MODE: '', LOG_LEVEL: '\tdebug\n', TRUST_PROXY: '  ' });
    expect(config).toMatchObject({ port: 8080, auth: { mode: 'none' }, logLevel: 'debug', trustProxy: false });
  });
});

describe('loadConfig never quotes a bad value', () => {
  const entry = { id: 'my-llm', name: 'My LLM', baseUrl: 'https://llm.example/v1' };
  const OIDC: Env = {
    ...PRODUCTION,
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: 'https://idp.example',
    OIDC_CLIENT_ID: 'byok',
    OIDC_CLIENT_SECRET: 'oidc-client-secret-unit',
    OIDC_REDIRECT_URI: 'https://chat.example.com/api/auth/callback',
  };
  const PROXY: Env = { ...PRODUCTION, AUTH_MODE: 'proxy', TRUST_PROXY: '10.0.0.1' };

  it.each([
    ['PORT', 'port-leak-marker', PRODUCTION],
    ['PORT', '70000', PRODUCTION],
    ['SESSION_SECRET', 'sk-test-short-leak-marker', PRODUCTION],
    ['KEYSTORE_SECRETS', `${KEYSTORE_SECRET},sk-test-short-leak-marker`, PRODUCTION],
    ['METRICS_TOKEN', 'sk-test-short-leak-marker', PRODUCTION],
    ['METRICS_PORT', '99999', PRODUCTION],
    ['REDIS_URL', 'https://user:redis-pass-leak-marker@cache:6379', PRODUCTION],
    ['REDIS_URL', 'redis-pass-leak-marker', PRODUCTION],
    ['REDIS_SENTINELS', 'sentinel-leak-marker', { ...PRODUCTION, REDIS_SENTINEL_NAME: 'byok' }],
    ['REDIS_CLUSTER_NODES', 'cluster-leak-marker', PRODUCTION],
    ['REDIS_REPLICA_ACKS', 'acks-leak-marker', PRODUCTION],
    ['REDIS_REPLICA_ACK_TIMEOUT', 'timeout-leak-marker', PRODUCTION],
    ['REDIS_TLS_CA_FILE', '/nonexistent/ca-leak-marker.pem', { ...PRODUCTION, REDIS_URL: 'redis://cache:6379' }],
    ['ALLOWED_ORIGINS', 'https://origin.example/leak-marker', PRODUCTION],
    ['ALLOWED_HOSTS', 'https://hosts-leak-marker', PRODUCTION],
    ['TRUST_PROXY', 'proxy-leak-marker', PRODUCTION],
    ['SESSION_IDLE_TIMEOUT', 'idle-leak-marker', PRODUCTION],
    ['LOG_LEVEL', 'level-leak-marker', PRODUCTION],
    ['API_DOCS', 'docs-leak-marker', PRODUCTION],
    ['AUTH_MODE', 'mode-leak-marker', PRODUCTION],
    ['AUTH_PROXY_USER_HEADER', 'header leak marker', PROXY],
    ['AUTH_PROXY_SIGN_IN_URL', 'ftp://sign-in-leak-marker', PROXY],
    ['OIDC_ISSUER', 'http://issuer-leak-marker.example', OIDC],
    ['OIDC_REDIRECT_URI', 'https://chat.example.com/redirect-leak-marker', OIDC],
    ['OIDC_SCOPES', 'scope-leak-marker', OIDC],
    ['OIDC_GROUPS_CLAIM', 'claim leak marker', OIDC],
    ['OIDC_POST_LOGOUT_REDIRECT_URI', 'logout-leak-marker', OIDC],
    ['KEY_LIFETIMES', 'session,lifetime-leak-marker', PRODUCTION],
    ['KEY_POLICY_OPENAI', 'policy-leak-marker', PRODUCTION],
    ['OPENAI_BASE_URL', 'file:///base-url-leak-marker', PRODUCTION],
    ['OPENAI_COMPATIBLE_PROVIDERS', '[{"id": "leak-marker"', PRODUCTION],
    ['OPENAI_COMPATIBLE_PROVIDERS', JSON.stringify([{ ...entry, apiKeyEnv: 'sk-test-leak-marker' }]), PRODUCTION],
    ['OPENAI_COMPATIBLE_PROVIDERS', JSON.stringify([{ ...entry, baseUrl: 'leak-marker' }]), PRODUCTION],
  ])('%s=%s is refused by name, without the value', (setting, value, base) => {
    const error = expectConfigError({ ...base, [setting]: value }, setting);
    expect(error.message).not.toContain(value);
    expect(error.message).not.toContain('leak-marker');
  });
});

describe('loadConfig sign-in settings', () => {
  const OIDC: Env = {
    ...PRODUCTION,
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: 'https://idp.example/realms/byok',
    OIDC_CLIENT_ID: 'byok',
    OIDC_CLIENT_SECRET: 'oidc-client-secret-unit',
    OIDC_REDIRECT_URI: 'https://chat.example.com/api/auth/callback',
  };

  it('reads an OIDC client with its defaults: standard scopes, the groups claim, the site root after sign-out', () => {
    const { auth } = loadConfig(OIDC);
    if (auth.mode !== 'oidc') throw new Error(`expected oidc, got ${auth.mode}`);
    expect(auth).toMatchObject({ clientId: 'byok', scopes: 'openid profile email', groupsClaim: 'groups', allowHttpIssuer: false });
    expect(auth.issuer.href).toBe('https://idp.example/realms/byok');
    expect(auth.clientSecret.reveal()).toBe('oidc-client-secret-unit');
    expect(auth.postLogoutRedirectUri.href).toBe('https://chat.example.com/');
  });

  it('reads OIDC scopes separated by spaces or commas, a plain-HTTP loopback issuer and a sign-out address', () => {
    const { auth } = loadConfig({
      ...OIDC,
      OIDC_ISSUER: 'http://127.0.0.1:9000',
      OIDC_SCOPES: 'openid, email  groups',
      OIDC_POST_LOGOUT_REDIRECT_URI: 'https://chat.example.com/signed-out',
    });
    expect(auth).toMatchObject({ scopes: 'openid email groups', allowHttpIssuer: true });
    expect(auth.mode === 'oidc' && auth.postLogoutRedirectUri.href).toBe('https://chat.example.com/signed-out');
  });

  it.each(['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'])('needs %s with AUTH_MODE=oidc', (setting) => {
    expect(expectConfigError({ ...OIDC, [setting]: undefined }, setting).message).toBe(`${setting}: is required when AUTH_MODE=oidc`);
  });

  it.each([
    ['OIDC_ISSUER', 'http://idp.example', 'must be an https URL'],
    ['OIDC_REDIRECT_URI', 'https://chat.example.com/callback', 'must end in /api/auth/callback'],
    ['OIDC_SCOPES', 'profile email', 'must include openid'],
    ['OIDC_GROUPS_CLAIM', 'group claim', 'expected a claim name'],
  ])('refuses %s=%s', (setting, value, rule) => {
    expect(expectConfigError({ ...OIDC, [setting]: value }, setting).message).toContain(rule);
  });

  it('reads the proxy headers in lower case, and the default sign-in and sign-out paths', () => {
    expect(loadConfig({ ...PRODUCTION, AUTH_MODE: 'proxy', TRUST_PROXY: 'loopback' }).auth).toEqual({
      mode: 'proxy',
      userHeader: 'x-forwarded-user',
      emailHeader: null,
      groupsHeader: null,
      signInUrl: '/oauth2/sign_in',
      signOutUrl: '/oauth2/sign_out',
    });
  });

  it.each(['//evil.example/sign-in', 'javascript:alert(1)', 'sign-in'])('refuses AUTH_PROXY_SIGN_IN_URL=%s', (value) => {
    expectConfigError({ ...PRODUCTION, AUTH_MODE: 'proxy', TRUST_PROXY: 'loopback', AUTH_PROXY_SIGN_IN_URL: value }, 'AUTH_PROXY_SIGN_IN_URL');
  });

  it.each(['true', 'false', '1'])('refuses TRUST_PROXY=%s with AUTH_MODE=proxy, which must name the proxy', (trustProxy) => {
    const error = expectConfigError({ ...PRODUCTION, AUTH_MODE: 'proxy', TRUST_PROXY: trustProxy }, 'TRUST_PROXY');
    expect(error.message).toContain('AUTH_MODE=proxy');
  });

  it('reads the settings of the chosen mode only, as before', () => {
    const elsewhere = { AUTH_PROXY_USER_HEADER: 'not a header', OIDC_ISSUER: 'not a url', OIDC_SCOPES: 'profile' };
    expect(loadConfig({ ...PRODUCTION, ...elsewhere }).auth).toEqual({ mode: 'none' });
    expect(loadConfig({ ...PRODUCTION, ...elsewhere, AUTH_MODE: 'proxy', AUTH_PROXY_USER_HEADER: undefined, TRUST_PROXY: 'loopback' }).auth.mode).toBe('proxy');
  });

  it('refuses KEY_ENV_GROUPS_<PROVIDER> without sign-in, and reads the groups with it', () => {
    expect(expectConfigError({ ...PRODUCTION, KEY_ENV_GROUPS_GEMINI: 'eng' }, 'KEY_ENV_GROUPS_GEMINI').message).toContain('AUTH_MODE');
    expect(provider({ ...OIDC, KEY_ENV_GROUPS_GEMINI: 'eng, ops' }, 'gemini').envKeyGroups).toEqual(['eng', 'ops']);
    expect(provider(OIDC, 'gemini').envKeyGroups).toBeNull();
  });
});

describe('loadConfig Redis topologies', () => {
  it.each([
    [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'byok' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'b:26379', REDIS_CLUSTER_NODES: 'c:7000', REDIS_SENTINEL_NAME: 'byok' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'c:7000', REDIS_SENTINEL_NAME: 'byok' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINEL_PASSWORD: 'sentinel-password-unit' }, 'REDIS_SENTINEL_PASSWORD'],
    [{ REDIS_USERNAME: 'byok' }, 'REDIS_USERNAME'],
    [{ REDIS_URL: 'redis://a:6379', REDIS_USERNAME: 'byok' }, 'REDIS_USERNAME'],
    [{ REDIS_CLUSTER_NODES: ' , ' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_REPLICA_ACKS: '17' }, 'REDIS_REPLICA_ACKS'],
    [{ REDIS_REPLICA_ACK_TIMEOUT: '5ms' }, 'REDIS_REPLICA_ACK_TIMEOUT'],
  ])('refuses %o, naming %s', (settings, setting) => {
    expectConfigError({ ...PRODUCTION, ...settings }, setting);
  });

  it('reads the Sentinel and data-node credentials as secrets', () => {
    const { topology } = loadConfig({
      ...PRODUCTION,
      REDIS_SENTINELS: 'sentinel:26379',
      REDIS_SENTINEL_NAME: 'byok',
      REDIS_SENTINEL_PASSWORD: 'sentinel-password-unit',
      REDIS_USERNAME: 'byok-app',
      REDIS_PASSWORD: 'redis-password-unit',
      REDIS_REPLICA_ACKS: '0',
    }).redis;
    if (topology?.kind !== 'sentinel') throw new Error(`expected a sentinel topology, got ${topology?.kind}`);
    expect(topology.sentinelPassword?.reveal()).toBe('sentinel-password-unit');
    expect(topology.auth.username).toBe('byok-app');
    expect(topology.auth.password?.reveal()).toBe('redis-password-unit');
    expect(JSON.stringify(topology)).not.toContain('password-unit');
  });

  it('lets REDIS_REPLICA_ACKS=0 override the Sentinel default of one', () => {
    expect(loadConfig({ ...PRODUCTION, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'byok', REDIS_REPLICA_ACKS: '0' }).redis.replicaAcks).toBe(0);
  });

  it('reads REDIS_TLS_CA_FILE only once a topology uses it', () => {
    expect(loadConfig({ ...PRODUCTION, REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }).redis.topology).toBeNull();
  });
});

describe('loadConfig KEY_LIFETIMES', () => {
  it('offers a session, a day, a week and a month by default, the session first', () => {
    expect(loadConfig(PRODUCTION).keyLifetimes.map(({ id, label }) => `${id}=${label}`)).toEqual([
      'session=This session only',
      '1d=1 day',
      '7d=7 days',
      '30d=30 days',
    ]);
  });

  it.each([
    [',', 'must list at least one lifetime'],
    ['session,1w', 'expected session or a number of hours or days'],
    ['session,0d', 'expected session or a number of hours or days'],
    ['session,1d,1d', 'is listed twice (entry #3)'],
  ])('refuses KEY_LIFETIMES=%s', (value, rule) => {
    expect(expectConfigError({ ...PRODUCTION, KEY_LIFETIMES: value }, 'KEY_LIFETIMES').message).toContain(rule);
  });

  it('parses a list on its own for the stores', () => {
    expect(readKeyLifetimes('12h').map((lifetime) => lifetime.ms)).toEqual([12 * 3_600_000]);
    expect(() => readKeyLifetimes('forever')).toThrow(/^KEY_LIFETIMES: /);
  });
});
