import { parseArgs } from 'node:util';
import { startCluster } from './cluster';
import type { ExitStatus, ManagedProcess } from './processes';

const USAGE = `Usage: npm run start:cluster -- [options]

Starts redis-server, the API instances and nginx (TLS on loopback) like docker-compose.yml does,
prints the URL, and stops everything on Ctrl-C. Needs redis-server, nginx and openssl installed,
and the builds (npm run start:cluster builds them first).

  --instances N     API processes behind nginx (default 2)
  --https-port P    HTTPS port (default 8443)
  --http-port P     HTTP port, redirecting to HTTPS (default 8080)
  --fake-upstream   also start the fake LLM upstream and point every provider at it (demo);
                    CLUSTER_FAKE_UPSTREAM=1 does the same
  --state-dir DIR   keep configs, certificate, logs and Redis data here (default: a temp dir, removed at exit)
  --help

SIGHUP (kill -HUP <pid>, printed at start) restarts the API instances one at a time, as a
rolling restart does: each drains (DRAIN_TIMEOUT), exits and comes back before the next.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', default: '2' },
      'https-port': { type: 'string', default: '8443' },
      'http-port': { type: 'string', default: '8080' },
      'fake-upstream': { type: 'boolean', default: process.env['CLUSTER_FAKE_UPSTREAM'] === '1' },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cluster = await startCluster({
    instances: positiveInteger('--instances', values.instances),
    httpsPort: positiveInteger('--https-port', values['https-port']),
    httpPort: positiveInteger('--http-port', values['http-port']),
    fakeUpstream: values['fake-upstream'],
    stateDir: values['state-dir'],
  });

  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the cluster…');
    cluster.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error('Could not stop the cluster cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown(0));
  process.once('SIGTERM', () => shutdown(0));
  // Any child that exits stops the cluster, except an instance leaving in a rolling restart.
  const watched = new WeakSet<ManagedProcess>();
  const leaving = new WeakSet<ManagedProcess>();
  const watch = (): void => {
    for (const child of cluster.processes) {
      if (watched.has(child)) continue;
      watched.add(child);
      void child.exited.then((status) => {
        if (stopping || leaving.has(child)) return;
        console.error(`\n${child.name} exited (${describeExit(status)}):\n${child.logTail()}`);
        shutdown(1);
      });
    }
  };
  watch();
  let restarting = false;
  process.on('SIGHUP', () => {
    if (stopping || restarting) return;
    restarting = true;
    void (async () => {
      console.log('\nRolling restart, one instance at a time…');
      for (const [index, instance] of cluster.instances.entries()) {
        const current = cluster.processes.find((child) => child.name === instance.name);
        if (current) leaving.add(current);
        const { exit } = await cluster.restartInstance(index);
        watch();
        console.log(`  ${instance.name} drained, exited (${describeExit(exit)}) and is back in rotation`);
      }
      console.log('Rolling restart done.');
    })().then(
      () => (restarting = false),
      (error: unknown) => {
        console.error(`Rolling restart failed: ${error instanceof Error ? error.message : String(error)}`);
        shutdown(1);
      },
    );
  });

  console.log(`BYOK cluster ready at ${cluster.url}`);
  console.log(`  HTTP ${cluster.httpUrl} redirects to HTTPS; the certificate is self-signed: ${cluster.certFile}`);
  for (const instance of cluster.instances) console.log(`  ${instance.name}  ${instance.url}`);
  console.log(`  redis  127.0.0.1:${cluster.redisPort} (AOF, password)`);
  if (cluster.fakeUpstreamUrl) {
    console.log(
      `  fake upstream ${cluster.fakeUpstreamUrl}: OpenAI uses a server key; for Anthropic and Gemini set a test key ` +
        'such as sk-ant-test-0123456789abcdefgh or AIzaTest0123456789abcdefghijklmnop',
    );
  }
  console.log(`  rolling restart: kill -HUP ${process.pid}`);
  console.log(`  logs in ${cluster.stateDir}/logs\nCtrl-C stops everything.`);
}

function describeExit(status: ExitStatus): string {
  return status.signal ?? `code ${status.code}`;
}

function positiveInteger(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${flag} expects a positive integer, got "${value}"`);
  }
  return parsed;
}

main().catch((error: unknown) => {
  console.error(`start:cluster: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
