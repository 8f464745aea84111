import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from './ipc';

/**
 * Preloaded by the benchmark only (node --require) into the API and into the pipe, so that both
 * are measured the same way and production code exposes nothing: samples the event loop's delay,
 * reads the process's own CPU time and answers the bench over IPC.
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
  // getrusage of the whole process (every thread: GC, libuv pool), in µs; /proc/<pid>/stat only counts 10 ms ticks.
  cpu: () => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  memory: () => process.memoryUsage(),
  // A baseline for memory figures taken after a full collection does not depend on when V8 last collected.
  gc: () => {
    if (!globalThis.gc) throw new Error('the process was started without --expose-gc');
    globalThis.gc();
  },
  // A normal exit, so that --cpu-prof can write its profile; nothing is returned, as an Immediate cannot cross IPC.
  exit: () => {
    setImmediate(() => process.exit(0));
  },
});
process.channel?.unref();
