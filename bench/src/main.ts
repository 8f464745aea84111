import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { round } from './histogram';
import { describeMachine } from './machine';
import { forkReady, killAll, type ProbedProcess, startApi, startPipe, startRedis, WEB_ROOT } from './processes';
import { type BenchResults, drawCharts, targetChecks, writePartialResults, writeReport } from './report';
import {
  addedAgainst,
  BUNCHED_BELOW_MS,
  CAPACITY_GAP_TOLERANCE_MS,
  capacityOf,
  mergeRounds,
  PACE_MS,
  PACED_CHUNKS,
  RAMP_MS,
  runRung,
  type RungRun,
  type RungSample,
  type RungSet,
} from './scenario-concurrency';
import { measureKeyEndpoint } from './scenario-key-endpoint';
import { MEMORY_STREAMS, measureStreamMemory } from './scenario-memory';
import { measurePassThrough } from './scenario-passthrough';
import { measureRender, RENDER_TOKENS } from './scenario-render';
import { measureTtft } from './scenario-ttft';
import { type BenchSession, createSession, createSessions } from './sessions';
import { GatewaySocket } from './streams';
import { directTarget, MESSAGES, MODEL, PROVIDER, rotation, socketTarget, sseTarget, type Target, Upstream } from './targets';

const BENCH_KEY = 'sk-test-bench-0123456789abcdef0123';
/**
 * For work on one scenario: BENCH_ONLY=a,c BENCH_RUNGS=64,128. Only a full run (every scenario,
 * the default rungs) writes the report and the committed charts; a partial one writes
 * bench/results/partial.json and draws its charts into tmp/bench-charts/.
 */
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'a,b,c,d,e,f').split(','));
/** The capacity ladder: the capacity figure is the largest of these one instance keeps pace at. */
const CAPACITY_RUNGS = [64, 128, 192, 256, 384];
const RUNGS = process.env['BENCH_RUNGS'] ? process.env['BENCH_RUNGS'].split(',').map(Number) : CAPACITY_RUNGS;
const FULL_RUN = ['a', 'b', 'c', 'd', 'e', 'f'].every((scenario) => ONLY.has(scenario)) && !process.env['BENCH_RUNGS'];
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
  pipe: ProbedProcess;
}

/** Paced streams at each rung, alternating direct, pipe and the gateway (or gateways) in rounds. */
async function ladder(
  stack: Stack,
  rungs: number[],
  rounds: number,
  gateways: Array<{ name: string; sockets: GatewaySocket[]; apis: ProbedProcess[] }>,
  withPipe: boolean,
): Promise<RungSet[]> {
  const request = { provider: PROVIDER, model: MODEL, messages: MESSAGES };
  const runners: Array<{ name: string; run: (streams: number) => Promise<RungSample> }> = [
    { name: 'direct', run: (streams) => runRung('direct', streams, stack.upstream, () => stack.direct.run()) },
    ...(withPipe ? [{ name: 'pipe', run: (streams: number) => runRung('pipe', streams, stack.upstream, () => stack.piped.run(), [stack.pipe]) }] : []),
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
      const more = run.target === 'direct' ? '' : `, added TTFT p50/p99 ${added[run.target].ttftP50}/${added[run.target].ttftP99} ms`;
      const hop = run.hop ? `; hop CPU ${run.hop.cpuPercent} % (${run.hop.cpuMicrosPerChunk} µs/chunk), loop p99 ${run.hop.loopDelayP99Ms} ms, peak RSS ${run.hop.peakRssMiB} MiB` : '';
      log(
        `    ${streams} × ${run.target}: gap p50/p99 ${run.gaps.p50}/${run.gaps.p99} ms, TTFT p99 ${run.ttft.p99} ms${more}, lost ${run.lostChunks}${run.failedStreams ? ` (${JSON.stringify(run.failureReasons)})` : ''}, bunched ${run.bunched}${hop}; machine ${run.machineBusyPercent} %, client loop p99 ${run.client?.p99Ms} ms`,
      );
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
  const pipe = await startPipe(upstream.url);
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
  const api = await startApi(apiEnv, { cpuProfileDir });
  log(`fake upstream ${upstream.url}, pipe ${pipe.url} (pid ${pipe.pid}), API ${api.url} (pid ${api.pid}), Redis ${redis.url}`);
  const stack: Stack = { upstream, direct: directTarget('direct', upstream.url, BENCH_KEY), piped: directTarget('pipe', pipe.url, BENCH_KEY, pipe), pipe };
  const results: Partial<BenchResults> = { machine };

  if (ONLY.has('a') || ONLY.has('b')) {
    const session = await createSession(api.url, PROVIDER, BENCH_KEY);
    const socket = await GatewaySocket.connect(api.url, session.cookie);
    const targets = [stack.direct, stack.piped, sseTarget(api, session), socketTarget(socket, api)];
    if (ONLY.has('a')) {
      log('(a) time to first token, one stream at a time');
      results.ttft = await measureTtft(upstream, targets);
      log(`    added p50/p99 ms: ${Object.entries(results.ttft.added).map(([name, added]) => `${name} ${added.p50}/${added.p99}`).join(', ')}; hop CPU µs/stream ${JSON.stringify(results.ttft.hopCpuMicrosPerStream)}`);
    }
    if (ONLY.has('b')) {
      log('(b) pass-through: 256 chunks back to back, then 64 paced at 20 ms');
      results.passThrough = await measurePassThrough(upstream, targets);
      log(`    throughput ÷ direct ${JSON.stringify(results.passThrough.burst.ratioToDirect)}; added gap p99 ${JSON.stringify(results.passThrough.paced.addedGapP99)}`);
    }
    socket.close();
  }

  const maxStreams = Math.max(...(ONLY.has('c') ? [...RUNGS, MEMORY_STREAMS] : []), ...(ONLY.has('e') ? SCALING_RUNGS : []), 20);
  const sessions = ONLY.has('c') || ONLY.has('d') || ONLY.has('e') ? await createSessions(api.url, maxStreams, PROVIDER, BENCH_KEY) : [];

  if (ONLY.has('c')) {
    log(`(c) concurrency: ${RUNGS.join(', ')} paced streams on one instance`);
    const sockets = await connectSockets(api.url, sessions.slice(0, Math.max(...RUNGS)));
    const gateway = [{ name: 'gateway-socket', sockets, apis: [api] }];
    await ladder(stack, [64], 1, gateway, true);
    const rungs = await ladder(stack, RUNGS, CONCURRENCY_ROUNDS, gateway, true);
    for (const socket of sockets) socket.close();
    const capacity = { pipe: capacityOf(rungs, 'pipe'), 'gateway-socket': capacityOf(rungs, 'gateway-socket') };
    log(`    capacity (rungs kept pace at): pipe ${JSON.stringify(capacity.pipe)}, gateway-socket ${JSON.stringify(capacity['gateway-socket'])}`);
    log(`(c) memory per streaming socket: ${MEMORY_STREAMS} paced streams on a fresh API and on a fresh pipe`);
    const memory = await measureMemory(stack, apiEnv, sessions.slice(0, MEMORY_STREAMS));
    log(`    API ${JSON.stringify(memory.gateway)}; pipe ${JSON.stringify(memory.pipe)}`);
    results.concurrency = {
      chunksPerStream: PACED_CHUNKS,
      paceMs: PACE_MS,
      rampMs: RAMP_MS,
      bunchedBelowMs: BUNCHED_BELOW_MS,
      capacityGapToleranceMs: CAPACITY_GAP_TOLERANCE_MS,
      rounds: CONCURRENCY_ROUNDS,
      rungs,
      capacity,
      memory,
    };
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

  if (ONLY.has('f')) {
    log(`(f) a ${RENDER_TOKENS}-token markdown answer rendered by the web app in Chromium`);
    // BENCH_WEB_ROOT_BEFORE: an older web build, to compare with in the same run.
    const before = process.env['BENCH_WEB_ROOT_BEFORE'];
    const builds = [...(before ? [{ name: 'before', webRoot: before }] : []), { name: 'this commit', webRoot: WEB_ROOT }];
    results.render = await measureRender(upstream, apiEnv, BENCH_KEY, builds);
    for (const run of results.render.runs) log(`    ${run.build}: ${JSON.stringify(run)}`);
  }

  await api.stop();
  redis.stop();
  results.durationSeconds = Math.round(performance.now() / 1000);
  for (const check of targetChecks(results)) {
    log(`target ${check.met ? 'met   ' : 'MISSED'} ${check.figure}: ${check.measured} (target ${check.target}; pipe ${check.pipe})${check.met ? '' : ` — ${check.context}`}`);
  }
  if (FULL_RUN) {
    const written = writeReport(results as BenchResults);
    drawCharts(written, 'docs/_static');
    log('wrote bench/results/latest.json, docs/benchmarks.md, docs/_static/bench-ttft.svg and bench-capacity.svg');
  } else {
    const written = writePartialResults(results);
    drawCharts(written, 'tmp/bench-charts');
    log(`partial run (BENCH_ONLY or BENCH_RUNGS): wrote ${written} and tmp/bench-charts/; docs/benchmarks.md not touched`);
  }
}

/** The same measurement on a process started for it, the API and the pipe each (see scenario-memory.ts). */
async function measureMemory(stack: Stack, apiEnv: Record<string, string>, sessions: BenchSession[]): Promise<BenchResults['concurrency']['memory']> {
  const freshApi = await startApi(apiEnv, { exposeGc: true });
  const gateway = await measureStreamMemory(freshApi, stack.upstream, async (count) => {
    const sockets = await connectSockets(freshApi.url, sessions.slice(0, count));
    const request = { provider: PROVIDER, model: MODEL, messages: MESSAGES };
    return { start: (index) => sockets[index].stream(request), close: () => sockets.forEach((socket) => socket.close()) };
  });
  await freshApi.stop();
  const freshPipe = await startPipe(stack.upstream.url, { exposeGc: true });
  const piped = directTarget('pipe', freshPipe.url, BENCH_KEY, freshPipe);
  // HTTP clients hold no connection of their own before a stream; the bench's keep-alive pool keeps the warm-up's.
  const pipe = await measureStreamMemory(freshPipe, stack.upstream, async () => ({ start: () => piped.run() }));
  await freshPipe.stop();
  return { gateway, pipe };
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
