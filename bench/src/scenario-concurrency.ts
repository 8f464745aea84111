import { performance } from 'node:perf_hooks';
import { Latency, type Percentiles, round } from './histogram';
import { machineTicks } from './machine';
import type { ApiProcess } from './processes';
import type { StreamTrace } from './streams';
import { gapsOf, sameChunks, ttftOf, type Upstream } from './targets';

export const PACED_CHUNKS = 100;
export const PACE_MS = 20;
/** Stream starts are spread over this long, as users arrive; every stream is running at its end. */
const RAMP_MS = 1000;

interface ApiFigures {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** (peak RSS during the run − RSS before it) ÷ streams. */
  memoryPerStreamKiB: number;
  peakRssMiB: number;
  /** CPU time of the API process(es) over the run's wall time; 100 % is one core. */
  cpuPercent: number;
  /** API CPU time per chunk delivered (stream set-up included), in µs. */
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
  /** Why streams failed, counted by reason. */
  failureReasons: Record<string, number>;
  api?: ApiFigures;
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
  /** Chunks that arrived less than half a pace after the previous one (paced chunks bunched together). */
  bunched: number;
  failureReasons: Record<string, number>;
  /** Worst loop delay and the mean of the other API figures over the rounds. */
  api?: ApiFigures;
  client?: { p99Ms: number; maxMs: number };
  machineBusyPercent: number;
}

/** Runs `streams` paced streams through `start`, their starts spread over the ramp. */
export async function runRung(
  target: string,
  streams: number,
  upstream: Upstream,
  start: (index: number) => Promise<StreamTrace>,
  apis: ApiProcess[] = [],
): Promise<RungSample> {
  const expected = await upstream.configure({ chunkCount: PACED_CHUNKS, chunkDelayMs: PACE_MS });
  await Promise.all(apis.map((api) => api.resetLoopDelay()));
  const rssBefore = apis.reduce((sum, api) => sum + api.rssBytes(), 0);
  const cpuBefore = apis.reduce((sum, api) => sum + api.cpuMs(), 0);
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, apis.reduce((sum, api) => sum + api.rssBytes(), 0));
  }, 100);
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
  const ticksAfter = machineTicks();
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
      if (gap < PACE_MS / 2) bunched += 1;
    }
    lostChunks += Math.max(0, expected.length - trace.texts.length);
    if (trace.outcome !== 'done' || !sameChunks(trace, expected)) {
      failedStreams += 1;
      const reason = trace.outcome === 'done' ? 'chunks differ' : (trace.error ?? 'unknown');
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
    }
  }
  const machineBusyPercent = round(((ticksAfter.busy - ticksBefore.busy) / Math.max(1, ticksAfter.total - ticksBefore.total)) * 100, 1);
  const run: RungSample = { target, streams, ttft, gaps, lostChunks, failedStreams, bunched, failureReasons, machineBusyPercent };
  if (apis.length > 0) {
    const delays = await Promise.all(apis.map((api) => api.loopDelay()));
    const cpuAfter = apis.reduce((sum, api) => sum + api.cpuMs(), 0);
    run.api = {
      loopDelayP99Ms: round(Math.max(...delays.map((delay) => delay.p99Ms))),
      loopDelayMaxMs: round(Math.max(...delays.map((delay) => delay.maxMs))),
      memoryPerStreamKiB: round((peakRss - rssBefore) / streams / 1024, 1),
      peakRssMiB: round(peakRss / 2 ** 20, 1),
      cpuPercent: round(((cpuAfter - cpuBefore) / wallMs) * 100, 1),
      cpuMicrosPerChunk: Math.round(((cpuAfter - cpuBefore) * 1000) / Math.max(1, delivered)),
    };
  }
  return run;
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
    failureReasons: samples.reduce<Record<string, number>>((all, sample) => {
      for (const [reason, count] of Object.entries(sample.failureReasons)) all[reason] = (all[reason] ?? 0) + count;
      return all;
    }, {}),
    machineBusyPercent: round(sum((sample) => sample.machineBusyPercent) / samples.length, 1),
  };
  const withApi = samples.flatMap((sample) => (sample.api ? [sample.api] : []));
  if (withApi.length > 0) {
    const mean = (pick: (api: ApiFigures) => number): number => round(withApi.reduce((total, api) => total + pick(api), 0) / withApi.length, 1);
    run.api = {
      loopDelayP99Ms: Math.max(...withApi.map((api) => api.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...withApi.map((api) => api.loopDelayMaxMs)),
      memoryPerStreamKiB: mean((api) => api.memoryPerStreamKiB),
      peakRssMiB: Math.max(...withApi.map((api) => api.peakRssMiB)),
      cpuPercent: mean((api) => api.cpuPercent),
      cpuMicrosPerChunk: Math.round(mean((api) => api.cpuMicrosPerChunk)),
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
