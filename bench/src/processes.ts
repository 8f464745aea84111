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

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** A process with loop-probe.js preloaded (the API or the pipe): every figure is read the same way for each. */
export interface ProbedProcess {
  url: string;
  pid: number;
  /** Resident memory, from /proc, so that reading it does not wait for a busy event loop. */
  rssBytes(): number;
  /** User + system CPU time the process has used (process.cpuUsage() inside it, over IPC), in µs. */
  cpuMicros(): Promise<number>;
  resetLoopDelay(): Promise<void>;
  loopDelay(): Promise<LoopDelay>;
  /** process.memoryUsage() inside the process (V8 heap and buffers, which /proc cannot tell apart). */
  memoryUsage(): Promise<NodeJS.MemoryUsage>;
  /** A full garbage collection; only for a process started with `exposeGc`. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export interface ProbeOptions {
  /** Lets the bench force a full collection before it takes a memory baseline. */
  exposeGc?: boolean;
  cpuProfileDir?: string;
}

function probeArgv(options: ProbeOptions): string[] {
  const execArgv = ['--require', join(__dirname, 'loop-probe.js')];
  if (options.exposeGc) execArgv.push('--expose-gc');
  if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  return execArgv;
}

function probed(child: ChildProcess, url: string): ProbedProcess {
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    rssBytes: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    cpuMicros: () => ask<number>(child, 'cpu'),
    resetLoopDelay: () => ask<void>(child, 'reset'),
    loopDelay: () => ask<LoopDelay>(child, 'read'),
    memoryUsage: () => ask<NodeJS.MemoryUsage>(child, 'memory'),
    collectGarbage: () => ask<void>(child, 'gc'),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ id: 0, op: 'exit' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

/** The web app's production build, which the API serves (scenario f). */
export const WEB_ROOT = process.env['BENCH_WEB_ROOT'] ?? join(process.cwd(), 'dist/apps/web/browser');

export const API_MAIN = process.env['BENCH_API_MAIN'] ?? join(process.cwd(), 'dist/apps/api/main.js');

/** The built API as production runs it (NODE_ENV=production, Redis, info logs to stdout). */
export async function startApi(env: Record<string, string>, options: ProbeOptions = {}): Promise<ProbedProcess> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing; run \`NX_DAEMON=false npx nx build api\` first`);
  const port = await freePort();
  const child = fork(API_MAIN, [], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', ALLOWED_HOSTS: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    execArgv: probeArgv(options),
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
  return probed(child, url);
}

/** The bare Node hop (pipe-proxy.js) in front of `target`, with the same probe as the API. */
export async function startPipe(target: string, options: ProbeOptions = {}): Promise<ProbedProcess> {
  const pipe = await forkReady<{ port: number }>('pipe-proxy.js', { TARGET: target }, probeArgv(options));
  return probed(pipe.child, `http://127.0.0.1:${pipe.ready.port}`);
}

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}
