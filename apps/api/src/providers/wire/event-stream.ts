import type { EventSourceMessage } from 'eventsource-parser';
import { SseReader } from './sse-reader';
import { UpstreamError } from './upstream-error';
import type { UpstreamHttp } from './upstream-http';

/** One streaming POST whose answer is read as server-sent events; resolves with the reader once the body ended. */
export async function streamEvents(
  http: UpstreamHttp,
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  onEvent: (event: EventSourceMessage) => void,
): Promise<SseReader> {
  const reader = new SseReader(onEvent);
  await http.stream(url, headers, body, signal, (chunk) => reader.push(chunk));
  reader.end();
  return reader;
}

/** Whether a failure is the connection breaking mid-stream (no error from the provider). */
export function isCutStream(error: unknown): boolean {
  return error instanceof UpstreamError && error.phase === 'stream' && error.body === undefined;
}
