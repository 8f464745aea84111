import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Redis from 'ioredis';
import { auditLabel, leakAudit } from './leak-audit';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A real redis-server owned by one test file, on a free port, persisting with appendonly so a
 * stop and restart keeps its data as a production Redis with AOF would.
 */
export class TestRedisServer {
  private process: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'byok-redis-'));
  private readonly auditLabel = auditLabel('redis');

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** `extraArgs`: more redis-server options (`--replicaof`, `--cluster-enabled yes` …). */
  static async start(extraArgs: readonly string[] = []): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), extraArgs);
    leakAudit.event({ type: 'redis-start', label: server.auditLabel });
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGTERM shuts down cleanly; SIGKILL is a crash (the AOF keeps every write Redis acknowledged). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    this.process = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  get running(): boolean {
    return this.process !== null && this.process.exitCode === null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  async destroy(): Promise<void> {
    if (leakAudit.enabled) await this.handToLeakAudit();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Everything the store holds now, and its files (the AOF keeps values since overwritten or expired). */
  private async handToLeakAudit(): Promise<void> {
    try {
      if (!this.running) await this.startProcess();
      const rawFiles = new Map<string, string>();
      for (const path of filesUnder(this.dir)) rawFiles.set(relative(this.dir, path), readFileSync(path, 'latin1'));
      leakAudit.redis(this.auditLabel, await this.dumpWithRetries(), rawFiles);
      leakAudit.event({ type: 'redis-audited', label: this.auditLabel });
    } catch (error) {
      leakAudit.event({ type: 'redis-audit-failed', label: this.auditLabel, detail: String(error) });
    }
  }

  /**
   * The audit's dump, tried three times: a Sentinel test's teardown once waited forever on one
   * (the cause is not known yet); each try has a connection and time limits of its own.
   */
  private async dumpWithRetries(): Promise<Map<string, string>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.dump();
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /** Every key with its value as text, for scanning what the store holds. */
  async dump(): Promise<Map<string, string>> {
    // A dump never waits on a reconnection or on a reply that does not come: it fails, and says why.
    const client = new Redis(this.url, {
      lazyConnect: true,
      connectTimeout: 5_000,
      commandTimeout: 5_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const values = new Map<string, string>();
      for (const key of await client.keys('*')) {
        const type = await client.type(key);
        if (type === 'string') values.set(key, (await client.get(key)) ?? '');
        else if (type === 'hash') values.set(key, JSON.stringify(await client.hgetall(key)));
        else if (type === 'zset') values.set(key, JSON.stringify(await client.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'list') values.set(key, JSON.stringify(await client.lrange(key, 0, -1)));
        else if (type === 'set') values.set(key, JSON.stringify(await client.smembers(key)));
        else values.set(key, `<${type}>`);
      }
      return values;
    } finally {
      client.disconnect();
    }
  }

  private async startProcess(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', ...this.extraArgs],
      { stdio: 'ignore' },
    );
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      const client = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        client.disconnect();
      }
    }
    throw new Error('redis-server did not answer within 10 s');
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
