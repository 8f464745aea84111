import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { UpstreamError } from './upstream-error';

/**
 * Feeds a response body to `onEvent` one server-sent event at a time. The SSE framing is
 * eventsource-parser's (CRLF, comments, multi-line data, a frame split anywhere); the text is
 * decoded with one streaming decoder, so a UTF-8 character split across two reads stays whole.
 * An event cut off by the end of the body is dropped, as the SDKs and the SSE spec do.
 *
 * `onEvent` may throw (an error event) to end the stream. A connection that breaks mid-body
 * becomes an UpstreamError of the `stream` phase; a cancelled one stays the abort it is.
 */
export async function readSse(
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  onEvent: (event: EventSourceMessage) => void,
): Promise<void> {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  } catch (error) {
    if (signal.aborted || error instanceof UpstreamError) throw error;
    throw new UpstreamError('stream', undefined, undefined);
  }
  parser.feed(decoder.decode());
}
