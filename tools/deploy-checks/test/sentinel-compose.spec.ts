import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ManagedProcess, waitFor } from '@byok/cluster';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { inSubnet } from './support/ipv4';
import { directives, entrypointStub, parseRedisConf, RENDER_ONCE } from './support/redis-conf';
import { describeWithTool } from './support/required-tool';
import {
  COMPOSE_FILE,
  environmentOf,
  interpolate,
  interpolatedVariables,
  isApiSetting,
  loadCompose,
  OBSERVABILITY_COMPOSE_FILE,
  readText,
  ROOT,
  SENTINEL_COMPOSE_FILE,
  type ComposeFile,
  type ComposeService,
  apiServiceNames,
} from './support/workspace';

const base = loadCompose();
const apiServices = apiServiceNames(base);
const sentinelCompose = loadCompose(SENTINEL_COMPOSE_FILE);
const services = sentinelCompose.services;
const DATA_NODES = ['redis', 'redis-replica'];
const sentinels = Object.keys(services).filter((name) => /^redis-sentinel-\d+$/.test(name));
const SENTINEL_PORT = 26379;
const DATA_PORT = 6379;

const secrets = {
  REDIS_PASSWORD: 'a'.repeat(32),
  SESSION_SECRET: 'b'.repeat(32),
  KEYSTORE_SECRETS: 'c'.repeat(32),
  REDIS_SENTINEL_PASSWORD: 'd'.repeat(32),
};

function addressOf(service: ComposeService): string {
  return (service.networks as Record<string, { ipv4_address?: string }>)['backend']?.ipv4_address ?? '';
}

/** The repository folder a service mounts at `containerPath`'s folder, from its volumes. */
function hostPathOf(service: ComposeService, containerPath: string): string {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source.startsWith('./') && containerPath.startsWith(`${target}/`)) return join(ROOT, source, containerPath.slice(target.length));
  }
  throw new Error(`no bind mount holds ${containerPath}`);
}

/** The service's command with the secrets filled in, as Compose passes it to the entrypoint. */
function commandOf(service: ComposeService, env: Record<string, string> = secrets): string[] {
  return (service.command as string[]).map((argument) => interpolate(argument, env));
}

/** `--name value…` options of a redis-server command line, by name, each occurrence's values. */
function optionsOf(args: readonly string[]): Map<string, string[][]> {
  const options = new Map<string, string[][]>();
  let current: string[] | null = null;
  for (const argument of args) {
    if (argument.startsWith('--')) {
      current = [];
      const name = argument.slice(2);
      options.set(name, [...(options.get(name) ?? []), current]);
    } else if (current) {
      current.push(argument);
    } else {
      throw new Error(`not an option: ${argument}`);
    }
  }
  return options;
}

interface Rendered {
  status: number | null;
  stderr: string;
  config: string;
  /** What render-once.sh handed to the image's entrypoint. */
  execArgs: string[];
}

/** Runs docker/redis-sentinel/render-once.sh as the service's entrypoint would, in `dir`. */
function renderOnce(name: string, dir: string, env: Record<string, string> = {}): Rendered {
  const service = services[name];
  const [template, config, ...options] = commandOf(service);
  const localConfig = join(dir, config.replace(/^\/data\//, ''));
  const execArgsFile = join(dir, 'exec-args');
  const result = spawnSync('sh', [join(ROOT, RENDER_ONCE), hostPathOf(service, template), localConfig, ...options], {
    cwd: dir,
    env: {
      PATH: `${entrypointStub(dir, 'record')}:${process.env['PATH']}`,
      BYOK_TEST_EXEC_ARGS: execArgsFile,
      ...Object.fromEntries(Object.entries(environmentOf(service)).map(([key, value]) => [key, interpolate(value, secrets)])),
      ...env,
    },
    encoding: 'utf8',
  });
  return {
    status: result.status,
    stderr: result.stderr,
    config: existsSync(localConfig) ? readFileSync(localConfig, 'utf8') : '',
    execArgs: existsSync(execArgsFile) ? readFileSync(execArgsFile, 'utf8').trimEnd().split('\n') : [],
  };
}

describe('docker-compose.sentinel.yml (Redis Sentinel on top of docker-compose.yml)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'byok-sentinel-compose-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a primary, one replica and three sentinels, each on backend only, at a fixed address Docker never hands out', () => {
    expect(Object.keys(services).sort()).toEqual([...apiServices, ...DATA_NODES, ...sentinels].sort());
    expect(sentinels).toHaveLength(3);
    const [{ subnet, ip_range: range }] = sentinelCompose.networks?.['backend']?.ipam?.config ?? [{}];
    expect(inSubnet(range as string, subnet as string)).toBe(true);
    const addresses = [...DATA_NODES, ...sentinels].map((name) => {
      const networks = services[name].networks as Record<string, unknown>;
      expect({ name, networks: Object.keys(networks) }).toEqual({ name, networks: ['backend'] });
      return addressOf(services[name]);
    });
    for (const address of addresses) {
      expect(inSubnet(address, subnet as string)).toBe(true);
      expect(inSubnet(address, range as string)).toBe(false);
    }
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it('keeps backend internal: Compose replaces, not merges, a network the override redefines', () => {
    expect(sentinelCompose.networks?.['backend']?.internal).toBe(true);
  });

  it('publishes nothing and has no top-level name', () => {
    expect(Object.keys(sentinelCompose)).not.toContain('name');
    for (const [name, service] of Object.entries(services)) expect({ name, ports: service.ports }).toEqual({ name, ports: undefined });
  });

  it('switches every API instance from REDIS_URL to the sentinels, with both passwords', () => {
    const [first, ...others] = apiServices.map((api) => environmentOf(services[api]));
    for (const other of others) expect(other).toEqual(first);
    expect(Object.keys(first).filter((name) => !isApiSetting(name))).toEqual([]);
    // Blank is unset to the API, and an override cannot remove docker-compose.yml's value.
    expect(first['REDIS_URL']).toBe('');
    expect(first['REDIS_SENTINELS'].split(',')).toEqual(sentinels.map((name) => `${name}:${SENTINEL_PORT}`));
    expect(first['REDIS_SENTINEL_NAME']).toBe(environmentOf(services[sentinels[0]])['BYOK_SENTINEL_NAME']);
    expect(first['REDIS_SENTINEL_PASSWORD']).toMatch(/^\$\{REDIS_SENTINEL_PASSWORD:\?[^}]+\}$/);
    expect(first['REDIS_PASSWORD']).toMatch(/^\$\{REDIS_PASSWORD:\?[^}]+\}$/);
    expect(first['REDIS_REPLICA_ACKS']).toBe('${REDIS_REPLICA_ACKS:-}');
    expect(first['REDIS_REPLICA_ACK_TIMEOUT']).toBe('${REDIS_REPLICA_ACK_TIMEOUT:-}');
  });

  it('has the API wait for no particular data node to be healthy (Compose merges depends_on, so `redis` stays, as started)', () => {
    for (const api of apiServices) {
      expect(services[api].depends_on).toEqual({
        redis: { condition: 'service_started' },
        ...Object.fromEntries(sentinels.map((name) => [name, { condition: 'service_started' }])),
      });
    }
  });

  it('starts every node through render-once.sh, from a template in the read-only mounted folder, onto its own volume', () => {
    const dataVolumes = new Set<string>();
    for (const name of [...DATA_NODES, ...sentinels]) {
      const service = services[name];
      expect(service.image).toBe(base.services['redis'].image);
      expect(service.entrypoint).toEqual(['sh', expect.stringMatching(/\/render-once\.sh$/)]);
      const script = hostPathOf(service, (service.entrypoint as string[])[1]);
      expect(script).toBe(join(ROOT, RENDER_ONCE));
      const [template, config] = commandOf(service);
      expect(existsSync(hostPathOf(service, template))).toBe(true);
      expect(config).toMatch(/^\/data\/[a-z]+\.conf$/);
      expect((service.volumes ?? []).filter((volume) => volume.startsWith('./'))).toEqual([
        expect.stringMatching(/^\.\/docker\/redis-sentinel:[^:]+:ro$/),
      ]);
      const data = name === 'redis' ? base.services['redis'].volumes?.[0] : service.volumes?.find((volume) => volume.endsWith(':/data'));
      const volume = (data ?? '').split(':')[0];
      expect(Object.keys({ ...base.volumes, ...sentinelCompose.volumes })).toContain(volume);
      dataVolumes.add(volume);
    }
    expect(dataVolumes.size).toBe(DATA_NODES.length + sentinels.length);
  });

  it('runs both data nodes with AOF, the password from .env, and masterauth, since a failover swaps their roles', () => {
    for (const name of DATA_NODES) {
      const rendered = renderOnce(name, dir);
      expect({ name, status: rendered.status, stderr: rendered.stderr }).toEqual({ name, status: 0, stderr: '' });
      const conf = parseRedisConf(rendered.config);
      expect(directives(conf, 'appendonly')).toEqual([['appendonly', 'yes']]);
      expect(directives(conf, 'port')).toEqual([['port', String(DATA_PORT)]]);
      // The AOF goes to the working directory, on the node's volume.
      expect(directives(conf, 'dir')).toEqual([]);
      expect(services[name].working_dir).toBe('/data');
      // Secrets never go into a file Redis writes back to the volume; they come as options.
      expect(rendered.config).not.toContain(secrets.REDIS_PASSWORD);
      const options = optionsOf((services[name].command as string[]).slice(2));
      expect(options.get('requirepass')).toEqual([[expect.stringMatching(/^\$\{REDIS_PASSWORD:\?/)]]);
      expect(options.get('masterauth')).toEqual([[expect.stringMatching(/^\$\{REDIS_PASSWORD:\?/)]]);
      expect(environmentOf(services[name])['REDISCLI_AUTH'] ?? environmentOf(base.services['redis'])['REDISCLI_AUTH']).toMatch(
        /^\$\{REDIS_PASSWORD:\?/,
      );
      expect(JSON.stringify(services[name].healthcheck?.test ?? base.services['redis'].healthcheck?.test)).toMatch(/redis-cli ping/);
    }
  });

  it('makes the replica replicate from the primary, and only the replica', () => {
    const primary = parseRedisConf(renderOnce('redis', dir).config);
    const replicaDir = join(dir, 'replica');
    mkdirSync(replicaDir);
    const replica = parseRedisConf(renderOnce('redis-replica', replicaDir).config);
    expect(directives(primary, 'replicaof')).toEqual([]);
    expect(directives(replica, 'replicaof')).toEqual([['replicaof', addressOf(services['redis']), String(DATA_PORT)]]);
  });

  it('has every sentinel monitor the primary under the API’s name with quorum 2, and its password and auth-pass as options', () => {
    const name = environmentOf(services[apiServices[0]])['REDIS_SENTINEL_NAME'];
    for (const sentinel of sentinels) {
      const sentinelDir = join(dir, sentinel);
      mkdirSync(sentinelDir);
      const rendered = renderOnce(sentinel, sentinelDir);
      expect({ sentinel, status: rendered.status, stderr: rendered.stderr }).toEqual({ sentinel, status: 0, stderr: '' });
      const conf = parseRedisConf(rendered.config);
      expect(directives(conf, 'port')).toEqual([['port', String(SENTINEL_PORT)]]);
      expect(directives(conf, 'sentinel', 'monitor')).toEqual([
        ['sentinel', 'monitor', name, addressOf(services['redis']), String(DATA_PORT), '2'],
      ]);
      const [[, , , downAfter]] = directives(conf, 'sentinel', 'down-after-milliseconds', name);
      const [[, , , failoverTimeout]] = directives(conf, 'sentinel', 'failover-timeout', name);
      expect(Number(downAfter)).toBeGreaterThanOrEqual(1000);
      expect(Number(failoverTimeout)).toBeGreaterThan(Number(downAfter));
      expect(rendered.config).not.toContain(secrets.REDIS_PASSWORD);
      const options = optionsOf((services[sentinel].command as string[]).slice(2));
      expect(options.get('requirepass')).toEqual([[expect.stringMatching(/^\$\{REDIS_SENTINEL_PASSWORD:\?/)]]);
      // `--sentinel` alone selects Sentinel mode; with arguments it is a sentinel directive.
      expect(options.get('sentinel')).toEqual([[], ['auth-pass', name, expect.stringMatching(/^\$\{REDIS_PASSWORD:\?/)]]);
      expect(environmentOf(services[sentinel])['REDISCLI_AUTH']).toMatch(/^\$\{REDIS_SENTINEL_PASSWORD:\?/);
      expect(JSON.stringify(services[sentinel].healthcheck?.test)).toContain(`-p ${SENTINEL_PORT} sentinel ckquorum`);
    }
  });

  it('hands redis-server the seeded file and the options, through the image’s entrypoint', () => {
    const rendered = renderOnce('redis-sentinel-1', dir);
    const [, , ...options] = commandOf(services['redis-sentinel-1']);
    expect(rendered.execArgs).toEqual(['redis-server', join(dir, 'sentinel.conf'), ...options]);
  });

  it('seeds a config only once: a file Redis has rewritten stays as it is, but for the ACL user lines', () => {
    expect(renderOnce('redis-replica', dir).status).toBe(0);
    const rewritten = 'port 6379\nreplicaof 10.0.0.7 6379\nuser default on #0123abcd ~* &* +@all\nrequirepass "old"\n';
    writeFileSync(join(dir, 'redis.conf'), rewritten);
    expect(renderOnce('redis-replica', dir).status).toBe(0);
    // The user line would win over --requirepass, and keep a password .env no longer has.
    expect(readFileSync(join(dir, 'redis.conf'), 'utf8')).toBe('port 6379\nreplicaof 10.0.0.7 6379\nrequirepass "old"\n');
  });

  it('refuses to seed from a blank or unusual template value, naming it', () => {
    for (const value of ['', '10.0.0.1 6380', 'a|b']) {
      const rendered = renderOnce('redis-replica', dir, { BYOK_REDIS_PRIMARY_HOST: value });
      expect({ value, status: rendered.status, config: rendered.config }).toEqual({ value, status: 64, config: '' });
      expect(rendered.stderr).toContain('BYOK_REDIS_PRIMARY_HOST');
    }
  });
});

describe('docs/deployment-https.md', () => {
  it(`names every variable ${SENTINEL_COMPOSE_FILE} reads from .env`, () => {
    const docs = readText('docs/deployment-https.md');
    const undocumented = [...interpolatedVariables(readText(SENTINEL_COMPOSE_FILE))].filter((name) => !docs.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});

/** A one-shot connection that authenticates first when given a password (a wrong one rejects). */
async function ask<T>(port: number, password: string | undefined, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (password !== undefined) await client.call('AUTH', password);
    return await command(client);
  } finally {
    client.disconnect();
  }
}

/** SENTINEL replies (`master`, each of `replicas`) come as flat name/value lists. */
function record(reply: unknown): Record<string, string> {
  const values = reply as string[];
  return Object.fromEntries(values.flatMap((value, index) => (index % 2 === 0 ? [[value, values[index + 1]]] : [])));
}

const redisServerAvailable = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const describeWithRedis = describeWithTool('redis-server', redisServerAvailable, 'apt-get install redis-server');

describeWithRedis('the Sentinel deployment on this machine, each node started as its compose service starts it', () => {
  const name = environmentOf(services['redis-sentinel-1'])['BYOK_SENTINEL_NAME'];
  let dir: string;
  let stub: string;
  const ports = new Map<string, number>();
  const running = new Map<string, ManagedProcess>();

  /** The service's entrypoint and command, with local paths and ports, plus loopback-only options. */
  function start(service: string, env: Record<string, string> = secrets): ManagedProcess {
    const nodeDir = join(dir, service);
    mkdirSync(nodeDir, { recursive: true });
    const [template, config, ...options] = commandOf(services[service], env);
    const port = ports.get(service) as number;
    const environment = Object.fromEntries(
      Object.entries(environmentOf(services[service])).map(([key, value]) => [key, interpolate(value, env)]),
    );
    if ('BYOK_REDIS_PRIMARY_HOST' in environment) {
      environment['BYOK_REDIS_PRIMARY_HOST'] = '127.0.0.1';
      environment['BYOK_REDIS_PRIMARY_PORT'] = String(ports.get('redis'));
    }
    const child = ManagedProcess.start({
      name: service,
      command: 'sh',
      args: [
        join(ROOT, RENDER_ONCE),
        hostPathOf(services[service], template),
        join(nodeDir, config.replace(/^\/data\//, '')),
        ...options,
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir],
      ],
      cwd: nodeDir,
      env: { PATH: `${stub}:${process.env['PATH']}`, ...environment },
      logFile: join(dir, `${service}.log`),
    });
    running.set(service, child);
    return child;
  }

  async function stop(service: string): Promise<void> {
    await running.get(service)?.stop();
    running.delete(service);
  }

  /** The service's healthcheck command, run here against its local port. */
  function healthcheck(service: string, env: Record<string, string> = secrets): number | null {
    const test = services[service].healthcheck?.test ?? base.services['redis'].healthcheck?.test;
    const command = interpolate((test as string[])[1], {}).replace(/redis-cli( -p \d+)?/, `redis-cli -p ${ports.get(service)}`);
    const environment = { ...environmentOf(base.services['redis']), ...environmentOf(services[service]) };
    return spawnSync('sh', ['-c', command], {
      env: { PATH: process.env['PATH'], ...Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolate(value, env)])) },
      stdio: 'ignore',
      timeout: 5000,
    }).status;
  }

  const port = (service: string): number => ports.get(service) as number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'byok-sentinel-'));
    stub = entrypointStub(dir, 'exec');
    for (const service of [...DATA_NODES, ...sentinels]) ports.set(service, await freePort());
    const primary = start('redis');
    await waitFor('the primary', () => ask(port('redis'), secrets.REDIS_PASSWORD, async (client) => (await client.ping()) === 'PONG'), {
      timeoutMs: 10_000,
      process: primary,
    });
    const replica = start('redis-replica');
    await waitFor(
      'the replica in sync',
      () => ask(port('redis-replica'), secrets.REDIS_PASSWORD, async (client) => (await client.info('replication')).includes('master_link_status:up')),
      { timeoutMs: 15_000, process: replica },
    );
    const sentinel = start('redis-sentinel-1');
    await waitFor(
      'the sentinel to find the replica',
      () =>
        ask(port('redis-sentinel-1'), secrets.REDIS_SENTINEL_PASSWORD, async (client) => {
          const replicas = (await client.call('SENTINEL', 'replicas', name)) as unknown[];
          return replicas.length === 1;
        }),
      { timeoutMs: 15_000, process: sentinel },
    );
  }, 45_000);

  afterAll(async () => {
    await Promise.all([...running.keys()].map((service) => stop(service)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('replicates with the shared password, so a write waits for the replica as REDIS_REPLICA_ACKS=1 asks', async () => {
    const acks = await ask(port('redis'), secrets.REDIS_PASSWORD, async (client) => {
      await client.set('byok:deploy-check', '1');
      return client.call('WAIT', '1', '2000');
    });
    expect(acks).toBe(1);
  });

  it('refuses commands on either data node without the password, and the healthcheck passes only with it', async () => {
    for (const service of DATA_NODES) {
      await expect(ask(port(service), undefined, (client) => client.get('byok:deploy-check'))).rejects.toThrow(/NOAUTH/);
      expect({ service, status: healthcheck(service) }).toEqual({ service, status: 0 });
      expect({ service, status: healthcheck(service, { ...secrets, REDIS_PASSWORD: 'wrong' }) }).not.toEqual({ service, status: 0 });
    }
  });

  it('watches the primary under the API’s name with quorum 2, and reaches the replica with auth-pass', async () => {
    const sentinelPort = port('redis-sentinel-1');
    await expect(ask(sentinelPort, undefined, (client) => client.call('SENTINEL', 'master', name))).rejects.toThrow(/NOAUTH/);
    const master = record(await ask(sentinelPort, secrets.REDIS_SENTINEL_PASSWORD, (client) => client.call('SENTINEL', 'master', name)));
    expect({ port: master['port'], flags: master['flags'], quorum: master['quorum'], replicas: master['num-slaves'] }).toEqual({
      port: String(port('redis')),
      flags: 'master',
      quorum: '2',
      replicas: '1',
    });
    const [replica] = ((await ask(sentinelPort, secrets.REDIS_SENTINEL_PASSWORD, (client) => client.call('SENTINEL', 'replicas', name))) as unknown[]).map(record);
    // Without the right auth-pass the replica would answer NOAUTH and never show a live link.
    expect({ port: replica['port'], flags: replica['flags'], link: replica['master-link-status'] }).toEqual({
      port: String(port('redis-replica')),
      flags: 'slave',
      link: 'ok',
    });
  });

  it('reports a sentinel healthy only once enough sentinels see each other for quorum', async () => {
    expect(healthcheck('redis-sentinel-1')).not.toBe(0);
    for (const sentinel of sentinels.slice(1)) start(sentinel);
    await waitFor('quorum', async () => healthcheck('redis-sentinel-1') === 0, { timeoutMs: 20_000 });
    for (const sentinel of sentinels) expect({ sentinel, status: healthcheck(sentinel) }).toEqual({ sentinel, status: 0 });
  }, 30_000);

  it('restarts a sentinel on the config it rewrote, keeping what it learned, with the password its options now give', async () => {
    const config = join(dir, 'redis-sentinel-1', 'sentinel.conf');
    // Quorum needs two sentinels to see each other; this one must have found both peers (and written them down) first.
    await waitFor(
      'the first sentinel to know both peers',
      async () =>
        ((await ask(port('redis-sentinel-1'), secrets.REDIS_SENTINEL_PASSWORD, (client) => client.call('SENTINEL', 'sentinels', name))) as unknown[])
          .length === sentinels.length - 1 &&
        directives(parseRedisConf(readFileSync(config, 'utf8')), 'sentinel', 'known-sentinel', name).length === sentinels.length - 1,
      { timeoutMs: 20_000 },
    );
    await stop('redis-sentinel-1');
    const learned = parseRedisConf(readFileSync(config, 'utf8'));
    const [[, , id]] = directives(learned, 'sentinel', 'myid');
    expect(directives(learned, 'sentinel', 'known-replica', name)).toHaveLength(1);
    expect(directives(learned, 'sentinel', 'known-sentinel', name)).toHaveLength(sentinels.length - 1);
    const changed = { ...secrets, REDIS_SENTINEL_PASSWORD: 'e'.repeat(32) };
    start('redis-sentinel-1', changed);
    const sentinelPort = port('redis-sentinel-1');
    await waitFor('the restarted sentinel', () => ask(sentinelPort, changed.REDIS_SENTINEL_PASSWORD, async (client) => (await client.ping()) === 'PONG'), {
      timeoutMs: 10_000,
      process: running.get('redis-sentinel-1'),
    });
    await expect(ask(sentinelPort, secrets.REDIS_SENTINEL_PASSWORD, (client) => client.ping())).rejects.toThrow(/WRONGPASS/);
    const replicas = (await ask(sentinelPort, changed.REDIS_SENTINEL_PASSWORD, (client) => client.call('SENTINEL', 'replicas', name))) as unknown[];
    expect(replicas).toHaveLength(1);
    expect(directives(parseRedisConf(readFileSync(config, 'utf8')), 'sentinel', 'myid')).toEqual([['sentinel', 'myid', id]]);
  }, 30_000);

  it('lets a data node record a role change a failover makes, and keeps it across a restart instead of seeding again', async () => {
    // Sentinel would turn a replica that claims to be primary back; this step plays its part.
    await Promise.all(sentinels.map((sentinel) => stop(sentinel)));
    const replicaPort = port('redis-replica');
    const rewrite = await ask(replicaPort, secrets.REDIS_PASSWORD, async (client) => {
      await client.call('REPLICAOF', 'NO', 'ONE');
      return client.call('CONFIG', 'REWRITE');
    });
    expect(rewrite).toBe('OK');
    await stop('redis-replica');
    const replica = start('redis-replica');
    await waitFor('the restarted node', () => ask(replicaPort, secrets.REDIS_PASSWORD, async (client) => (await client.ping()) === 'PONG'), {
      timeoutMs: 10_000,
      process: replica,
    });
    const role = await ask(replicaPort, secrets.REDIS_PASSWORD, async (client) => (await client.call('ROLE')) as unknown[]);
    expect(role[0]).toBe('master');
    expect(await ask(replicaPort, secrets.REDIS_PASSWORD, (client) => client.get('byok:deploy-check'))).toBe('1');
    await expect(ask(replicaPort, undefined, (client) => client.ping())).rejects.toThrow(/NOAUTH/);
  }, 30_000);
});

const dockerComposeAvailable = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const describeWithCompose = describeWithTool('docker-compose', dockerComposeAvailable, 'apt-get install docker-compose');

describeWithCompose('docker-compose config with the Sentinel override (Compose v1.29, no engine needed)', () => {
  const run = (files: string[], env: Record<string, string>, quiet = true) =>
    spawnSync('docker-compose', [...files.flatMap((file) => ['-f', file]), '--project-directory', ROOT, 'config', ...(quiet ? ['-q'] : [])], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...env },
      encoding: 'utf8',
    });
  const files = [COMPOSE_FILE, SENTINEL_COMPOSE_FILE];

  it('accepts the files once the secrets are set', () => {
    const result = run(files, secrets);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('refuses them without each secret, naming it', () => {
    const requiredByFiles = files.flatMap((file) => [...readText(file).matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]));
    expect([...new Set(requiredByFiles)].sort()).toEqual(Object.keys(secrets).sort());
    for (const name of Object.keys(secrets)) {
      const result = run(files, { ...secrets, [name]: '' });
      expect({ name, refused: result.status !== 0, named: result.stderr.includes(name) }).toEqual({ name, refused: true, named: true });
    }
  });

  it('renders every API instance on the sentinels with a blank REDIS_URL, and nothing waiting for a healthy data node', () => {
    const rendered = parse(run(files, secrets, false).stdout) as ComposeFile;
    for (const api of apiServices) {
      const environment = environmentOf(rendered.services[api]);
      expect(environment['REDIS_URL']).toBe('');
      expect(environment['REDIS_SENTINELS']).toBe(sentinels.map((name) => `${name}:${SENTINEL_PORT}`).join(','));
      expect(environment['REDIS_PASSWORD']).toBe(secrets.REDIS_PASSWORD);
      expect(environment['REDIS_SENTINEL_PASSWORD']).toBe(secrets.REDIS_SENTINEL_PASSWORD);
    }
    for (const [service, { depends_on: dependsOn }] of Object.entries(rendered.services)) {
      const healthy = Object.entries((dependsOn ?? {}) as Record<string, { condition: string }>)
        .filter(([, { condition }]) => condition === 'service_healthy')
        .map(([dependency]) => dependency);
      expect({ service, healthy: healthy.filter((dependency) => [...DATA_NODES, ...sentinels].includes(dependency)) }).toEqual({ service, healthy: [] });
    }
    expect(rendered.networks?.['backend']?.internal).toBe(true);
    expect(rendered.services['redis'].volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^redis-data:\/data(:rw)?$/)]));
    for (const [service, { healthcheck }] of Object.entries(rendered.services)) {
      expect({ service, test: healthcheck?.test }).toEqual({ service, test: expect.anything() });
    }
  });

  it('accepts the observability override on top as well', () => {
    const result = run([...files, OBSERVABILITY_COMPOSE_FILE], { ...secrets, GRAFANA_ADMIN_PASSWORD: 'f'.repeat(32) });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
