import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine';
import { type Added, type Capacity, CAPACITY_GAP_TOLERANCE_MS, type HopFigures, type RungRun, type RungSet } from './scenario-concurrency';
import type { KeyEndpointResult } from './scenario-key-endpoint';
import type { StreamMemory } from './scenario-memory';
import type { PassThroughResult } from './scenario-passthrough';
import type { RenderResult, RenderRun } from './scenario-render';
import type { TtftResult } from './scenario-ttft';

export interface ConcurrencyResult {
  chunksPerStream: number;
  paceMs: number;
  rampMs: number;
  bunchedBelowMs: number;
  capacityGapToleranceMs: number;
  rounds: number;
  rungs: RungSet[];
  capacity: Record<'pipe' | 'gateway-socket', Capacity>;
  memory: { gateway: StreamMemory; pipe: StreamMemory };
}

export interface BenchResults {
  machine: MachineInfo;
  durationSeconds: number;
  ttft: TtftResult;
  passThrough: PassThroughResult;
  concurrency: ConcurrencyResult;
  keyEndpoint: KeyEndpointResult;
  scaling: { rungs: RungSet[]; keyEndpoint: { one: KeyEndpointResult; two: KeyEndpointResult; factor: number } };
  render: RenderResult;
}

/** One target: the figure, its threshold, what this run measured, and the bare pipe's figure from the same run. */
export interface TargetCheck {
  /** Stable across runs: keys the hand-written reason kept in the doc for a missed target. */
  id: string;
  figure: string;
  target: string;
  measured: string;
  pipe: string;
  met: boolean;
  /** Figures of the same run that bear on the measured value; printed under a missed target. */
  context: string;
}

/** The targets, most of them relative to the bare pipe measured in the same run. */
const GOAL = {
  ttftP50TimesPipe: 2,
  ttftP99OverPipeMs: 2,
  cpuRung: 64,
  cpuPerChunkTimesPipe: 2,
  capacityStreams: 256,
  loadedRung: 256,
  bunchedTimesPipe: 2,
  loadedTtftP99TimesPipe: 4,
  memoryKiBPerSocket: 40,
  renderLongTasks: 0,
  renderFinalLagMs: 100,
} as const;

const RESULTS_START = '<!-- bench:results:start -->';
const RESULTS_END = '<!-- bench:results:end -->';
const TARGETS_START = '<!-- bench:targets:start -->';
const TARGETS_END = '<!-- bench:targets:end -->';
/** A reason written by hand for a missed target; carried over to the next run while the target stays missed. */
const WHY = /<!-- why:([\w-]+) -->([\s\S]*?)<!-- \/why -->/g;

/** Every target whose scenario ran; a partial run checks what it measured. */
export function targetChecks(results: Partial<BenchResults>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { ttft, concurrency, machine } = results;
  if (ttft) {
    const pipe = ttft.added.pipe;
    const cpu = ttft.hopCpuMicrosPerStream;
    for (const name of ['gateway-sse', 'gateway-socket'] as const) {
      const added = ttft.added[name];
      const context =
        `TTFT p50 / p99: direct ${ms(ttft.ttft.direct.p50)} / ${ms(ttft.ttft.direct.p99)}, pipe ${ms(ttft.ttft.pipe.p50)} / ${ms(ttft.ttft.pipe.p99)}, ` +
        `${name} ${ms(ttft.ttft[name].p50)} / ${ms(ttft.ttft[name].p99)} (p99.9 ${ms(ttft.ttft[name].p999)}); ` +
        `CPU per ${ttft.chunksPerStream}-chunk stream: API ${cpu[name] ?? '?'} µs, pipe ${cpu.pipe ?? '?'} µs; machine ${ttft.machineBusyPercent} % busy` +
        (machine ? ` (load average ${machine.loadAverageAtStart} at start)` : '');
      const transport = name.replace('gateway-', '');
      checks.push({
        id: `ttft-p50-${transport}`,
        figure: `Added TTFT p50, ${name} (a)`,
        target: `≤ ${GOAL.ttftP50TimesPipe} × pipe = ${ms(GOAL.ttftP50TimesPipe * pipe.p50)}`,
        measured: ms(added.p50),
        pipe: ms(pipe.p50),
        met: added.p50 <= GOAL.ttftP50TimesPipe * pipe.p50,
        context,
      });
      checks.push({
        id: `ttft-p99-${transport}`,
        figure: `Added TTFT p99, ${name} (a)`,
        target: `≤ pipe + ${GOAL.ttftP99OverPipeMs} ms = ${ms(pipe.p99 + GOAL.ttftP99OverPipeMs)}`,
        measured: ms(added.p99),
        pipe: ms(pipe.p99),
        met: added.p99 <= pipe.p99 + GOAL.ttftP99OverPipeMs,
        context,
      });
    }
  }
  if (concurrency) checks.push(...concurrencyChecks(concurrency));
  if (results.render) checks.push(...renderChecks(results.render));
  return checks;
}

/** The web app's main thread while a long answer streams (f); the "pipe" column holds an older build's figure when one was measured. */
function renderChecks(render: RenderResult): TargetCheck[] {
  const current = render.runs.at(-1);
  if (!current) return [];
  const before = render.runs.length > 1 ? render.runs[0] : undefined;
  const tasks = (run: RenderRun): string => `${run.longTasks.overBudget} (longest ${ms(run.longTasks.maxMs)})`;
  const context = (run: RenderRun): string =>
    `${run.longTasks.count} long tasks in all${run.longTasks.each.length > 0 ? ` (${run.longTasks.each.map((task) => `${ms(task.durationMs)} at ${ms(task.atMs)}`).join(', ')} after Send)` : ''}, total blocking ${ms(run.longTasks.totalBlockingMs)}; ${run.frames.perSecond} frames/s while streaming, frame gap p99 / max ${ms(run.frames.gapP99Ms)} / ${ms(run.frames.gapMaxMs)}; ` +
    `${run.updates.count} visible updates, gap p99 / max ${ms(run.updates.gapP99Ms)} / ${ms(run.updates.gapMaxMs)}; main thread busy ${ms(run.mainThread.busyMs)} (${run.mainThread.busyPercent} %), script ${ms(run.mainThread.scriptMs)}; ` +
    `answer complete after ${ms(run.answerMs)} against the upstream's pacing of ${ms(run.pacedMs)}`;
  return [
    {
      id: 'render-long-tasks',
      figure: `Main-thread tasks over ${render.longTaskMs} ms while a ${current.tokens}-token markdown answer streams at ${render.tokensPerSecond} tokens/s (f)`,
      target: `${GOAL.renderLongTasks}`,
      measured: tasks(current),
      pipe: before ? `before: ${tasks(before)}` : '—',
      met: current.longTasks.overBudget <= GOAL.renderLongTasks,
      context: context(current),
    },
    {
      id: 'render-keeps-up',
      figure: 'The page keeps up: from the stream’s end reaching the page to the whole answer on screen (f)',
      target: `≤ ${ms(GOAL.renderFinalLagMs)}`,
      measured: ms(current.finalRenderLagMs),
      pipe: before ? `before: ${ms(before.finalRenderLagMs)}` : '—',
      met: current.finalRenderLagMs >= 0 && current.finalRenderLagMs <= GOAL.renderFinalLagMs,
      context: context(current),
    },
  ];
}

function concurrencyChecks(concurrency: ConcurrencyResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const cpuRung = rungAt(concurrency.rungs, GOAL.cpuRung);
  if (cpuRung) {
    const { gateway, pipe } = cpuRung;
    const apiCpu = gateway.hop.cpuMicrosPerChunk;
    const pipeCpu = pipe.hop.cpuMicrosPerChunk;
    checks.push({
      id: 'cpu-per-chunk',
      figure: `API CPU per paced chunk, ${GOAL.cpuRung} streams (c)`,
      target: `≤ ${GOAL.cpuPerChunkTimesPipe} × pipe = ${micros(GOAL.cpuPerChunkTimesPipe * pipeCpu)}`,
      measured: micros(apiCpu),
      pipe: micros(pipeCpu),
      met: apiCpu <= GOAL.cpuPerChunkTimesPipe * pipeCpu,
      context: `the API used ${gateway.hop.cpuPercent} % of a core (loop delay p99 ${ms(gateway.hop.loopDelayP99Ms)}), the pipe ${pipe.hop.cpuPercent} %; machine ${gateway.machineBusyPercent} % busy during the API's run`,
    });
  }

  const gatewayCapacity = concurrency.capacity['gateway-socket'];
  const missedRung = gatewayCapacity.firstMissed === null ? undefined : rungAt(concurrency.rungs, gatewayCapacity.firstMissed);
  const top = Math.max(...concurrency.rungs.map((rung) => rung.streams));
  checks.push({
    id: 'capacity',
    figure: `Capacity of one instance: largest rung with gap p50 within ${CAPACITY_GAP_TOLERANCE_MS} ms of direct's, nothing lost (c)`,
    target: `≥ ${GOAL.capacityStreams} streams`,
    measured: capacityText(gatewayCapacity, concurrency.rungs),
    pipe: capacityText(concurrency.capacity.pipe, concurrency.rungs),
    met: gatewayCapacity.streams >= GOAL.capacityStreams,
    context: missedRung
      ? `first missed at ${missedRung.streams} streams: gap p50 ${ms(missedRung.gateway.gaps.p50)} against direct's ${ms(missedRung.direct.gaps.p50)}, ` +
        `${missedRung.gateway.lostChunks} chunks lost, ${missedRung.gateway.failedStreams} streams failed; ` +
        `API ${missedRung.gateway.hop.cpuPercent} % of a core (${micros(missedRung.gateway.hop.cpuMicrosPerChunk)} per chunk), loop delay p99 ${ms(missedRung.gateway.hop.loopDelayP99Ms)}; ` +
        `machine ${missedRung.gateway.machineBusyPercent} % busy`
      : `kept pace on every rung up to ${top}`,
  });

  const loaded = rungAt(concurrency.rungs, GOAL.loadedRung);
  if (loaded) {
    const { gateway, pipe, added, pipeAdded } = loaded;
    const load =
      `API ${gateway.hop.cpuPercent} % of a core, loop delay p99 / max ${ms(gateway.hop.loopDelayP99Ms)} / ${ms(gateway.hop.loopDelayMaxMs)}; ` +
      `pipe ${pipe.hop.cpuPercent} % of a core; machine ${gateway.machineBusyPercent} % busy during the API's run`;
    checks.push({
      id: 'bunched',
      figure: `Bunched chunks, ${GOAL.loadedRung} paced streams (c)`,
      target: `≤ ${GOAL.bunchedTimesPipe} × pipe = ${GOAL.bunchedTimesPipe * pipe.bunched}`,
      measured: `${gateway.bunched} (${share(gateway.bunched, gateway.gapCount)})`,
      pipe: `${pipe.bunched} (${share(pipe.bunched, pipe.gapCount)})`,
      met: gateway.bunched <= GOAL.bunchedTimesPipe * pipe.bunched,
      context: `gap p50 / p99 ${ms(gateway.gaps.p50)} / ${ms(gateway.gaps.p99)} (pipe ${ms(pipe.gaps.p50)} / ${ms(pipe.gaps.p99)}); ${load}`,
    });
    checks.push({
      id: 'loaded-ttft-p99',
      figure: `Added TTFT p99, ${GOAL.loadedRung} paced streams (c)`,
      target: `≤ ${GOAL.loadedTtftP99TimesPipe} × pipe = ${ms(GOAL.loadedTtftP99TimesPipe * pipeAdded.ttftP99)}`,
      measured: ms(added.ttftP99),
      pipe: ms(pipeAdded.ttftP99),
      met: added.ttftP99 <= GOAL.loadedTtftP99TimesPipe * pipeAdded.ttftP99,
      context: `TTFT p50 / p99: direct ${ms(loaded.direct.ttft.p50)} / ${ms(loaded.direct.ttft.p99)}, pipe ${ms(pipe.ttft.p50)} / ${ms(pipe.ttft.p99)}, gateway ${ms(gateway.ttft.p50)} / ${ms(gateway.ttft.p99)}; ${load}`,
    });
  }

  const { gateway: apiMemory, pipe: pipeMemory } = concurrency.memory;
  checks.push({
    id: 'memory-per-socket',
    figure: `API memory per streaming socket, ${apiMemory.streams} streams (c)`,
    target: `≤ ${GOAL.memoryKiBPerSocket} KiB`,
    measured: `${apiMemory.kibPerStreamingSocket} KiB`,
    pipe: `${pipeMemory.kibPerStreamingSocket} KiB`,
    met: apiMemory.kibPerStreamingSocket <= GOAL.memoryKiBPerSocket,
    context:
      `fresh API: RSS ${apiMemory.baselineRssMiB} MiB after ${apiMemory.warmUpStreams} warm-up streams and a full GC, ${apiMemory.connectedRssMiB} MiB with ${apiMemory.streams} sockets connected ` +
      `(${apiMemory.kibPerConnectedSocket} KiB each before streaming), peak ${apiMemory.peakRssMiB} MiB while all streamed; ${growth(apiMemory)}; ` +
      `held after a full GC mid-run (heap used + buffers outside it): ${apiMemory.retainedKibPerStreamingSocket} KiB per streaming socket (pipe ${pipeMemory.retainedKibPerStreamingSocket} KiB)`,
  });
  return checks;
}

/** The targets of earlier rounds that this bench still measures: pass-through (b), key listing (d), two instances (e). */
function otherTargetChecks(results: BenchResults): TargetCheck[] {
  const { passThrough, keyEndpoint, scaling } = results;
  const checks: TargetCheck[] = [];
  for (const name of ['gateway-sse', 'gateway-socket'] as const) {
    const ratio = passThrough.burst.ratioToDirect[name];
    const gap = passThrough.paced.addedGapP99[name];
    const received = passThrough.paced.chunksReceived[name];
    const merged = passThrough.paced.merged[name];
    const sent = passThrough.paced.chunksSent;
    checks.push(
      {
        id: `burst-${name}`,
        figure: `${name}: ${passThrough.burst.chunks}-chunk throughput ÷ direct (b)`,
        target: '≥ 0.9',
        measured: ratio.toFixed(2),
        pipe: passThrough.burst.ratioToDirect.pipe.toFixed(2),
        met: ratio >= 0.9,
        context: '',
      },
      {
        id: `paced-gap-${name}`,
        figure: `${name}: added inter-chunk gap p99, paced (b)`,
        target: '≤ 0.5 ms',
        measured: ms(gap),
        pipe: ms(passThrough.paced.addedGapP99.pipe),
        met: gap <= 0.5,
        context: '',
      },
      {
        id: `paced-chunks-${name}`,
        figure: `${name}: chunks received = sent, none merged (b)`,
        target: `${sent}/${sent}, 0 merged`,
        measured: `${received}/${sent}, ${merged} merged`,
        pipe: `${passThrough.paced.chunksReceived.pipe}/${sent}, ${passThrough.paced.merged.pipe} merged`,
        met: received === sent && merged === 0,
        context: '',
      },
    );
  }
  checks.push(
    { id: 'key-listing', figure: 'Key listing req/s ÷ the bare route’s (d)', target: '≥ 70 %', measured: pct(keyEndpoint.share), pipe: '—', met: keyEndpoint.share >= 0.7, context: '' },
    {
      id: 'two-instances',
      figure: 'Two instances ÷ one, key listing req/s (e)',
      target: '≥ 1.7×',
      measured: `${scaling.keyEndpoint.factor.toFixed(2)}×`,
      pipe: '—',
      met: scaling.keyEndpoint.factor >= 1.7,
      context: '',
    },
  );
  return checks;
}

/** Writes bench/results/latest.json and the generated parts of docs/benchmarks.md; returns the results file's path. */
export function writeReport(results: BenchResults, root = process.cwd()): string {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const targets = targetChecks(results);
  const otherTargets = otherTargetChecks(results);
  const resultsPath = join(root, 'bench/results/latest.json');
  writeFileSync(resultsPath, `${JSON.stringify({ ...results, targets, otherTargets }, null, 2)}\n`);
  const docPath = join(root, 'docs/benchmarks.md');
  const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const reasons = new Map([...current.matchAll(WHY)].map((match) => [match[1], match[2].trim()]));
  const withTargets = replaceRegion(current, TARGETS_START, TARGETS_END, renderTargets(results, targets, reasons), (doc) => {
    const title = doc.indexOf('\n', doc.indexOf('# '));
    return title < 0 ? doc.length : title + 1;
  });
  writeFileSync(docPath, replaceRegion(withTargets, RESULTS_START, RESULTS_END, renderResults(results, otherTargets), (doc) => doc.length));
  return resultsPath;
}

/** A partial run's figures, for work on one scenario; never committed (bench/.gitignore). */
export function writePartialResults(results: Partial<BenchResults>, root = process.cwd()): string {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const resultsPath = join(root, 'bench/results/partial.json');
  writeFileSync(resultsPath, `${JSON.stringify({ ...results, targets: targetChecks(results) }, null, 2)}\n`);
  return resultsPath;
}

/** Draws the charts of a results file with bench/charts.mjs (vega is ESM-only, so it runs as a script of its own). */
export function drawCharts(resultsPath: string, outDir: string, root = process.cwd()): void {
  execFileSync(process.execPath, [join(root, 'bench/charts.mjs'), resultsPath, join(root, outDir)], { stdio: 'inherit' });
}

/** Puts `content` between the markers, or inserts the markers at `insertAt` when the doc has none yet. */
function replaceRegion(doc: string, start: string, end: string, content: string, insertAt: (doc: string) => number): string {
  const region = `${start}\n${content}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from >= 0 && to > from) return `${doc.slice(0, from)}${region}${doc.slice(to + end.length)}`;
  const at = insertAt(doc);
  return `${doc.slice(0, at).trimEnd()}\n\n${region}\n\n${doc.slice(at).trimStart()}`.trimEnd() + '\n';
}

function renderTargets(results: BenchResults, checks: TargetCheck[], reasons: Map<string, string>): string {
  const { machine } = results;
  const lines = [
    `_Measured by \`npm run bench\` on ${machine.date.slice(0, 16).replace('T', ' ')} UTC, commit \`${machine.commit.slice(0, 12)}\`${machine.dirty ? ' with uncommitted changes' : ''}; ` +
      'each figure and the bare pipe’s come from the same run. Every figure is defined under “How it measures”; the full results are at the end of this page._',
    '',
    table(
      ['Figure', 'Target', 'Measured', 'Pipe, same run', 'Met'],
      checks.map((check) => [check.figure, check.target, check.measured, check.pipe, check.met ? 'met' : '**missed**']),
    ),
  ];
  const missed = checks.filter((check) => !check.met);
  if (missed.length > 0) {
    lines.push('', 'Missed, with the figures of the same run that bear on each; the reason after “Why:” is written by hand and kept across runs:', '');
    for (const check of missed) {
      lines.push(`- **${check.figure}**: ${check.measured} (target ${check.target}). ${check.context.charAt(0).toUpperCase()}${check.context.slice(1)}. Why: <!-- why:${check.id} -->${reasons.get(check.id) ?? ''}<!-- /why -->`);
    }
  }
  return lines.join('\n');
}

function renderResults(results: BenchResults, otherTargets: TargetCheck[]): string {
  const { machine, ttft, passThrough, concurrency, keyEndpoint, scaling } = results;
  const { gateway: apiMemory, pipe: pipeMemory } = concurrency.memory;
  const lines: string[] = [];
  lines.push(
    `_Generated by \`npm run bench\` on ${machine.date.slice(0, 16).replace('T', ' ')} UTC in ${results.durationSeconds} s; raw figures in [bench/results/latest.json](../bench/results/latest.json)._`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.platform}; Node ${machine.node}; Redis ${machine.redis}; commit \`${machine.commit.slice(0, 12)}\`${machine.dirty ? ' with uncommitted changes' : ''}; load average ${machine.loadAverageAtStart} when the run began.`,
    '',
    '### Other targets',
    '',
    table(
      ['Figure', 'Target', 'Measured', 'Pipe, same run', 'Met'],
      otherTargets.map((check) => [check.figure, check.target, check.measured, check.pipe, check.met ? 'met' : '**missed**']),
    ),
    '',
    `### (a) Time to first token, one stream at a time (${ttft.requestsPerTarget} requests per target)`,
    '',
    '![Added time to first token, p50 and p99, per transport](_static/bench-ttft.svg)',
    '',
    table(
      ['Target', 'p50', 'p99', 'p99.9', 'added p50', 'added p99', 'hop CPU per stream', 'failed'],
      Object.entries(ttft.ttft).map(([name, p]) => {
        const added = name === 'direct' ? undefined : ttft.added[name as keyof typeof ttft.added];
        const cpu = ttft.hopCpuMicrosPerStream[name as keyof typeof ttft.hopCpuMicrosPerStream];
        return [
          name,
          ms(p.p50),
          ms(p.p99),
          ms(p.p999),
          added ? ms(added.p50) : '—',
          added ? ms(added.p99) : '—',
          cpu === undefined ? '—' : micros(cpu),
          String(ttft.failures[name as keyof typeof ttft.failures]),
        ];
      }),
    ),
    '',
    `Hop CPU: CPU time of the pipe or the API per ${ttft.chunksPerStream}-chunk stream. Machine ${ttft.machineBusyPercent} % busy during the measured rounds.`,
    '',
    `### (b) Pass-through`,
    '',
    `${passThrough.burst.chunks} chunks back to back, ${passThrough.burst.streamsPerTarget} streams per target (medians):`,
    '',
    table(
      ['Target', 'request → last chunk', 'chunks/s', '÷ direct', 'failed'],
      Object.entries(passThrough.burst.chunksPerSecond).map(([name, rate]) => [
        name,
        ms(passThrough.burst.durationMs[name as keyof typeof passThrough.burst.durationMs]),
        String(rate),
        name === 'direct' ? '—' : passThrough.burst.ratioToDirect[name as keyof typeof passThrough.burst.ratioToDirect].toFixed(2),
        String(passThrough.burst.failures[name as keyof typeof passThrough.burst.failures]),
      ]),
    ),
    '',
    `${passThrough.paced.chunks} chunks paced at ${passThrough.paced.paceMs} ms, ${passThrough.paced.streamsPerTarget} streams per target (gaps between received chunks):`,
    '',
    table(
      ['Target', 'gap p50', 'gap p99', 'gap max', 'added p99', 'received', 'merged'],
      Object.entries(passThrough.paced.gaps).map(([name, p]) => [
        name,
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        name === 'direct' ? '—' : ms(passThrough.paced.addedGapP99[name as keyof typeof passThrough.paced.addedGapP99]),
        `${passThrough.paced.chunksReceived[name as keyof typeof passThrough.paced.chunksReceived]}/${passThrough.paced.chunksSent}`,
        String(passThrough.paced.merged[name as keyof typeof passThrough.paced.merged]),
      ]),
    ),
    '',
    `### (c) Concurrent paced streams on one instance (socket.io, one socket per stream)`,
    '',
    `Each stream: ${concurrency.chunksPerStream} chunks at ${concurrency.paceMs} ms; starts spread over ${concurrency.rampMs} ms; ${concurrency.rounds} rounds per target and rung, merged. ` +
      `Bunched: a chunk that arrived less than ${concurrency.bunchedBelowMs} ms after the previous one of its stream. ` +
      `Hop CPU: the pipe's or the API's CPU time over the run ÷ the chunks delivered (stream set-up included).`,
    '',
    '![Received gap p50 and added TTFT p99 against paced streams, direct, pipe and gateway](_static/bench-capacity.svg)',
    '',
    rungTable(concurrency.rungs),
    '',
    `Capacity (largest rung kept pace at, every lower rung too: gap p50 within ${CAPACITY_GAP_TOLERANCE_MS} ms of direct's, no chunk lost, no stream failed): ` +
      `gateway-socket ${capacityText(concurrency.capacity['gateway-socket'], concurrency.rungs)}, pipe ${capacityText(concurrency.capacity.pipe, concurrency.rungs)}.`,
    '',
    `Memory per streaming socket, on a process started for the measurement: ${apiMemory.warmUpStreams} warm-up streams, their sockets closed, a full GC, then RSS as the baseline; ` +
      `${apiMemory.streams} clients connect and each streams once (as above); the highest RSS sampled every 50 ms while they stream, minus the baseline, ÷ ${apiMemory.streams}. ` +
      `"Held" is what stays after a full GC while every stream is live (heap used and buffers outside the heap, minus the same at the baseline, ÷ ${apiMemory.streams}): RSS also counts the young generation V8 grows under a high allocation rate, which the next scavenge empties.`,
    '',
    table(
      ['Process', 'baseline RSS', `RSS, ${apiMemory.streams} connected`, 'peak RSS, streaming', 'per connected socket', 'per streaming socket', 'held per streaming socket', 'V8 heap used / reserved, baseline → mid-run', 'buffers outside the heap', 'lost chunks / failed streams'],
      [
        { name: 'API', memory: apiMemory, connected: mib(apiMemory.connectedRssMiB), perConnected: `${apiMemory.kibPerConnectedSocket} KiB` },
        { name: 'pipe', memory: pipeMemory, connected: '— (HTTP: none held)', perConnected: '—' },
      ].map(({ name, memory, connected, perConnected }) => [
        name,
        mib(memory.baselineRssMiB),
        connected,
        mib(memory.peakRssMiB),
        perConnected,
        `${memory.kibPerStreamingSocket} KiB`,
        `${memory.retainedKibPerStreamingSocket} KiB`,
        `${memory.baseline.heapUsedMiB} / ${memory.baseline.heapTotalMiB} → ${memory.midRun.heapUsedMiB} / ${memory.midRun.heapTotalMiB} MiB`,
        `${memory.baseline.externalMiB} → ${memory.midRun.externalMiB} MiB`,
        `${memory.lostChunks} / ${memory.failedStreams}`,
      ]),
    ),
    '',
    `### (d) Key listing with a Redis-backed session (autocannon, ${keyEndpoint.connections} connections, ${keyEndpoint.rounds} × ${keyEndpoint.durationSeconds} s alternating)`,
    '',
    table(
      ['Route', 'req/s', 'latency p50', 'latency p99', 'API CPU per request', 'non-2xx', 'errors'],
      [keyEndpoint.health, keyEndpoint.keys].map((run) => [
        run.path,
        String(run.requestsPerSecond),
        ms(run.latencyP50Ms),
        ms(run.latencyP99Ms),
        micros(run.apiCpuMicrosPerRequest),
        String(run.non2xx),
        String(run.errors),
      ]),
    ),
    '',
    `Key listing: ${pct(keyEndpoint.share)} of the bare route.`,
    '',
    `### (e) Two instances behind a round-robin TCP balancer, one Redis`,
    '',
    rungTable(scaling.rungs),
    '',
    table(
      ['Behind the balancer', 'key listing req/s', 'bare route req/s', 'latency p99'],
      [
        ['1 instance', String(scaling.keyEndpoint.one.keys.requestsPerSecond), String(scaling.keyEndpoint.one.health.requestsPerSecond), ms(scaling.keyEndpoint.one.keys.latencyP99Ms)],
        ['2 instances', String(scaling.keyEndpoint.two.keys.requestsPerSecond), String(scaling.keyEndpoint.two.health.requestsPerSecond), ms(scaling.keyEndpoint.two.keys.latencyP99Ms)],
      ],
    ),
    '',
    `Scaling factor (key listing): ${scaling.keyEndpoint.factor.toFixed(2)}×.`,
    '',
    `### (f) A ${results.render.runs[0]?.tokens ?? '?'}-token markdown answer in the web app (Chromium, ${results.render.tokensPerSecond} tokens/s)`,
    '',
    'The production web build, served by the API, streams one answer of headings, lists, tables and code blocks from the fake upstream over the socket. ' +
      `In the page: long tasks (PerformanceObserver, over ${results.render.longTaskMs} ms), animation frames, and each visible change of the answer (MutationObserver), from Send until the answer is complete.`,
    '',
    table(
      ['Build', 'tasks over 50 ms (longest)', 'total blocking', 'main thread busy (script)', 'frames/s', 'frame gap p99 / max', 'updates', 'update gap p99 / max', 'last token → on screen', 'answer time / pacing'],
      results.render.runs.map((run) => [
        run.build,
        `${run.longTasks.overBudget} (${ms(run.longTasks.maxMs)})`,
        ms(run.longTasks.totalBlockingMs),
        `${ms(run.mainThread.busyMs)}, ${run.mainThread.busyPercent} % (${ms(run.mainThread.scriptMs)})`,
        String(run.frames.perSecond),
        `${ms(run.frames.gapP99Ms)} / ${ms(run.frames.gapMaxMs)}`,
        String(run.updates.count),
        `${ms(run.updates.gapP99Ms)} / ${ms(run.updates.gapMaxMs)}`,
        ms(run.finalRenderLagMs),
        `${ms(run.answerMs)} / ${ms(run.pacedMs)}`,
      ]),
    ),
  );
  return lines.join('\n');
}

function rungTable(rungs: RungSet[]): string {
  const rows: string[][] = [];
  for (const rung of rungs) {
    for (const run of rung.runs) {
      const added = rung.added[run.target];
      rows.push([
        String(rung.streams),
        run.target,
        `${ms(run.gaps.p50)} / ${ms(run.gaps.p99)}`,
        `${ms(run.ttft.p50)} / ${ms(run.ttft.p99)}`,
        added ? `${ms(added.ttftP50)} / ${ms(added.ttftP99)}` : '—',
        `${run.lostChunks} / ${run.failedStreams}`,
        `${run.bunched} (${share(run.bunched, run.gapCount)})`,
        run.hop ? `${run.hop.cpuPercent} % (${micros(run.hop.cpuMicrosPerChunk)}/chunk)` : '—',
        run.hop ? `${ms(run.hop.loopDelayP99Ms)} / ${ms(run.hop.loopDelayMaxMs)}` : '—',
        run.hop ? mib(run.hop.peakRssMiB) : '—',
        run.client ? `${ms(run.client.p99Ms)} / ${ms(run.client.maxMs)}` : '—',
        `${run.machineBusyPercent} %`,
      ]);
    }
  }
  return table(
    [
      'Streams',
      'Target',
      'gap p50 / p99',
      'TTFT p50 / p99',
      'added TTFT p50 / p99',
      'lost chunks / failed streams',
      'bunched',
      'hop CPU',
      'hop loop delay p99 / max',
      'hop peak RSS',
      'bench loop delay p99 / max',
      'machine busy',
    ],
    rows,
  );
}

type HopRun = RungRun & { hop: HopFigures };

/** The runs of direct, the pipe and the gateway at one rung of the (c) ladder, and their figures against direct. */
interface LadderRung {
  streams: number;
  direct: RungRun;
  pipe: HopRun;
  gateway: HopRun;
  added: Added;
  pipeAdded: Added;
}

function rungAt(rungs: RungSet[], streams: number): LadderRung | undefined {
  const rung = rungs.find((candidate) => candidate.streams === streams);
  const find = (target: string): RungRun | undefined => rung?.runs.find((run) => run.target === target);
  const direct = find('direct');
  const pipe = find('pipe');
  const gateway = find('gateway-socket');
  if (!rung || !direct || !hasHop(pipe) || !hasHop(gateway)) return undefined;
  return { streams, direct, pipe, gateway, added: rung.added['gateway-socket'], pipeAdded: rung.added.pipe };
}

function hasHop(run: RungRun | undefined): run is HopRun {
  return run?.hop !== undefined;
}

/** What the memory grew by between the baseline and the moment every stream was live. */
function growth(memory: StreamMemory): string {
  const delta = (pick: (breakdown: StreamMemory['baseline']) => number): string => `${(pick(memory.midRun) - pick(memory.baseline)).toFixed(1)} MiB`;
  return (
    `from the baseline to mid-run: RSS +${delta((at) => at.rssMiB)}, V8 heap reserved +${delta((at) => at.heapTotalMiB)} (used +${delta((at) => at.heapUsedMiB)}), ` +
    `buffers outside the heap +${delta((at) => at.externalMiB)}`
  );
}

function capacityText(capacity: Capacity, rungs: RungSet[]): string {
  if (capacity.streams === 0) return `< ${Math.min(...rungs.map((rung) => rung.streams))} streams`;
  return `${capacity.streams} streams${capacity.firstMissed === null ? ' (every rung)' : ''}`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function ms(value: number): string {
  return `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} ms`;
}

function micros(value: number): string {
  return `${Math.round(value)} µs`;
}

function mib(value: number): string {
  return `${value} MiB`;
}

function share(part: number, whole: number): string {
  return `${((part / Math.max(1, whole)) * 100).toFixed(2)} %`;
}

function pct(value: number): string {
  return `${(value * 100).toFixed(0)} %`;
}
