import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isPortOpen } from '@byok/cluster';
import { httpsRequest } from './support/https-client';
import { readText, ROOT } from './support/workspace';

/** The command `npm run start:cluster` ends with (after building), so the test runs the real entry point. */
function startClusterCommand(): string[] {
  const script = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts['start:cluster'];
  const command = script.split('&&').at(-1)?.trim() ?? '';
  expect(command).toMatch(/tools\/cluster\/src\/main\.ts$/);
  return command.split(/\s+/);
}

interface Launched {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  /** nginx HTTPS and HTTP, the API instances, Redis. */
  ports: number[];
  httpsPort: number;
  certFile: string;
  stateDir: string;
}

const launched: ChildProcess[] = [];

async function launch(): Promise<Launched> {
  const [command, ...args] = startClusterCommand();
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(
    join(ROOT, 'node_modules', '.bin', command),
    [...args, '--https-port', String(httpsPort), '--http-port', String(httpPort)],
    { cwd: ROOT, env: { PATH: process.env['PATH'] }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  launched.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready message within 60 s:\n${output}`)), 60_000);
    child.stdout?.on('data', () => {
      if (output.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`start:cluster exited with ${code}:\n${output}`)));
  });
  expect(output).toContain(`BYOK cluster ready at https://localhost:${httpsPort}`);
  const ports = [
    httpsPort,
    httpPort,
    ...[...output.matchAll(/api-\d+\s+http:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1])),
    Number(/redis\s+127\.0\.0\.1:(\d+)/.exec(output)?.[1]),
  ];
  return {
    child,
    exited,
    output: () => output,
    ports,
    httpsPort,
    certFile: /self-signed: (\S+)/.exec(output)?.[1] as string,
    stateDir: /logs in (\S+)\/logs/.exec(output)?.[1] as string,
  };
}

async function openPorts(ports: readonly number[]): Promise<number[]> {
  const open = await Promise.all(ports.map((port) => isPortOpen(port)));
  return ports.filter((_, index) => open[index]);
}

async function eventuallyClosed(ports: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let open = await openPorts(ports);
  while (open.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    open = await openPorts(ports);
  }
  return open;
}

describe('npm run start:cluster', () => {
  afterAll(() => {
    // Only reached with a launcher still running if an assertion failed first.
    for (const child of launched) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });

  it('prints the HTTPS URL, serves through nginx, and stops every process on Ctrl-C', async () => {
    const cluster = await launch();
    expect(cluster.ports).toHaveLength(5);
    const response = await httpsRequest(
      readFileSync(cluster.certFile, 'utf8'),
      `https://127.0.0.1:${cluster.httpsPort}/api/health/ready`,
    );
    expect(JSON.parse(response.body)).toEqual({ status: 'ready', store: 'redis' });
    expect(await openPorts(cluster.ports)).toEqual(cluster.ports);

    cluster.child.kill('SIGINT');
    expect(await cluster.exited).toBe(0);
    expect(await openPorts(cluster.ports)).toEqual([]);
    expect(existsSync(cluster.stateDir)).toBe(false);
  }, 90_000);

  it('leaves nothing running even when the launcher itself is killed (SIGKILL)', async () => {
    const cluster = await launch();
    expect(await openPorts(cluster.ports)).toEqual(cluster.ports);
    cluster.child.kill('SIGKILL');
    await cluster.exited;
    // The reaper notices within half a second, then gives the children 3 s before SIGKILL.
    expect(await eventuallyClosed(cluster.ports, 8000)).toEqual([]);
    const deadline = Date.now() + 5000;
    while (existsSync(cluster.stateDir) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(cluster.stateDir)).toBe(false);
  }, 90_000);
});
