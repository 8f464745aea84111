import { BUILT_IN_PROVIDER_IDS, GENERIC_KEY_FORMAT } from '@byok/contracts';
import { Secret } from '../common/secret';
import { loadConfig } from './app-config';
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
