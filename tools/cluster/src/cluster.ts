import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apiServers, mainConfig, readTemplate, renderTemplate, type NginxTemplateVars } from './nginx-config';
import { type ExitStatus, freePort, isPortOpen, ManagedProcess, Reaper, waitFor } from './processes';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');
export const API_MAIN = join('dist', 'apps', 'api', 'main.js');
export const WEB_ROOT = join('dist', 'apps', 'web', 'browser');
export const CERT_SCRIPT = join('deploy', 'make-self-signed-cert.sh');

export interface ClusterOptions {
  workspaceRoot?: string;
  /** API processes behind nginx; 2 unless given. */
  instances?: number;
  /** TLS port of nginx on loopback; a free one unless given. */
  httpsPort?: number;
  /** Plain-HTTP port of nginx (redirects to HTTPS); a free one unless given. */
  httpPort?: number;
  /** Also start the fake LLM upstream and point every provider at it (demo mode). */
  fakeUpstream?: boolean;
  /** Pause between the fake upstream's chunks, in demo mode. */
  fakeChunkDelayMs?: number;
  /** Extra environment for every API instance (wins over the launcher's own). */
  apiEnv?: Readonly<Record<string, string>>;
  /** Extra environment for one instance, by index from 0 (wins over `apiEnv`). */
  instanceEnv?: (index: number) => Readonly<Record<string, string>>;
  /** Kept after stop() when given; otherwise a temp dir that stop() removes. */
  stateDir?: string;
  /** Environment the children inherit; process.env unless given. */
  baseEnv?: NodeJS.ProcessEnv;
}

export interface ClusterInstance {
  name: string;
  port: number;
  /** Direct address of the instance, bypassing nginx. */
  url: string;
  logFile: string;
}

export interface RestartOptions {
  /** How long the instance may take to drain and exit after SIGTERM before it is killed; above its DRAIN_TIMEOUT. */
  graceMs?: number;
}

export interface InstanceRestart {
  /** How the old process ended: `{ code: 0, signal: null }` after a clean drain. */
  exit: ExitStatus;
}

export interface Cluster {
  /** The HTTPS origin users open. */
  url: string;
  httpUrl: string;
  httpsPort: number;
  httpPort: number;
  /** The self-signed certificate (PEM) clients must trust. */
  ca: string;
  certFile: string;
  stateDir: string;
  instances: ClusterInstance[];
  redisPort: number;
  nginxAccessLog: string;
  fakeUpstreamUrl: string | null;
  processes: readonly ManagedProcess[];
  /** The watcher that stops the children if this process dies without calling stop(). */
  reaperPid: number;
  /**
   * One step of a rolling restart, as an orchestrator with a readiness-probing balancer does it:
   * SIGTERM to the instance; as soon as its readiness fails (at once: it drains), nginx takes it
   * out of rotation (`down`, reloaded); once it has exited, the same instance is started again,
   * and put back in rotation when ready. Resolves when it is back.
   */
  restartInstance(index: number, options?: RestartOptions): Promise<InstanceRestart>;
  stop(): Promise<void>;
}

/**
 * The docker-compose topology on one machine, without Docker or root: redis-server with AOF and a
 * password, N API processes sharing it, optionally the fake upstream, and nginx terminating TLS on
 * loopback with the same config template as the proxy image.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const root = options.workspaceRoot ?? WORKSPACE_ROOT;
  const count = options.instances ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`instances must be a positive integer, got ${count}`);
  const apiMain = join(root, API_MAIN);
  const webRoot = join(root, WEB_ROOT);
  for (const [path, what] of [
    [apiMain, 'the API build'],
    [join(webRoot, 'index.html'), 'the web build'],
  ] as const) {
    if (!existsSync(path)) {
      throw new Error(`${what} is missing (${path}); run: NX_DAEMON=false npx nx run-many -t build -p api,web`);
    }
  }
  const nginxBinary = findBinary('nginx', ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']);
  const redisBinary = findBinary('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  const mimeTypes = ['/etc/nginx/mime.types', '/usr/local/nginx/conf/mime.types'].find((path) => existsSync(path));
  if (!mimeTypes) throw new Error('nginx mime.types not found (install nginx: apt-get install -y nginx)');

  const ownDir = options.stateDir === undefined;
  const dir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'byok-cluster-'));
  for (const sub of ['logs', 'temp', 'conf.d', 'certs', 'redis']) mkdirSync(join(dir, sub), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // Root's nginx workers run as nobody, who must reach the prefix; the key stays root-only (the master reads it).
  if (asRoot) chmodSync(dir, 0o755);

  const processes: ManagedProcess[] = [];
  // Children run in their own process groups; these are their ids, for the reaper.
  const groupsFile = join(dir, 'process-groups');
  writeFileSync(groupsFile, '');
  const reaper = new Reaper(groupsFile, ownDir ? dir : undefined);
  const killAll = (): void => processes.forEach((child) => child.killNow());
  process.on('exit', killAll);
  const stop = async (): Promise<void> => {
    // Front to back: nginx first so no request reaches a stopping API, Redis last.
    for (const child of [...processes].reverse()) await child.stop();
    reaper.stop();
    process.off('exit', killAll);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  /** `replacing`: a process that has exited, whose place (and so whose turn in stop()) the new one takes. */
  const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv, replacing?: ManagedProcess): ManagedProcess => {
    const child = ManagedProcess.start({ name, command, args, cwd: root, env, logFile: join(dir, 'logs', `${name}.log`) });
    const slot = replacing ? processes.indexOf(replacing) : -1;
    if (slot >= 0) processes[slot] = child;
    else processes.push(child);
    appendFileSync(groupsFile, `${child.pid}\n`);
    return child;
  };
  const baseEnv = options.baseEnv ?? process.env;

  try {
    const [redisPort, httpsPort, httpPort, ...apiPorts] = await Promise.all([
      freePort(),
      options.httpsPort ?? freePort(),
      options.httpPort ?? freePort(),
      ...Array.from({ length: count }, () => freePort()),
    ]);

    const redisPassword = randomBytes(24).toString('hex');
    const redisConf = join(dir, 'redis.conf');
    // A config file keeps the password out of the process list.
    writeFileSync(
      redisConf,
      [
        'bind 127.0.0.1',
        `port ${redisPort}`,
        `requirepass ${redisPassword}`,
        'appendonly yes',
        `dir ${join(dir, 'redis')}`,
        'save ""',
        'daemonize no',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const redis = start('redis', redisBinary, [redisConf], baseEnv);

    let fakeUpstreamUrl: string | null = null;
    const providerEnv: Record<string, string> = {};
    if (options.fakeUpstream) {
      const fakePort = await freePort();
      const fake = start(
        'fake-upstream',
        join(root, 'node_modules', '.bin', 'ts-node'),
        ['--transpile-only', '--project', 'tools/fake-upstream/tsconfig.lib.json', 'tools/fake-upstream/src/main.ts'],
        {
          ...baseEnv,
          FAKE_UPSTREAM_PORT: String(fakePort),
          FAKE_UPSTREAM_ACCEPT_TEST_KEYS: '1',
          FAKE_UPSTREAM_CHUNK_DELAY_MS: String(options.fakeChunkDelayMs ?? 80),
        },
      );
      await waitFor('the fake upstream', () => isPortOpen(fakePort), { timeoutMs: 30_000, process: fake });
      fakeUpstreamUrl = `http://127.0.0.1:${fakePort}`;
      Object.assign(providerEnv, {
        OPENAI_BASE_URL: `${fakeUpstreamUrl}/openai/v1`,
        ANTHROPIC_BASE_URL: `${fakeUpstreamUrl}/anthropic`,
        GEMINI_BASE_URL: `${fakeUpstreamUrl}/gemini`,
        OLLAMA_BASE_URL: `${fakeUpstreamUrl}/ollama/v1`,
        OPENAI_API_KEY: baseEnv['OPENAI_API_KEY'] ?? 'sk-test-demo-server-key-0123456789',
      });
    }
    await waitFor('redis', () => isPortOpen(redisPort), { timeoutMs: 10_000, process: redis });

    // Every instance gets the same secrets: a session signed or a key sealed by one opens on all.
    const sharedEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      ...providerEnv,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      REDIS_URL: `redis://:${redisPassword}@127.0.0.1:${redisPort}/0`,
      SESSION_SECRET: baseEnv['SESSION_SECRET'] || randomBytes(32).toString('base64url'),
      KEYSTORE_SECRETS: baseEnv['KEYSTORE_SECRETS'] || randomBytes(32).toString('base64url'),
      // Exactly one hop, nginx, as in docker-compose.yml: its X-Forwarded-Proto makes cookies Secure.
      TRUST_PROXY: '1',
      // The name users open through nginx, and the instances' own address for checks that skip it.
      ALLOWED_HOSTS: 'localhost,127.0.0.1',
      // nginx serves the web build; the API serves only the API, as in the API image.
      WEB_ROOT: join(dir, 'no-web-root'),
      ...options.apiEnv,
    };
    const instances: ClusterInstance[] = apiPorts.map((port, index) => ({
      name: `api-${index + 1}`,
      port,
      url: `http://127.0.0.1:${port}`,
      logFile: join(dir, 'logs', `api-${index + 1}.log`),
    }));
    const apiEnv = (index: number): NodeJS.ProcessEnv => ({
      ...sharedEnv,
      PORT: String(instances[index].port),
      ...options.instanceEnv?.(index),
    });
    const apis = instances.map((instance, index) => start(instance.name, process.execPath, [apiMain], apiEnv(index)));
    await Promise.all(
      instances.map((instance, index) =>
        waitFor(`${instance.name} to be ready`, () => isReady(`${instance.url}/api/health/ready`), {
          timeoutMs: 30_000,
          process: apis[index],
        }),
      ),
    );

    const certDir = join(dir, 'certs');
    execFileSync('bash', [join(root, CERT_SCRIPT), certDir, 'localhost', '127.0.0.1'], { stdio: 'ignore' });
    const certFile = join(certDir, 'tls.crt');
    if (asRoot) chmodSync(join(certDir, 'tls.key'), 0o600);
    const addresses = instances.map((instance) => `127.0.0.1:${instance.port}`);
    /** Instances out of rotation, by address. */
    const down = new Set<string>();
    const vars: NginxTemplateVars = {
      BYOK_API_SERVERS: apiServers(addresses),
      BYOK_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      BYOK_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
      BYOK_PUBLIC_HTTPS_PORT: String(httpsPort),
      BYOK_TLS_CERT: certFile,
      BYOK_TLS_KEY: join(certDir, 'tls.key'),
      BYOK_WEB_ROOT: asRoot ? readableCopy(webRoot, join(dir, 'web')) : webRoot,
      BYOK_ACCESS_LOG: join(dir, 'logs', 'nginx-access.log'),
    };
    const siteConfig = join(dir, 'conf.d', 'byok.conf');
    const nginxConf = join(dir, 'nginx.conf');
    const controlPort = await freePort();
    let generation = 0;
    const writeNginxConfig = (): void => {
      writeFileSync(siteConfig, renderTemplate(readTemplate(root), { ...vars, BYOK_API_SERVERS: apiServers(addresses, down) }));
      writeFileSync(
        nginxConf,
        mainConfig({
          prefix: dir,
          siteConfig,
          mimeTypes,
          user: asRoot ? `nobody ${nobodyGroup()}` : undefined,
          control: { listen: `127.0.0.1:${controlPort}`, generation },
        }),
      );
    };
    writeNginxConfig();
    const nginx = start(
      'nginx',
      nginxBinary,
      ['-p', dir, '-c', nginxConf, '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off;'],
      baseEnv,
    );
    const ca = readFileSync(certFile, 'utf8');
    const url = `https://localhost:${httpsPort}`;
    await waitFor('nginx', () => isReady(`https://127.0.0.1:${httpsPort}/api/health/ready`, ca), {
      timeoutMs: 15_000,
      process: nginx,
    });

    let reloads = Promise.resolve();
    /** Rewrites the configuration and reloads nginx; resolves once new connections get the new one. */
    const reloadNginx = (): Promise<void> => {
      const next = reloads.then(async () => {
        generation += 1;
        const expected = String(generation);
        writeNginxConfig();
        nginx.signal('SIGHUP');
        // Old workers finish their connections (WebSockets and streams included) under the old configuration.
        await waitFor(`nginx to load configuration ${expected}`, async () => (await textOf(`http://127.0.0.1:${controlPort}/generation`)) === expected, {
          timeoutMs: 10_000,
          process: nginx,
          intervalMs: 20,
        });
      });
      reloads = next.catch(() => undefined);
      return next;
    };

    const restartInstance = async (index: number, restart: RestartOptions = {}): Promise<InstanceRestart> => {
      const instance = instances[index];
      if (!instance) throw new Error(`no instance ${index}; the cluster has ${instances.length}`);
      const previous = apis[index];
      const exit = previous.stop('SIGTERM', restart.graceMs ?? 60_000);
      await waitFor(`${instance.name} to report it is draining`, async () => !(await isReady(`${instance.url}/api/health/ready`)), {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      down.add(addresses[index]);
      await reloadNginx();
      const status = await exit;
      const fresh = start(instance.name, process.execPath, [apiMain], apiEnv(index), previous);
      apis[index] = fresh;
      await waitFor(`${instance.name} to be ready again`, () => isReady(`${instance.url}/api/health/ready`), {
        timeoutMs: 30_000,
        process: fresh,
      });
      down.delete(addresses[index]);
      await reloadNginx();
      return { exit: status };
    };

    return {
      url,
      httpUrl: `http://localhost:${httpPort}`,
      httpsPort,
      httpPort,
      ca,
      certFile,
      stateDir: dir,
      instances,
      redisPort,
      nginxAccessLog: vars.BYOK_ACCESS_LOG,
      fakeUpstreamUrl,
      processes,
      reaperPid: reaper.pid,
      restartInstance,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function findBinary(name: string, candidates: readonly string[]): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`${name} not found; install it (apt-get install -y ${name === 'nginx' ? 'nginx' : 'redis-server'})`);
  return found;
}

function nobodyGroup(): string {
  const groups = readFileSync('/etc/group', 'utf8');
  return /^nogroup:/m.test(groups) ? 'nogroup' : 'nobody';
}

/** The body of a plain-HTTP GET, or null when nothing answers. */
function textOf(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    // A new connection each time: a kept-alive one may belong to a worker of the old configuration.
    const request = httpGet(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolve(body));
    });
    request.setTimeout(2000, () => request.destroy());
    request.once('error', () => resolve(null));
  });
}

/** 200 from a health URL; over HTTPS trusting only the cluster's certificate. */
function isReady(url: string, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (response: { statusCode?: number; resume(): void }): void => {
      response.resume();
      resolve(response.statusCode === 200);
    };
    const request = url.startsWith('https:')
      ? httpsGet(url, { ca, servername: 'localhost' }, onResponse)
      : httpGet(url, onResponse);
    request.setTimeout(2000, () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

/**
 * Root's nginx workers run as nobody, who cannot read a checkout under a private directory
 * (mktemp's 0700, a home directory); a copy under the prefix is readable wherever the checkout is.
 */
function readableCopy(source: string, target: string): string {
  cpSync(source, target, { recursive: true });
  return target;
}
