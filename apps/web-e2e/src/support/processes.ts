import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

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
 * Every child runs under this wrapper, which ends it when the test process ends, even by
 * SIGKILL: a redis-server or API left behind would keep its port and outlive the run.
 */
const EXIT_WITH_PARENT = join(__dirname, 'exit-with-parent.cjs');

/** A child process whose output is kept, so a failed start can say why. */
export class OwnedProcess {
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      // The last few kilobytes are enough to explain a failure.
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static spawn(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): OwnedProcess {
    // stdin stays open as the wrapper's lifeline; closing it makes the wrapper SIGKILL the command.
    const child = spawn(process.execPath, [EXIT_WITH_PARENT, command, ...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    return new OwnedProcess(name, child);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get recentOutput(): string {
    return this.output;
  }

  /** Polls `ready` until it resolves true; fails early, with the output, if the process exits. */
  async waitUntil(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`${this.name} exited with code ${this.child.exitCode} during start:\n${this.output}`);
      }
      if (await ready().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    // Killing the wrapper would orphan the command; closing its lifeline makes it kill both.
    const timer = setTimeout(() => this.child.stdin?.destroy(), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
