import { round } from './histogram';
import type { ProbedProcess } from './processes';
import { RAMP_MS, runRung } from './scenario-concurrency';
import type { StreamTrace } from './streams';
import type { Upstream } from './targets';

export const MEMORY_STREAMS = 256;
/** Enough streams to load and optimise every code path once, so that one-time costs are not billed per socket. */
const WARM_UP_STREAMS = 16;
/** Lets closed sockets be torn down before the collection that precedes the baseline. */
const SETTLE_MS = 500;
/** After the ramp, before the first stream ends (each lasts about 2 s): every stream is live. */
const MID_RUN_MS = RAMP_MS + 300;

/** Clients of the measured process: how each starts a stream, and how they let go of it. */
export interface MemoryClients {
  start(index: number): Promise<StreamTrace>;
  /** Absent for HTTP clients, which hold no connection of their own. */
  close?(): void;
}

/** Where the process's memory is, in MiB: RSS, V8's heap (reserved and used), buffers outside it. */
export interface MemoryBreakdown {
  rssMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface StreamMemory {
  streams: number;
  warmUpStreams: number;
  /** RSS after the warm-up, its clients closed and a full collection, before the measured clients connect. */
  baselineRssMiB: number;
  /** RSS once the measured clients are connected, before any streams. */
  connectedRssMiB: number;
  /** Highest RSS sampled (every 50 ms) while the streams ran. */
  peakRssMiB: number;
  /** (peak − baseline) ÷ streams. */
  kibPerStreamingSocket: number;
  /** (connected − baseline) ÷ streams; only meaningful for clients that hold a connection between streams. */
  kibPerConnectedSocket: number;
  /** At the baseline and once while every stream is live: what the growth is made of. */
  baseline: MemoryBreakdown;
  midRun: MemoryBreakdown;
  /** While every stream is live, right after a full collection: what the streams hold, without their garbage. */
  midRunAfterGc: MemoryBreakdown;
  /** (heap used + buffers outside the heap, mid-run after a full collection − the same at the baseline) ÷ streams. */
  retainedKibPerStreamingSocket: number;
  lostChunks: number;
  failedStreams: number;
}

/**
 * Memory per streaming socket on a process started for this measurement only: the ladder's
 * process has been grown by earlier rungs, and RSS rarely shrinks, so its growth during one
 * rung says more about the rungs before it than about the streams of that rung.
 */
export async function measureStreamMemory(
  hop: ProbedProcess,
  upstream: Upstream,
  open: (count: number) => Promise<MemoryClients>,
  streams = MEMORY_STREAMS,
): Promise<StreamMemory> {
  const warmUp = await open(WARM_UP_STREAMS);
  await runRung('warm-up', WARM_UP_STREAMS, upstream, (index) => warmUp.start(index));
  warmUp.close?.();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await hop.collectGarbage();
  const baseline = hop.rssBytes();
  const baselineUsage = await hop.memoryUsage();
  const clients = await open(streams);
  const connected = hop.rssBytes();
  const midRunUsage = new Promise((resolve) => setTimeout(resolve, MID_RUN_MS)).then(async () => {
    const usage = await hop.memoryUsage();
    // Then collect: RSS and heap while streaming include young garbage the next scavenge frees.
    await hop.collectGarbage();
    return { usage, afterGc: await hop.memoryUsage() };
  });
  const run = await runRung('memory', streams, upstream, (index) => clients.start(index), [hop]);
  clients.close?.();
  const peak = Math.max(connected, run.hop?.peakRssBytes ?? 0);
  const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
  const midRun = await midRunUsage;
  const held = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.external;
  return {
    streams,
    warmUpStreams: WARM_UP_STREAMS,
    baselineRssMiB: mib(baseline),
    connectedRssMiB: mib(connected),
    peakRssMiB: mib(peak),
    kibPerStreamingSocket: round((peak - baseline) / streams / 1024, 1),
    kibPerConnectedSocket: round((connected - baseline) / streams / 1024, 1),
    baseline: breakdown(baselineUsage),
    midRun: breakdown(midRun.usage),
    midRunAfterGc: breakdown(midRun.afterGc),
    retainedKibPerStreamingSocket: round((held(midRun.afterGc) - held(baselineUsage)) / streams / 1024, 1),
    lostChunks: run.lostChunks,
    failedStreams: run.failedStreams,
  };
}

function breakdown(usage: NodeJS.MemoryUsage): MemoryBreakdown {
  const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
  return { rssMiB: mib(usage.rss), heapTotalMiB: mib(usage.heapTotal), heapUsedMiB: mib(usage.heapUsed), externalMiB: mib(usage.external) };
}
