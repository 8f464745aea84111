import { parseArgs } from 'node:util';
import { startCluster } from './cluster';

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
  --help`;

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
  for (const child of cluster.processes) {
    void child.exited.then((status) => {
      if (stopping) return;
      console.error(`\n${child.name} exited (${status.signal ?? `code ${status.code}`}):\n${child.logTail()}`);
      shutdown(1);
    });
  }

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
  console.log(`  logs in ${cluster.stateDir}/logs\nCtrl-C stops everything.`);
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
