import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr both go here. */
  logFile: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child in its own process group, so stopping it also stops what it forked (nginx workers),
 * and a terminal's Ctrl-C reaches only the launcher, which then stops children in order.
 */
export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | null = null;

  private constructor(
    readonly spec: ProcessSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  static start(spec: ProcessSpec): ManagedProcess {
    const log = openSync(spec.logFile, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', log, log],
        detached: true,
      });
      if (child.pid === undefined) {
        throw new Error(`${spec.name}: could not start ${spec.command}`);
      }
      return new ManagedProcess(spec, child);
    } finally {
      closeSync(log);
    }
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.status === null;
  }

  /** Signals the process group, then kills it if it has not exited within `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ExitStatus> {
    if (!this.running) return this.exited;
    this.signalGroup(signal);
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` to the process itself, not its group (nginx's master reloads on SIGHUP; its workers must not get it). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** Synchronous last resort for process exit handlers, where nothing can be awaited. */
  killNow(): void {
    if (this.running) this.signalGroup('SIGKILL');
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      // ESRCH: the group is already gone, which is what stopping wants.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Polls `check` until it returns true; fails early if `process` exits meanwhile. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; process?: ManagedProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.process && !options.process.running) {
      throw new Error(`${options.process.name} exited while waiting for ${what}:\n${options.process.logTail()}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const tail = options.process ? `:\n${options.process.logTail()}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

// Runs as a separate, detached Node process; kept as source text so it needs no build step.
const REAPER_SOURCE = `
const { readFileSync, rmSync } = require('node:fs');
const [parent, groupsFile, removeDir] = process.argv.slice(1);
const signalAll = (signal) => {
  let groups = [];
  try { groups = readFileSync(groupsFile, 'utf8').split('\\n').filter(Boolean).map(Number); } catch {}
  for (const group of groups) { try { process.kill(-group, signal); } catch {} }
};
const watch = setInterval(() => {
  try { process.kill(Number(parent), 0); return; } catch {}
  clearInterval(watch);
  signalAll('SIGTERM');
  setTimeout(() => {
    signalAll('SIGKILL');
    if (removeDir) rmSync(removeDir, { recursive: true, force: true });
    process.exit(0);
  }, 3000);
}, 500);
`;

/**
 * Watches the launcher from outside: if it dies without stopping its children (SIGKILL, a
 * crashed test runner), the reaper stops every process group listed in `groupsFile`.
 */
export class Reaper {
  private readonly child: ChildProcess;

  /** `removeDir`, if given, is deleted once the children are gone. */
  constructor(groupsFile: string, removeDir?: string) {
    this.child = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid), groupsFile, removeDir ?? ''], {
      detached: true,
      stdio: 'ignore',
    });
    // It outlives this process by design (it acts when this process is gone), so it must not keep it alive.
    this.child.unref();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
