import type { ChatFinish } from '../../../src/providers/provider-adapter';
import type { UpstreamFailure } from '../../../src/providers/upstream-failure';

/** What a client made of one streamed answer: the text deltas in order, then a finish or a failure. */
export interface ChatOutcome {
  deltas: readonly string[];
  finish?: ChatFinish;
  /** `classifyUpstreamError(error, family)` of what the client threw. */
  failure?: UpstreamFailure;
}

/**
 * One provider answer as it crossed the wire: status, headers and the body as the byte parts
 * the server wrote, one write each. Parts are bytes, not strings, so a write can end inside a
 * UTF-8 character, as TCP reads do.
 */
export interface Transcript {
  readonly name: string;
  /** The configured provider the request goes to; its family decides the adapter and the SDK. */
  readonly providerId: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly parts: readonly Uint8Array[];
  /** `complete`: the answer ends normally; `cut`: the server destroys the socket after the last part. */
  readonly ending: 'complete' | 'cut';
  /** The one right reading of the transcript; the fast path must give exactly this. */
  readonly expected: ChatOutcome;
  /** Where the official SDK reads the transcript wrongly: what it gives instead, and why. */
  readonly sdkDivergence?: Divergence;
}

export interface Divergence {
  readonly outcome: ChatOutcome;
  readonly reason: string;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** One server-sent event; `newline` is `\r\n` for the providers (and proxies) that end lines so. */
export function sseEvent(data: unknown, options: { event?: string; newline?: '\n' | '\r\n' } = {}): string {
  const newline = options.newline ?? '\n';
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  const eventLine = options.event === undefined ? '' : `event: ${options.event}${newline}`;
  return `${eventLine}data: ${payload}${newline}${newline}`;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The UTF-8 body cut into writes at the given byte offsets (ascending, inside the body). */
export function cutAt(body: string, offsets: readonly number[]): Uint8Array[] {
  const bytes = utf8(body);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    if (offset <= start || offset >= bytes.length) {
      throw new Error(`cut at byte ${offset} is not after ${start} and inside the ${bytes.length}-byte body`);
    }
    parts.push(bytes.slice(start, offset));
    start = offset;
  }
  parts.push(bytes.slice(start));
  return parts;
}

/** The byte offset just after the first `marker` in `body`. */
export function after(body: string, marker: string): number {
  const index = body.indexOf(marker);
  if (index === -1) throw new Error(`marker ${JSON.stringify(marker)} is not in the body`);
  return byteLength(body.slice(0, index + marker.length));
}

/**
 * The byte offset `bytesIn` bytes into the first `character` of `body`: a cut there splits the
 * character's UTF-8 encoding between two writes.
 */
export function inside(body: string, character: string, bytesIn: number): number {
  const width = byteLength(character);
  if (bytesIn <= 0 || bytesIn >= width) throw new Error(`${character} has ${width} bytes; cannot cut ${bytesIn} bytes in`);
  const index = body.indexOf(character);
  if (index === -1) throw new Error(`${character} is not in the body`);
  return byteLength(body.slice(0, index)) + bytesIn;
}

/** A JSON error answer sent whole, with its Content-Length, as the providers send them. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string>): Pick<Transcript, 'status' | 'headers' | 'parts' | 'ending'> {
  const bytes = utf8(JSON.stringify(body));
  return { status, headers: { ...headers, 'content-length': String(bytes.length) }, parts: [bytes], ending: 'complete' };
}

/** The whole body of a transcript as one buffer, as if the client had read it at once. */
export function wholeBody(transcript: Transcript): Uint8Array {
  return Buffer.concat(transcript.parts);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

