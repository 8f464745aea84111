import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask } from './ipc';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Kills every process the bench started and removes its files; called on exit, error or interrupt. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Forks a bench module (compiled next to this file) and waits for its `{ ready: true }` message. */
export async function forkReady<T extends object>(
  module: string,
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; ready: T }> {
  const child = fork(join(__dirname, module), [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${module} did not start within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${module} exited with code ${code} before it was ready`)));
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'ready' in message) {
        clearTimeout(timer);
        resolve(message as T);
      }
    });
  });
  return { child, ready };
}

export interface RedisProcess {
  url: string;
  stop(): void;
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'byok-bench-redis-'));
  tempDirs.add(dir);
  // As in production: append-only file, fsync every second.
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    { stdio: 'ignore' },
  );
  children.add(child);
  await waitFor(async () => {
    const { connect } = await import('node:net');
    return new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString().startsWith('+PONG'));
        });
      });
      socket.once('error', () => resolve(false));
    });
  }, 'redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiProcess {
  url: string;
  pid: number;
  /** Resident memory of the API process, from /proc. */
  rssBytes(): number;
  /** User + system CPU time the process has used, in milliseconds, from /proc. */
  cpuMs(): number;
  resetLoopDelay(): Promise<void>;
  loopDelay(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; meanMs: number }>;
  stop(): Promise<void>;
}

export const API_MAIN = process.env['BENCH_API_MAIN'] ?? join(process.cwd(), 'dist/apps/api/apps/api/src/main.js');

/** The built API as production runs it (NODE_ENV=production, Redis, info logs to stdout). */
export async function startApi(env: Record<string, string>, cpuProfileDir?: string): Promise<ApiProcess> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing; run \`NX_DAEMON=false npx nx build api\` first`);
  const port = await freePort();
  const execArgv = ['--require', join(__dirname, 'loop-probe.js')];
  if (cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  const child = fork(API_MAIN, [], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', ALLOWED_HOSTS: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    execArgv,
    // Logs go where a container's stdout would go: written, and read by no one here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the API exited with code ${child.exitCode} while starting`);
    try {
      return (await fetch(`${url}/api/health/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 'the API');
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    rssBytes: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    cpuMs: () => {
      // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in clock ticks (100 Hz).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    resetLoopDelay: () => ask<void>(child, 'reset'),
    loopDelay: () => ask(child, 'read'),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ id: 0, op: 'exit' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}
