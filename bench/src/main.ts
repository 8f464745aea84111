import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { round } from './histogram';
import { describeMachine } from './machine';
import { type ApiProcess, forkReady, killAll, startApi, startRedis } from './processes';
import { type BenchResults, type RungSet, writeReport } from './report';
import { addedAgainst, mergeRounds, runRung, type RungRun, type RungSample } from './scenario-concurrency';
import { measureKeyEndpoint } from './scenario-key-endpoint';
import { measurePassThrough } from './scenario-passthrough';
import { measureTtft } from './scenario-ttft';
import { type BenchSession, createSession, createSessions } from './sessions';
import { GatewaySocket } from './streams';
import { directTarget, MESSAGES, MODEL, PROVIDER, rotation, socketTarget, sseTarget, type Target, Upstream } from './targets';

const BENCH_KEY = 'sk-test-bench-0123456789abcdef0123';
/** For work on one scenario: BENCH_ONLY=a,c BENCH_RUNGS=256; only a full run writes the report. */
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'a,b,c,d,e').split(','));
const FULL_RUN = ['a', 'b', 'c', 'd', 'e'].every((scenario) => ONLY.has(scenario));
const RUNGS = process.env['BENCH_RUNGS'] ? process.env['BENCH_RUNGS'].split(',').map(Number) : [8, 64, 256, 1000];
const CONCURRENCY_ROUNDS = 2;
const SCALING_RUNGS = [256, 1000];

function log(message: string): void {
  process.stdout.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${message}\n`);
}

/** The bench's own event loop: when it lags, every figure it takes is late too. */
const clientLoop = monitorEventLoopDelay({ resolution: 1 });
clientLoop.enable();

function clientLoopDelay(): { p99Ms: number; maxMs: number } {
  const figures = { p99Ms: round(clientLoop.percentile(99) / 1e6), maxMs: round(clientLoop.max / 1e6) };
  clientLoop.reset();
  return figures;
}

async function connectSockets(url: string, sessions: BenchSession[]): Promise<GatewaySocket[]> {
  const sockets: GatewaySocket[] = [];
  for (let index = 0; index < sessions.length; index += 100) {
    sockets.push(...(await Promise.all(sessions.slice(index, index + 100).map((session) => GatewaySocket.connect(url, session.cookie)))));
  }
  return sockets;
}

interface Stack {
  upstream: Upstream;
  direct: Target;
  piped: Target;
  api: ApiProcess;
  apiEnv: Record<string, string>;
}

/** Paced streams at each rung, alternating direct, pipe and the gateway (or gateways) in rounds. */
async function ladder(
  stack: Stack,
  rungs: number[],
  rounds: number,
  gateways: Array<{ name: string; sockets: GatewaySocket[]; apis: ApiProcess[] }>,
  withPipe: boolean,
): Promise<RungSet[]> {
  const request = { provider: PROVIDER, model: MODEL, messages: MESSAGES };
  const runners: Array<{ name: string; run: (streams: number) => Promise<RungSample> }> = [
    { name: 'direct', run: (streams) => runRung('direct', streams, stack.upstream, () => stack.direct.run()) },
    ...(withPipe ? [{ name: 'pipe', run: (streams: number) => runRung('pipe', streams, stack.upstream, () => stack.piped.run()) }] : []),
    ...gateways.map((gateway) => ({
      name: gateway.name,
      run: (streams: number) => runRung(gateway.name, streams, stack.upstream, (index) => gateway.sockets[index].stream(request), gateway.apis),
    })),
  ];
  const sets: RungSet[] = [];
  for (const streams of rungs) {
    const samples = new Map<string, RungSample[]>();
    for (let roundIndex = 0; roundIndex < rounds; roundIndex += 1) {
      for (const runner of rotation(runners, roundIndex)) {
        clientLoopDelay();
        const sample = await runner.run(streams);
        sample.client = clientLoopDelay();
        samples.set(runner.name, [...(samples.get(runner.name) ?? []), sample]);
      }
    }
    const runs = [...samples.values()].map(mergeRounds);
    const directRun = runs.find((run) => run.target === 'direct') as RungRun;
    const added = Object.fromEntries(runs.filter((run) => run !== directRun).map((run) => [run.target, addedAgainst(run, directRun)]));
    sets.push({ streams, runs, added });
    for (const run of runs) {
      const more = run.target === 'direct' ? '' : `, added p99 TTFT ${added[run.target].ttftP99} ms, gap ${added[run.target].gapP99} ms`;
      log(`    ${streams} × ${run.target}: TTFT p99 ${run.ttft.p99} ms, gap p50/p99 ${run.gaps.p50}/${run.gaps.p99} ms, lost ${run.lostChunks}${run.failedStreams ? ` (${JSON.stringify(run.failureReasons)})` : ''}${more}; API ${JSON.stringify(run.api ?? {})}; client loop ${JSON.stringify(run.client)}`);
    }
  }
  return sets;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const cpuProfileDir = process.env['BENCH_CPU_PROF'] ? join(process.cwd(), 'tmp/bench-profiles') : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit.slice(0, 10)}${machine.dirty ? ' (dirty)' : ''}`);

  const redis = await startRedis();
  const fake = await forkReady<{ url: string }>('upstream-process.js', { BENCH_KEY });
  const upstream = new Upstream(fake.child, fake.ready.url);
  const pipe = await forkReady<{ port: number }>('pipe-proxy.js', { TARGET: upstream.url });
  const pipeUrl = `http://127.0.0.1:${pipe.ready.port}`;
  const apiEnv = {
    REDIS_URL: redis.url,
    SESSION_SECRET: 'bench-session-secret-0123456789abcdefghijkl',
    KEYSTORE_SECRETS: 'bench-keystore-secret-0123456789abcdefghijk',
    OPENAI_BASE_URL: `${upstream.url}/openai/v1`,
    KEY_RATE_LIMIT: '100000',
    CHAT_RATE_LIMIT: '1000000',
    // One client address and a few sessions carry the whole load: the caps would measure themselves.
    CHAT_MAX_STREAMS: '1000',
    SOCKET_MAX_PER_SESSION: '10000',
    SOCKET_MAX_PER_IP: '1000000',
  };
  const api = await startApi(apiEnv, cpuProfileDir);
  log(`fake upstream ${upstream.url}, pipe ${pipeUrl}, API ${api.url} (pid ${api.pid}), Redis ${redis.url}`);
  const stack: Stack = { upstream, direct: directTarget('direct', upstream.url, BENCH_KEY), piped: directTarget('pipe', pipeUrl, BENCH_KEY), api, apiEnv };
  const results: Partial<BenchResults> = { machine };

  if (ONLY.has('a') || ONLY.has('b')) {
    const session = await createSession(api.url, PROVIDER, BENCH_KEY);
    const socket = await GatewaySocket.connect(api.url, session.cookie);
    const targets = [stack.direct, stack.piped, sseTarget(api.url, session), socketTarget(socket)];
    if (ONLY.has('a')) {
      log('(a) time to first token, one stream at a time');
      results.ttft = await measureTtft(upstream, targets);
      log(`    added p50/p99 ms: ${Object.entries(results.ttft.added).map(([name, added]) => `${name} ${added.p50}/${added.p99}`).join(', ')}`);
    }
    if (ONLY.has('b')) {
      log('(b) pass-through: 256 chunks back to back, then 64 paced at 20 ms');
      results.passThrough = await measurePassThrough(upstream, targets);
      log(`    throughput ÷ direct ${JSON.stringify(results.passThrough.burst.ratioToDirect)}; added gap p99 ${JSON.stringify(results.passThrough.paced.addedGapP99)}`);
    }
    socket.close();
  }

  const maxStreams = Math.max(...RUNGS, ...SCALING_RUNGS, 20);
  const sessions = ONLY.has('c') || ONLY.has('d') || ONLY.has('e') ? await createSessions(api.url, maxStreams, PROVIDER, BENCH_KEY) : [];

  if (ONLY.has('c')) {
    log(`(c) concurrency: ${RUNGS.join(', ')} paced streams on one instance`);
    const rssBefore = api.rssBytes();
    const sockets = await connectSockets(api.url, sessions.slice(0, Math.max(...RUNGS)));
    const socketMemoryKiB = Math.round((api.rssBytes() - rssBefore) / sockets.length / 1024);
    const gateway = [{ name: 'gateway-socket', sockets, apis: [api] }];
    await ladder(stack, [64], 1, gateway, true);
    const rungs = await ladder(stack, RUNGS, CONCURRENCY_ROUNDS, gateway, true);
    results.concurrency = { chunksPerStream: 100, paceMs: 20, rampMs: 1000, socketMemoryKiB, rungs };
    for (const socket of sockets) socket.close();
  }

  if (ONLY.has('d')) {
    log('(d) key listing vs bare route, autocannon');
    results.keyEndpoint = await measureKeyEndpoint(api.url, sessions.slice(0, 10), [api]);
    log(`    ${results.keyEndpoint.keys.requestsPerSecond} vs ${results.keyEndpoint.health.requestsPerSecond} req/s: ${results.keyEndpoint.share}; API CPU ${results.keyEndpoint.keys.apiCpuMicrosPerRequest} vs ${results.keyEndpoint.health.apiCpuMicrosPerRequest} µs/request`);
  }

  if (ONLY.has('e')) {
    log('(e) two instances behind a round-robin balancer');
    const api2 = await startApi(apiEnv);
    const port = (url: string): string => new URL(url).port;
    const one = await forkReady<{ port: number }>('balancer.js', { BACKENDS: port(api.url) });
    const two = await forkReady<{ port: number }>('balancer.js', { BACKENDS: `${port(api.url)},${port(api2.url)}` });
    const viaOne = `http://127.0.0.1:${one.ready.port}`;
    const viaTwo = `http://127.0.0.1:${two.ready.port}`;
    const scalingSessions = sessions.slice(0, Math.max(...SCALING_RUNGS));
    const poolOne = await connectSockets(viaOne, scalingSessions);
    const poolTwo = await connectSockets(viaTwo, scalingSessions);
    const rungs = await ladder(
      stack,
      SCALING_RUNGS,
      1,
      [
        { name: '1 instance', sockets: poolOne, apis: [api] },
        { name: '2 instances', sockets: poolTwo, apis: [api, api2] },
      ],
      false,
    );
    for (const socket of [...poolOne, ...poolTwo]) socket.close();
    const keysOne = await measureKeyEndpoint(viaOne, sessions.slice(0, 20), [api], 20, 1);
    const keysTwo = await measureKeyEndpoint(viaTwo, sessions.slice(0, 20), [api, api2], 20, 1);
    const factor = round(keysTwo.keys.requestsPerSecond / keysOne.keys.requestsPerSecond, 2);
    log(`    key listing ${keysOne.keys.requestsPerSecond} → ${keysTwo.keys.requestsPerSecond} req/s (${factor}×)`);
    results.scaling = { rungs, keyEndpoint: { one: keysOne, two: keysTwo, factor } };
    await api2.stop();
  }

  await api.stop();
  redis.stop();
  results.durationSeconds = Math.round(performance.now() / 1000);
  if (FULL_RUN) {
    writeReport(results as BenchResults);
    log('wrote bench/results/latest.json and docs/benchmarks.md');
  } else {
    log('partial run (BENCH_ONLY): report not written');
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    process.exit();
  });
