import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { closeClient, freePort, isRunning, TestRedisServer } from './redis-server';

const run = promisify(execFile);
const SENTINEL_NAME = 'byok-test';

/** Polls `check` every 50 ms until it returns a value, for at most `timeoutMs`; `what` names it in the failure. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== null && value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ''}`);
}

async function ask<T>(port: number, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await command(client);
  } finally {
    await closeClient(client);
  }
}

/** One `redis-server --sentinel` on a free port; it holds no data, so the leak audit has nothing to read in it. */
class TestSentinel {
  private constructor(
    readonly port: number,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(primaryPort: number): Promise<TestSentinel> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'byok-sentinel-'));
    // Sentinel rewrites its config file as it learns the topology, so each gets its own copy.
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 3000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    const sentinel = new TestSentinel(port, child, dir);
    await until('a sentinel answering', () => ask(port, (client) => client.ping()));
    return sentinel;
  }

  primaryPort(): Promise<number | null> {
    return ask(this.port, async (client) => {
      const address = (await client.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as [string, string] | null;
      return address ? Number(address[1]) : null;
    });
  }

  async stop(): Promise<void> {
    if (isRunning(this.process)) {
      await new Promise<void>((resolve) => {
        this.process.once('exit', () => resolve());
        this.process.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A primary, one replica and three sentinels (quorum 2), as a small production Sentinel deployment has. */
export class TestSentinelDeployment {
  readonly name = SENTINEL_NAME;

  private constructor(
    readonly primary: TestRedisServer,
    readonly replica: TestRedisServer,
    private readonly sentinels: TestSentinel[],
  ) {}

  static async start(): Promise<TestSentinelDeployment> {
    const primary = await TestRedisServer.start();
    const replica = await TestRedisServer.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    await until('the replica in sync', () =>
      ask(replica.port, async (client) => ((await client.info('replication')).includes('master_link_status:up') ? true : null)),
    );
    const sentinels = await Promise.all([0, 1, 2].map(() => TestSentinel.start(primary.port)));
    const deployment = new TestSentinelDeployment(primary, replica, sentinels);
    // The sentinels find the replica through the primary and each other through it; failover needs both.
    await until('the sentinels to know the replica and each other', () =>
      ask(sentinels[0].port, async (client) => {
        const replicas = (await client.call('SENTINEL', 'replicas', SENTINEL_NAME)) as unknown[];
        const peers = (await client.call('SENTINEL', 'sentinels', SENTINEL_NAME)) as unknown[];
        return replicas.length === 1 && peers.length === 2 ? true : null;
      }),
    );
    return deployment;
  }

  /** The API's settings for this deployment. */
  get settings(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','), REDIS_SENTINEL_NAME: this.name };
  }

  /** The port every sentinel names as the primary, once they agree. */
  async agreedPrimaryPort(): Promise<number> {
    return until('the sentinels to agree on a primary', async () => {
      const ports = await Promise.all(this.sentinels.map((sentinel) => sentinel.primaryPort()));
      return ports.every((port) => port !== null && port === ports[0]) ? ports[0] : null;
    });
  }

  async destroy(): Promise<void> {
    await Promise.all(this.sentinels.map((sentinel) => sentinel.stop()));
    await this.primary.destroy();
    await this.replica.destroy();
  }
}

/** A Redis Cluster of three primaries (no replicas), made with `redis-cli --cluster create`. */
export class TestRedisCluster {
  private constructor(readonly nodes: TestRedisServer[]) {}

  static async start(): Promise<TestRedisCluster> {
    const nodes = await Promise.all(
      [0, 1, 2].map(() => TestRedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'])),
    );
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    await until('every node to report the cluster ok', async () => {
      const states = await Promise.all(nodes.map((node) => ask(node.port, (client) => client.cluster('INFO'))));
      return states.every((info) => String(info).includes('cluster_state:ok')) ? true : null;
    });
    return new TestRedisCluster(nodes);
  }

  get settings(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',') };
  }

  /** Every key of every node (a node lists only the slots it holds). */
  async keys(pattern: string): Promise<string[]> {
    const perNode = await Promise.all(this.nodes.map((node) => ask(node.port, (client) => client.keys(pattern))));
    return perNode.flat().sort();
  }

  /** Deletes matching keys on every node (a test's fresh start for counts earlier tests made). */
  async deleteKeys(pattern: string): Promise<void> {
    await Promise.all(
      this.nodes.map((node) =>
        ask(node.port, async (client) => {
          for (const key of await client.keys(pattern)) await client.del(key);
        }),
      ),
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}
