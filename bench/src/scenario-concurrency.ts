import { performance } from 'node:perf_hooks';
import { Latency, type Percentiles, round } from './histogram';
import { busyPercentBetween, machineTicks } from './machine';
import type { ProbedProcess } from './processes';
import type { StreamTrace } from './streams';
import { gapsOf, sameChunks, ttftOf, type Upstream } from './targets';

export const PACED_CHUNKS = 100;
export const PACE_MS = 20;
/** Stream starts are spread over this long, as users arrive; every stream is running at its end. */
export const RAMP_MS = 1000;
/** A chunk is bunched when it arrives less than this after the one before it in its stream, although the upstream sent them PACE_MS apart. */
export const BUNCHED_BELOW_MS = PACE_MS / 2;
/** A rung counts towards capacity while the received gap p50 stays this close to direct's at the same rung. */
export const CAPACITY_GAP_TOLERANCE_MS = 1;
/** Often enough to catch the peak while every stream of a rung runs (about RAMP_MS long). */
const RSS_SAMPLE_MS = 50;

/** What the hop's process(es) did during one run, summed over processes (two API instances count as one hop). */
interface HopSample {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  peakRssBytes: number;
  cpuMicros: number;
}

/** The hop's figures for a rung, over all its rounds. */
export interface HopFigures {
  /** Worst over the rounds. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  peakRssMiB: number;
  /** CPU time over wall time; 100 % is one core. */
  cpuPercent: number;
  /** CPU time ÷ content chunks delivered to the client (stream set-up included), in µs. */
  cpuMicrosPerChunk: number;
}

/** One run of a rung: histograms kept so that rounds can be merged. */
export interface RungSample {
  target: string;
  streams: number;
  ttft: Latency;
  gaps: Latency;
  lostChunks: number;
  failedStreams: number;
  bunched: number;
  /** Content chunks the client received. */
  delivered: number;
  wallMs: number;
  /** Why streams failed, counted by reason. */
  failureReasons: Record<string, number>;
  hop?: HopSample;
  /** The bench process's own loop delay during the run. */
  client?: { p99Ms: number; maxMs: number };
  /** Share of all cores busy during the run (every process on the machine, ours included). */
  machineBusyPercent: number;
}

/** A rung's runs merged over rounds, as reported. */
export interface RungRun {
  target: string;
  streams: number;
  rounds: number;
  ttft: Percentiles;
  gaps: Percentiles;
  lostChunks: number;
  failedStreams: number;
  /** Chunks that arrived less than BUNCHED_BELOW_MS after the previous one of their stream. */
  bunched: number;
  /** Gaps measured (every chunk but each stream's first), the denominator of the bunched share. */
  gapCount: number;
  delivered: number;
  failureReasons: Record<string, number>;
  /** The pipe's or the API's own figures; none for direct. */
  hop?: HopFigures;
  client?: { p99Ms: number; maxMs: number };
  machineBusyPercent: number;
}

export type Added = ReturnType<typeof addedAgainst>;

export interface RungSet {
  streams: number;
  runs: RungRun[];
  /** Each target's figures minus direct's at the same rung. */
  added: Record<string, Added>;
}

/** Runs `streams` paced streams through `start`, their starts spread over the ramp; `hops` are the processes in between. */
export async function runRung(
  target: string,
  streams: number,
  upstream: Upstream,
  start: (index: number) => Promise<StreamTrace>,
  hops: ProbedProcess[] = [],
): Promise<RungSample> {
  const expected = await upstream.configure({ chunkCount: PACED_CHUNKS, chunkDelayMs: PACE_MS });
  await Promise.all(hops.map((hop) => hop.resetLoopDelay()));
  const rssOfHops = (): number => hops.reduce((sum, hop) => sum + hop.rssBytes(), 0);
  let peakRss = rssOfHops();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssOfHops());
  }, RSS_SAMPLE_MS);
  const cpuBefore = await cpuOf(hops);
  const ticksBefore = machineTicks();
  const began = performance.now();
  const traces = await Promise.all(
    Array.from(
      { length: streams },
      (_, index) =>
        new Promise<StreamTrace>((resolve) => {
          setTimeout(() => resolve(start(index)), (index * RAMP_MS) / streams);
        }),
    ),
  );
  const wallMs = performance.now() - began;
  const machineBusyPercent = busyPercentBetween(ticksBefore, machineTicks());
  const cpuMicros = (await cpuOf(hops)) - cpuBefore;
  clearInterval(sampler);

  const ttft = new Latency();
  const gaps = new Latency();
  let lostChunks = 0;
  let failedStreams = 0;
  let bunched = 0;
  let delivered = 0;
  const failureReasons: Record<string, number> = {};
  for (const trace of traces) {
    delivered += trace.texts.length;
    const first = ttftOf(trace);
    if (first !== null) ttft.recordMs(first);
    for (const gap of gapsOf(trace)) {
      gaps.recordMs(gap);
      if (gap < BUNCHED_BELOW_MS) bunched += 1;
    }
    lostChunks += Math.max(0, expected.length - trace.texts.length);
    if (trace.outcome !== 'done' || !sameChunks(trace, expected)) {
      failedStreams += 1;
      const reason = trace.outcome === 'done' ? 'chunks differ' : (trace.error ?? 'unknown');
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
    }
  }
  const run: RungSample = { target, streams, ttft, gaps, lostChunks, failedStreams, bunched, delivered, wallMs, failureReasons, machineBusyPercent };
  if (hops.length > 0) {
    const delays = await Promise.all(hops.map((hop) => hop.loopDelay()));
    run.hop = {
      loopDelayP99Ms: Math.max(...delays.map((delay) => delay.p99Ms)),
      loopDelayMaxMs: Math.max(...delays.map((delay) => delay.maxMs)),
      peakRssBytes: peakRss,
      cpuMicros,
    };
  }
  return run;
}

async function cpuOf(hops: ProbedProcess[]): Promise<number> {
  const readings = await Promise.all(hops.map((hop) => hop.cpuMicros()));
  return readings.reduce((sum, reading) => sum + reading, 0);
}

export function mergeRounds(samples: RungSample[]): RungRun {
  const ttft = new Latency();
  const gaps = new Latency();
  for (const sample of samples) {
    ttft.add(sample.ttft);
    gaps.add(sample.gaps);
  }
  const sum = (pick: (sample: RungSample) => number): number => samples.reduce((total, sample) => total + pick(sample), 0);
  const run: RungRun = {
    target: samples[0].target,
    streams: samples[0].streams,
    rounds: samples.length,
    ttft: ttft.percentiles(),
    gaps: gaps.percentiles(),
    lostChunks: sum((sample) => sample.lostChunks),
    failedStreams: sum((sample) => sample.failedStreams),
    bunched: sum((sample) => sample.bunched),
    gapCount: gaps.count,
    delivered: sum((sample) => sample.delivered),
    failureReasons: samples.reduce<Record<string, number>>((all, sample) => {
      for (const [reason, count] of Object.entries(sample.failureReasons)) all[reason] = (all[reason] ?? 0) + count;
      return all;
    }, {}),
    machineBusyPercent: round(sum((sample) => sample.machineBusyPercent) / samples.length, 1),
  };
  const withHop = samples.flatMap((sample) => (sample.hop ? [{ hop: sample.hop, sample }] : []));
  if (withHop.length > 0) {
    const cpuMicros = withHop.reduce((total, { hop }) => total + hop.cpuMicros, 0);
    const wallMs = withHop.reduce((total, { sample }) => total + sample.wallMs, 0);
    const delivered = withHop.reduce((total, { sample }) => total + sample.delivered, 0);
    run.hop = {
      loopDelayP99Ms: round(Math.max(...withHop.map(({ hop }) => hop.loopDelayP99Ms))),
      loopDelayMaxMs: round(Math.max(...withHop.map(({ hop }) => hop.loopDelayMaxMs))),
      peakRssMiB: round(Math.max(...withHop.map(({ hop }) => hop.peakRssBytes)) / 2 ** 20, 1),
      cpuPercent: round(cpuMicros / 1000 / wallMs * 100, 1),
      cpuMicrosPerChunk: round(cpuMicros / Math.max(1, delivered), 1),
    };
  }
  const clients = samples.flatMap((sample) => (sample.client ? [sample.client] : []));
  if (clients.length > 0) {
    run.client = { p99Ms: Math.max(...clients.map((client) => client.p99Ms)), maxMs: Math.max(...clients.map((client) => client.maxMs)) };
  }
  return run;
}

/** Per-stream figures of a rung against direct at the same rung. */
export function addedAgainst(run: RungRun, direct: RungRun): { ttftP99: number; gapP99: number; ttftP50: number; gapP50: number } {
  return {
    ttftP50: round(run.ttft.p50 - direct.ttft.p50),
    ttftP99: round(run.ttft.p99 - direct.ttft.p99),
    gapP50: round(run.gaps.p50 - direct.gaps.p50),
    gapP99: round(run.gaps.p99 - direct.gaps.p99),
  };
}

/** Whether `target` kept pace at this rung: received gap p50 within CAPACITY_GAP_TOLERANCE_MS of direct's, nothing lost, no stream failed. */
export function keepsPace(rung: RungSet, target: string): boolean {
  const run = rung.runs.find((candidate) => candidate.target === target);
  const added = rung.added[target];
  return run !== undefined && added !== undefined && Math.abs(added.gapP50) <= CAPACITY_GAP_TOLERANCE_MS && run.lostChunks === 0 && run.failedStreams === 0;
}

export interface Capacity {
  /** The largest rung that `target` kept pace at, every lower rung included; 0 when the lowest rung already missed. */
  streams: number;
  /** The first rung it missed; null when it kept pace on every rung run, so its capacity may lie above the ladder. */
  firstMissed: number | null;
}

/** Rungs are climbed in order and the first miss ends the climb: a pass above a miss is noise, not capacity. */
export function capacityOf(rungs: RungSet[], target: string): Capacity {
  let streams = 0;
  for (const rung of [...rungs].sort((a, b) => a.streams - b.streams)) {
    if (!keepsPace(rung, target)) return { streams, firstMissed: rung.streams };
    streams = rung.streams;
  }
  return { streams, firstMissed: null };
}
