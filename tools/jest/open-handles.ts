import { createHook } from 'node:async_hooks';
import { ChildProcess } from 'node:child_process';
import { Server, Socket } from 'node:net';

/** What these read of the global config Jest hands a global setup or teardown. */
export interface RunConfig {
  maxWorkers: number;
  watch: boolean;
  watchAll: boolean;
  detectOpenHandles: boolean;
}

/**
 * Jest's reporter redraws its status 100 ms after each test file ends, with a timer of its own
 * that is still pending when the global teardown starts. A timer of the same length started now
 * fires after it (Node runs timers of one length in the order they were set), so waiting this
 * long lets Jest's go and nothing of the tests' (a handle closed late has had many loop turns
 * to finish closing by then too).
 */
const JEST_STATUS_REDRAW_MS = 100;

/** Resource types that can hold the event loop (a TLS socket through its TCP one); requests (fs, DNS) end by themselves. */
const REPORTED = new Set([
  'Timeout', 'Immediate', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'PROCESSWRAP', 'UDPWRAP',
  'SIGNALWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'MESSAGEPORT',
]);
/** Closed resources kept to link what they started to its creator (a socket's close callback sets a reconnect timer). */
const RETIRED_KEPT = 10_000;
/** How far back a resource created by a library is followed to the code that started it. */
const CHAIN_KEPT = 8;

interface Trace {
  type: string;
  /** Captured at creation, formatted only when reported. */
  error: Error;
  /** What was running when this was created (a tick, a socket callback), for a stack with no line of ours. */
  parent: Trace | null;
  depth: number;
  resource: WeakRef<object>;
}

/** Shared by the global setup and teardown, which Jest loads as separate modules in one process. */
const TRACES = Symbol.for('byok.openHandleTraces');
type WithTraces = typeof globalThis & { [TRACES]?: Map<number, Trace> };

/**
 * Global setup: with --detectOpenHandles, records where each async resource is created (promises
 * aside), so the teardown can say where an open one came from. Jest's own report cannot: it
 * leaves out TCP and TLS sockets and whatever a library created on a later tick (an ioredis
 * client's reconnect timer), and it comes only after a teardown that did not throw.
 */
export function traceOpenHandles(config: RunConfig): void {
  if (!config.detectOpenHandles) return;
  const traces = new Map<number, Trace>();
  const retired = new Map<number, Trace>();
  (globalThis as WithTraces)[TRACES] = traces;
  createHook({
    init(asyncId, type, triggerAsyncId, resource) {
      if (type === 'PROMISE') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      const error = new Error(type);
      Error.stackTraceLimit = limit;
      const parent = traces.get(triggerAsyncId) ?? retired.get(triggerAsyncId) ?? null;
      const depth = parent && parent.depth < CHAIN_KEPT ? parent.depth + 1 : 0;
      traces.set(asyncId, { type, error, parent: depth > 0 ? parent : null, depth, resource: new WeakRef(resource) });
    },
    destroy(asyncId) {
      const trace = traces.get(asyncId);
      if (!trace) return;
      traces.delete(asyncId);
      retired.set(asyncId, trace);
      if (retired.size > RETIRED_KEPT) retired.delete(retired.keys().next().value as number);
    },
  }).enable();
}

/** Frames outside Node's internals and this file. */
function framesOf(error: Error): string[] {
  return (error.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((frame) => !frame.includes('node:internal') && !frame.includes('node:async_hooks') && !frame.includes(__filename));
}

/** A frame in a file of the workspace, not of a library or Node. */
function isOurs(frame: string): boolean {
  const file = /\(?(\/[^:()]+):\d+:\d+\)?$/.exec(frame)?.[1];
  return file !== undefined && !file.includes('/node_modules/');
}

/** Where a resource was created and, when that was inside a library, the nearest code of ours that led there. */
function describeTrace(trace: Trace): string {
  const own = framesOf(trace.error);
  let text = `${trace.type}, created\n${own.slice(0, 6).join('\n')}`;
  if (own.some(isOurs)) return text;
  for (let ancestor = trace.parent; ancestor; ancestor = ancestor.parent) {
    const frames = framesOf(ancestor.error);
    const first = frames.findIndex(isOurs);
    if (first >= 0) {
      text += `\n    in what started at\n${frames.slice(Math.max(0, first - 2), first + 4).join('\n')}`;
      break;
    }
  }
  return text;
}

/**
 * Global teardown: fails the run when anything the tests started still holds the event loop once
 * they are done, a timer, socket, server or child process that would keep Jest from exiting. Jest
 * itself only warns about that ("did not exit one second after the test run has completed"), and
 * under Nx not even that. It runs in the process the tests ran in, so only in band.
 */
export async function failOnOpenHandles(config: RunConfig): Promise<void> {
  // Watch mode keeps its file watchers and never exits; there is nothing to check.
  if (config.watch || config.watchAll) return;
  if (config.maxWorkers > 1) {
    throw new Error(
      `Open-handle check: the tests may have run in ${config.maxWorkers} worker processes, where this teardown cannot see ` +
        'what they left open. Run them in band (--runInBand; the Jest configs and the Nx test targets do).',
    );
  }
  await new Promise((resolve) => setTimeout(resolve, JEST_STATUS_REDRAW_MS));
  const open = unexpectedResources();
  if (open.length === 0) return;
  const traces = (globalThis as WithTraces)[TRACES];
  const details = traces ? tracedOpen(traces) : describeHandles();
  throw new Error(
    `Open handles after the test run: ${countsOf(open)}.\n` +
      details.map((line) => `  - ${line}\n`).join('') +
      'Each keeps the process alive: close it where it was opened (afterAll, the support class that started it, or the ' +
      "module's onApplicationShutdown when the app holds it past app.close())." +
      (traces ? '' : ' Run the same command with --detectOpenHandles to see where each was created.'),
  );
}

/** Active resources less the run's own: stdout and stderr (handles when pipes or terminals), and the IPC channel to a parent such as Nx. */
function unexpectedResources(): string[] {
  const remaining = process.getActiveResourcesInfo();
  const own = [process.stdout, process.stderr]
    .filter((stream) => stream instanceof Socket)
    .map((stream) => (stream.isTTY ? 'TTYWrap' : 'PipeWrap'));
  if (process.channel) own.push('PipeWrap');
  for (const name of own) {
    const index = remaining.indexOf(name);
    if (index >= 0) remaining.splice(index, 1);
  }
  return remaining;
}

function countsOf(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name)).join(', ');
}

/** Traced resources still alive and holding the loop, with where they were created. */
function tracedOpen(traces: Map<number, Trace>): string[] {
  return [...traces.values()].flatMap((trace) => {
    if (!REPORTED.has(trace.type)) return [];
    // A timer that fired or was cleared, or a handle that closed, waits here for its destroy hook.
    const alive = trace.resource.deref() as { hasRef?: () => boolean; _destroyed?: boolean } | undefined;
    if (!alive || alive._destroyed === true || alive.hasRef?.() !== true) return [];
    return [describeTrace(trace)];
  });
}

/**
 * What each open handle is, where Node can tell (timers are only counted). `_getActiveHandles`
 * is undocumented; without it the counts are all there is.
 */
function describeHandles(): string[] {
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  // The IPC channel to a parent process shows as a bare Pipe.
  let channel = process.channel !== undefined;
  return handles.flatMap((handle) => {
    if (handle === process.stdout || handle === process.stderr) return [];
    if (handle instanceof ChildProcess) return [`child process ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 160)}`];
    if (handle instanceof Server) return [`server listening on ${JSON.stringify(handle.address())}`];
    if (handle instanceof Socket) {
      return [`socket ${handle.localAddress ?? '?'}:${handle.localPort ?? '?'} -> ${handle.remoteAddress ?? '?'}:${handle.remotePort ?? '?'}`];
    }
    const name = (handle as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof handle;
    if (name === 'Pipe' && channel) {
      channel = false;
      return [];
    }
    return [name];
  });
}
