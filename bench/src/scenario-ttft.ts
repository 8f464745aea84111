import { Latency, type Percentiles, round } from './histogram';
import { busyPercentBetween, machineTicks } from './machine';
import { rotation, sameChunks, type Target, type TargetName, ttftOf, type Upstream } from './targets';

export interface TtftResult {
  requestsPerTarget: number;
  chunksPerStream: number;
  ttft: Record<TargetName, Percentiles>;
  /** Percentile of the target minus the same percentile of direct, in ms. */
  added: Record<Exclude<TargetName, 'direct'>, { p50: number; p99: number }>;
  failures: Record<TargetName, number>;
  /** CPU time of the target's hop (the pipe or the API) per stream, set-up and all its chunks, in µs. */
  hopCpuMicrosPerStream: Partial<Record<TargetName, number>>;
  /** Share of all cores busy during the measured rounds (every process on the machine). */
  machineBusyPercent: number;
}

const WARM_UP = 200;
const ROUNDS = 10;
const PER_ROUND = 100;
const CHUNKS = 8;

/** (a) One stream at a time, the upstream answering at once: what each hop adds to the first token. */
export async function measureTtft(upstream: Upstream, targets: Target[]): Promise<TtftResult> {
  const expected = await upstream.configure({ chunkCount: CHUNKS, chunkDelayMs: 0 });
  for (const target of targets) {
    for (let index = 0; index < WARM_UP; index += 1) await target.run();
  }
  const histograms = new Map(targets.map((target) => [target.name, new Latency()]));
  const failures = Object.fromEntries(targets.map((target) => [target.name, 0])) as Record<TargetName, number>;
  const hopCpuMicros = new Map<TargetName, number>();
  const ticksBefore = machineTicks();
  for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex += 1) {
    for (const target of rotation(targets, roundIndex)) {
      const cpuBefore = target.hop ? await target.hop.cpuMicros() : 0;
      for (let index = 0; index < PER_ROUND; index += 1) {
        const trace = await target.run();
        const ttft = ttftOf(trace);
        if (ttft === null || trace.outcome !== 'done' || !sameChunks(trace, expected)) failures[target.name] += 1;
        else histograms.get(target.name)?.recordMs(ttft);
      }
      if (target.hop) hopCpuMicros.set(target.name, (hopCpuMicros.get(target.name) ?? 0) + (await target.hop.cpuMicros()) - cpuBefore);
    }
  }
  const machineBusyPercent = busyPercentBetween(ticksBefore, machineTicks());
  const ttft = Object.fromEntries([...histograms].map(([name, histogram]) => [name, histogram.percentiles()])) as Record<TargetName, Percentiles>;
  const added = {} as TtftResult['added'];
  for (const target of targets) {
    if (target.name === 'direct') continue;
    added[target.name] = { p50: round(ttft[target.name].p50 - ttft.direct.p50), p99: round(ttft[target.name].p99 - ttft.direct.p99) };
  }
  const hopCpuMicrosPerStream = Object.fromEntries([...hopCpuMicros].map(([name, micros]) => [name, Math.round(micros / (ROUNDS * PER_ROUND))]));
  return { requestsPerTarget: ROUNDS * PER_ROUND, chunksPerStream: CHUNKS, ttft, added, failures, hopCpuMicrosPerStream, machineBusyPercent };
}
