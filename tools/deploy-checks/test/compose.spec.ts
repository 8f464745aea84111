import { execFileSync, spawnSync } from 'node:child_process';
import { envOf, parseDockerfile, stage } from './support/dockerfile';
import { describeWithTool } from './support/required-tool';
import {
  apiSettings,
  COMPOSE_FILE,
  environmentOf,
  interpolatedVariables,
  isApiSetting,
  loadCompose,
  OAUTH2_PROXY_COMPOSE_FILE,
  OBSERVABILITY_COMPOSE_FILE,
  OIDC_COMPOSE_FILE,
  parseEnvFile,
  readText,
  ROOT,
  SENTINEL_COMPOSE_FILE,
} from './support/workspace';

const compose = loadCompose();
const services = compose.services;
const apiServices = Object.keys(services).filter((name) => /^api-\d+$/.test(name));

/** The overrides, each used on top of docker-compose.yml; .env serves them too. */
const OVERRIDE_COMPOSE_FILES = [OAUTH2_PROXY_COMPOSE_FILE, OIDC_COMPOSE_FILE, SENTINEL_COMPOSE_FILE, OBSERVABILITY_COMPOSE_FILE];

/** Variables that only the compose files themselves use; they never reach the API. */
const COMPOSE_ONLY = ['REDIS_PASSWORD', 'HTTP_PORT', 'HTTPS_PORT', 'TLS_CERT_DIR', 'GRAFANA_ADMIN_PASSWORD', 'GRAFANA_PORT'];

/**
 * API settings no compose variant passes: Redis stays on the internal backend network without
 * TLS, no variant runs a Redis Cluster, the data nodes know only the default user, and Prometheus
 * scrapes METRICS_PORT rather than the main port with a token.
 */
const UNUSED_BY_COMPOSE = ['REDIS_TLS_CA_FILE', 'REDIS_CLUSTER_NODES', 'REDIS_USERNAME', 'METRICS_TOKEN'];

function dockerComposeAvailable(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

describe('docker-compose.yml', () => {
  it('defines Redis, at least two API instances and the proxy, with no top-level name (Compose v1 rejects it)', () => {
    expect(Object.keys(compose)).not.toContain('name');
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'proxy']));
    expect(apiServices.length).toBeGreaterThanOrEqual(2);
  });

  it('gives every service a healthcheck, and starts each one after what it needs is healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, test: service.healthcheck?.test }).toEqual({ name, test: expect.anything() });
    }
    for (const api of apiServices) {
      expect(services[api].depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    }
    expect(services['proxy'].depends_on).toEqual(
      Object.fromEntries(apiServices.map((api) => [api, { condition: 'service_healthy' }])),
    );
  });

  it('runs Redis with AOF on a named volume, behind a password its healthcheck uses', () => {
    const redis = services['redis'];
    const command = redis.command as string[];
    expect(command.join(' ')).toMatch(/--appendonly yes/);
    expect(command[command.indexOf('--requirepass') + 1]).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    const [volume, mountPoint] = (redis.volumes ?? [])[0].split(':');
    expect(mountPoint).toBe('/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    // redis-cli authenticates with REDISCLI_AUTH, so the ping cannot pass without the password.
    expect(environmentOf(redis)['REDISCLI_AUTH']).toMatch(/^\$\{REDIS_PASSWORD[:?}]/);
    expect(JSON.stringify(redis.healthcheck?.test)).toMatch(/redis-cli ping/);
  });

  it('passes the API instances only settings the API reads', () => {
    for (const api of apiServices) {
      const unknown = Object.keys(environmentOf(services[api])).filter((name) => !isApiSetting(name));
      expect({ api, unknown }).toEqual({ api, unknown: [] });
    }
  });

  it('gives every API instance the same Redis (with its password), secrets and one trusted proxy hop', () => {
    const [first, ...others] = apiServices.map((api) => environmentOf(services[api]));
    for (const other of others) expect(other).toEqual(first);
    expect(first['NODE_ENV']).toBe('production');
    expect(first['REDIS_URL']).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379\/\d+$/);
    expect(first['SESSION_SECRET']).toMatch(/^\$\{SESSION_SECRET:\?/);
    expect(first['KEYSTORE_SECRETS']).toMatch(/^\$\{KEYSTORE_SECRETS:\?/);
    // `true` would trust every X-Forwarded-For hop, letting clients pick their IP (rate limits).
    expect(first['TRUST_PROXY']).toBe('1');
  });

  it('publishes only the proxy, and keeps Redis on an internal network', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'proxy') expect({ name, ports: service.ports }).toEqual({ name, ports: undefined });
    }
    expect(services['redis'].networks).toEqual(['backend']);
    expect(compose.networks?.['backend']).toEqual({ internal: true });
  });

  it('builds the API and proxy images from Dockerfile targets', () => {
    for (const name of [...apiServices, 'proxy']) {
      expect(services[name].build).toEqual({
        context: '.',
        dockerfile: 'docker/Dockerfile',
        target: name === 'proxy' ? 'proxy' : 'api',
      });
    }
  });
});

describe('.env.example', () => {
  const example = parseEnvFile(readText('.env.example'));
  const composeFiles = [COMPOSE_FILE, ...OVERRIDE_COMPOSE_FILES];
  const interpolated = new Set(composeFiles.flatMap((file) => [...interpolatedVariables(readText(file))]));
  // Settings a compose file sets itself rather than passing through the same-named variable of .env.
  const fixedByCompose = [
    ...new Set(
      composeFiles.flatMap((file) =>
        Object.entries(environmentOf(loadCompose(file).services[apiServices[0]]))
          .filter(([name, value]) => !new RegExp(`^\\$\\{${name}(:[-?][^}]*)?\\}$`).test(value))
          .map(([name]) => name),
      ),
    ),
  ];
  const fixedByImage = [...envOf(stage(parseDockerfile(readText('docker/Dockerfile')).stages, 'api')).keys()];
  // oauth2-proxy's settings: they configure its container, never the API.
  const oauth2ProxyOnly = [...interpolatedVariables(readText(OAUTH2_PROXY_COMPOSE_FILE))].filter((name) =>
    name.startsWith('OAUTH2_PROXY_'),
  );

  it('lists exactly the variables docker-compose.yml and its overrides interpolate', () => {
    expect([...example.keys()].sort()).toEqual([...interpolated].sort());
  });

  it('holds only API settings and the compose-only ones, with no secret filled in', () => {
    const unknown = [...example.keys()].filter(
      (name) => !isApiSetting(name) && !COMPOSE_ONLY.includes(name) && !oauth2ProxyOnly.includes(name),
    );
    expect(unknown).toEqual([]);
    const secrets = [
      'REDIS_PASSWORD',
      'SESSION_SECRET',
      'KEYSTORE_SECRETS',
      'OIDC_CLIENT_SECRET',
      'OAUTH2_PROXY_CLIENT_SECRET',
      'OAUTH2_PROXY_COOKIE_SECRET',
      'REDIS_SENTINEL_PASSWORD',
      'GRAFANA_ADMIN_PASSWORD',
    ];
    for (const secret of secrets) expect({ secret, value: example.get(secret) }).toEqual({ secret, value: '' });
  });

  it('covers every API setting, except those the deployment fixes itself', () => {
    const missing = apiSettings()
      .SETTINGS.map((setting) => setting.name)
      .filter(
        (name) => !example.has(name) && !fixedByCompose.includes(name) && !fixedByImage.includes(name) && !UNUSED_BY_COMPOSE.includes(name),
      );
    expect(missing).toEqual([]);
    expect(UNUSED_BY_COMPOSE.filter((name) => example.has(name) || !isApiSetting(name))).toEqual([]);
    expect(fixedByCompose.sort()).toEqual([
      'AUTH_MODE',
      'AUTH_PROXY_EMAIL_HEADER',
      'AUTH_PROXY_GROUPS_HEADER',
      'AUTH_PROXY_SIGN_IN_URL',
      'AUTH_PROXY_USER_HEADER',
      'METRICS_PORT',
      'NODE_ENV',
      'REDIS_SENTINELS',
      'REDIS_SENTINEL_NAME',
      'REDIS_URL',
      'TRUST_PROXY',
    ]);
  });
});

const describeWithCompose = describeWithTool('docker-compose', dockerComposeAvailable(), 'apt-get install docker-compose');

describeWithCompose('docker-compose config (Compose v1.29, no engine needed)', () => {
  const secrets = {
    REDIS_PASSWORD: 'a'.repeat(32),
    SESSION_SECRET: 'b'.repeat(32),
    KEYSTORE_SECRETS: 'c'.repeat(32),
  };
  const run = (env: Record<string, string>) =>
    spawnSync('docker-compose', ['-f', COMPOSE_FILE, '--project-directory', ROOT, 'config', '-q'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...env },
      encoding: 'utf8',
    });

  it('accepts the file once the secrets are set', () => {
    const result = run(secrets);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('refuses to render without the secrets, naming the missing one', () => {
    for (const name of Object.keys(secrets)) {
      const result = run({ ...secrets, [name]: '' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(name);
    }
  });

  it('renders the password into REDIS_URL of every API instance', () => {
    const rendered = execFileSync('docker-compose', ['-f', COMPOSE_FILE, 'config'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...secrets },
      encoding: 'utf8',
    });
    for (const api of apiServices) {
      expect(rendered).toContain(`REDIS_URL: redis://:${secrets.REDIS_PASSWORD}@redis:6379/0`);
      expect(rendered).toContain(`${api}:`);
    }
  });
});
