import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from './ipc';

/**
 * Preloaded into the API process by the benchmark only (node --require), so production code
 * exposes nothing: samples the event loop's delay and answers the bench over IPC.
 */
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

serve({
  reset: () => delay.reset(),
  read: () => ({
    p50Ms: delay.percentile(50) / 1e6,
    p99Ms: delay.percentile(99) / 1e6,
    maxMs: delay.max / 1e6,
    meanMs: delay.mean / 1e6,
  }),
  // A normal exit, so that --cpu-prof can write its profile.
  exit: () => setImmediate(() => process.exit(0)),
});
process.channel?.unref();
