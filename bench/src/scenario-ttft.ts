import { Latency, type Percentiles, round } from './histogram';
import { rotation, sameChunks, type Target, type TargetName, ttftOf, type Upstream } from './targets';

export interface TtftResult {
  requestsPerTarget: number;
  ttft: Record<TargetName, Percentiles>;
  /** Percentile of the target minus the same percentile of direct, in ms. */
  added: Record<Exclude<TargetName, 'direct'>, { p50: number; p99: number }>;
  failures: Record<TargetName, number>;
}

const WARM_UP = 200;
const ROUNDS = 10;
const PER_ROUND = 100;

/** (a) One stream at a time, the upstream answering at once: what each hop adds to the first token. */
export async function measureTtft(upstream: Upstream, targets: Target[]): Promise<TtftResult> {
  const expected = await upstream.configure({ chunkCount: 8, chunkDelayMs: 0 });
  for (const target of targets) {
    for (let index = 0; index < WARM_UP; index += 1) await target.run();
  }
  const histograms = new Map(targets.map((target) => [target.name, new Latency()]));
  const failures = Object.fromEntries(targets.map((target) => [target.name, 0])) as Record<TargetName, number>;
  for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex += 1) {
    for (const target of rotation(targets, roundIndex)) {
      for (let index = 0; index < PER_ROUND; index += 1) {
        const trace = await target.run();
        const ttft = ttftOf(trace);
        if (ttft === null || trace.outcome !== 'done' || !sameChunks(trace, expected)) failures[target.name] += 1;
        else histograms.get(target.name)?.recordMs(ttft);
      }
    }
  }
  const ttft = Object.fromEntries([...histograms].map(([name, histogram]) => [name, histogram.percentiles()])) as Record<TargetName, Percentiles>;
  const added = {} as TtftResult['added'];
  for (const target of targets) {
    if (target.name === 'direct') continue;
    added[target.name] = { p50: round(ttft[target.name].p50 - ttft.direct.p50), p99: round(ttft[target.name].p99 - ttft.direct.p99) };
  }
  return { requestsPerTarget: ROUNDS * PER_ROUND, ttft, added, failures };
}
