import type { Exchange } from './exchange';
import type { FailureSpec } from './failures';
import type { StreamPlan } from './protocol';

export interface StreamTiming {
  firstChunkDelayMs: number;
  chunkDelayMs: number;
}

/** Content chunks `dropMidStream` and `errorMidStream` let through when `afterChunks` is left out. */
const DEFAULT_INTERRUPT_AFTER_CHUNKS = 2;
const DEFAULT_TRICKLE = { fragmentBytes: 16, intervalMs: 200 };
/**
 * A client that sees the data and the broken connection in one read may surface only the
 * error, dropping chunks it already received; waiting lets the sent chunks arrive first.
 */
const DROP_GRACE_MS = 25;

async function dropAfterGrace(exchange: Exchange, timing: StreamTiming): Promise<void> {
  if (await pause(Math.max(timing.chunkDelayMs, DROP_GRACE_MS), exchange.signal)) {
    exchange.drop();
  }
}

/** Waits `ms`; resolves false instead when `signal` aborts first, so callers stop at once. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends a streamed answer: headers and preamble at once, then the content chunks paced by
 * `timing`, then the epilogue, applying `dropMidStream`, `errorMidStream` or `slowTrickle`
 * when injected.
 */
export async function runStream(
  exchange: Exchange,
  plan: StreamPlan,
  chunks: readonly string[],
  timing: StreamTiming,
  failure: FailureSpec | null,
): Promise<void> {
  const interrupted = failure?.kind === 'dropMidStream' || failure?.kind === 'errorMidStream';
  const chunksToSend = interrupted ? Math.min(failure.afterChunks ?? DEFAULT_INTERRUPT_AFTER_CHUNKS, chunks.length) : chunks.length;
  const trickle =
    failure?.kind === 'slowTrickle'
      ? {
          fragmentBytes: Math.max(1, failure.fragmentBytes ?? DEFAULT_TRICKLE.fragmentBytes),
          intervalMs: failure.intervalMs ?? DEFAULT_TRICKLE.intervalMs,
        }
      : null;

  const send = async (frames: readonly string[]): Promise<boolean> => {
    if (trickle === null) {
      exchange.write(frames.join(''));
      return exchange.isOpen;
    }
    // Byte slices may split a UTF-8 sequence or an event in two, which is what a slow link does.
    const bytes = Buffer.from(frames.join(''), 'utf8');
    for (let offset = 0; offset < bytes.length; offset += trickle.fragmentBytes) {
      if (offset > 0 && !(await pause(trickle.intervalMs, exchange.signal))) return false;
      exchange.write(bytes.subarray(offset, offset + trickle.fragmentBytes));
    }
    return exchange.isOpen;
  };

  exchange.beginStream(plan.contentType, plan.headers);
  if (!(await send(plan.preamble))) return;
  if (!(await pause(timing.firstChunkDelayMs, exchange.signal))) return;
  for (let index = 0; index < chunksToSend; index += 1) {
    if (index > 0 && !(await pause(timing.chunkDelayMs, exchange.signal))) return;
    if (!(await send(plan.chunk(index, chunks[index], index === chunks.length - 1)))) return;
    exchange.chunkWritten();
  }
  if (failure?.kind === 'dropMidStream') {
    await dropAfterGrace(exchange, timing);
    return;
  }
  if (failure?.kind === 'errorMidStream') {
    // The error arrives where the next chunk would have, paced like one.
    if (chunksToSend > 0 && !(await pause(timing.chunkDelayMs, exchange.signal))) return;
    if (!(await send(plan.error(failure.error, chunksToSend)))) return;
    exchange.end('error-mid-stream');
    return;
  }
  if (!(await send(plan.epilogue))) return;
  exchange.end();
}
