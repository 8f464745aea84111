import { Latency, type Percentiles, round } from './histogram';
import { gapsOf, rotation, sameChunks, type Target, type TargetName, type Upstream } from './targets';

export interface PassThroughResult {
  burst: {
    chunks: number;
    streamsPerTarget: number;
    /** Median over streams of chunks ÷ (last chunk − request), in chunks per second. */
    chunksPerSecond: Record<TargetName, number>;
    /** Median over streams of request → last chunk, in ms. */
    durationMs: Record<TargetName, number>;
    ratioToDirect: Record<Exclude<TargetName, 'direct'>, number>;
    failures: Record<TargetName, number>;
  };
  paced: {
    chunks: number;
    paceMs: number;
    streamsPerTarget: number;
    gaps: Record<TargetName, Percentiles>;
    addedGapP99: Record<Exclude<TargetName, 'direct'>, number>;
    chunksSent: number;
    chunksReceived: Record<TargetName, number>;
    /** Chunks that arrived less than half a pace after the one before (merged or bunched). */
    merged: Record<TargetName, number>;
  };
}

const BURST_CHUNKS = 256;
const BURST_ROUNDS = 10;
const BURST_PER_ROUND = 5;
const PACED_CHUNKS = 64;
const PACE_MS = 20;
const PACED_ROUNDS = 4;

/** (b) Chunks passed through as fast as they come, then paced: does the gateway keep up, and keep them apart? */
export async function measurePassThrough(upstream: Upstream, targets: Target[]): Promise<PassThroughResult> {
  const names = targets.map((target) => target.name);
  const zero = (): Record<TargetName, number> => Object.fromEntries(names.map((name) => [name, 0])) as Record<TargetName, number>;

  const burstExpected = await upstream.configure({ chunkCount: BURST_CHUNKS, chunkDelayMs: 0 });
  for (const target of targets) for (let index = 0; index < 20; index += 1) await target.run();
  const rates = new Map<TargetName, number[]>(names.map((name) => [name, []]));
  const durations = new Map<TargetName, number[]>(names.map((name) => [name, []]));
  const burstFailures = zero();
  for (let roundIndex = 0; roundIndex < BURST_ROUNDS; roundIndex += 1) {
    for (const target of rotation(targets, roundIndex)) {
      for (let index = 0; index < BURST_PER_ROUND; index += 1) {
        const trace = await target.run();
        if (trace.outcome !== 'done' || !sameChunks(trace, burstExpected)) {
          burstFailures[target.name] += 1;
          continue;
        }
        const duration = trace.arrivals[trace.arrivals.length - 1] - trace.startedAt;
        durations.get(target.name)?.push(duration);
        rates.get(target.name)?.push((BURST_CHUNKS / duration) * 1000);
      }
    }
  }
  const chunksPerSecond = Object.fromEntries(names.map((name) => [name, Math.round(median(rates.get(name) ?? []))])) as Record<TargetName, number>;
  const durationMs = Object.fromEntries(names.map((name) => [name, round(median(durations.get(name) ?? []))])) as Record<TargetName, number>;
  const ratioToDirect = {} as PassThroughResult['burst']['ratioToDirect'];
  for (const name of names) if (name !== 'direct') ratioToDirect[name] = round(chunksPerSecond[name] / chunksPerSecond.direct);

  const pacedExpected = await upstream.configure({ chunkCount: PACED_CHUNKS, chunkDelayMs: PACE_MS });
  const gaps = new Map(names.map((name) => [name, new Latency()]));
  const received = zero();
  const merged = zero();
  for (let roundIndex = 0; roundIndex < PACED_ROUNDS; roundIndex += 1) {
    for (const target of rotation(targets, roundIndex)) {
      const trace = await target.run();
      received[target.name] += trace.texts.length;
      for (const gap of gapsOf(trace)) {
        gaps.get(target.name)?.recordMs(gap);
        if (gap < PACE_MS / 2) merged[target.name] += 1;
      }
      // A delta holding more than one upstream chunk is a merge even if it arrived on time.
      merged[target.name] += trace.texts.filter((text, index) => text !== pacedExpected[index]).length;
    }
  }
  const gapPercentiles = Object.fromEntries([...gaps].map(([name, histogram]) => [name, histogram.percentiles()])) as Record<TargetName, Percentiles>;
  const addedGapP99 = {} as PassThroughResult['paced']['addedGapP99'];
  for (const name of names) if (name !== 'direct') addedGapP99[name] = round(gapPercentiles[name].p99 - gapPercentiles.direct.p99);

  return {
    burst: { chunks: BURST_CHUNKS, streamsPerTarget: BURST_ROUNDS * BURST_PER_ROUND, chunksPerSecond, durationMs, ratioToDirect, failures: burstFailures },
    paced: {
      chunks: PACED_CHUNKS,
      paceMs: PACE_MS,
      streamsPerTarget: PACED_ROUNDS,
      gaps: gapPercentiles,
      addedGapP99,
      chunksSent: PACED_CHUNKS * PACED_ROUNDS,
      chunksReceived: received,
      merged,
    },
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
