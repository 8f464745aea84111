import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { UpstreamError } from './upstream-error';

/** Text outside SSE framing is kept up to this size, for the adapter to read as an error. */
const MAX_STRAY_TEXT = 64 * 1024;

/**
 * Turns a response body into server-sent events, chunk by chunk. The SSE framing is
 * eventsource-parser's (CRLF, comments, multi-line data, a frame split anywhere); the text is
 * decoded with one streaming decoder, so a UTF-8 character split across two reads stays whole.
 * `onEvent` may throw (an error event) to end the stream.
 */
export class SseReader {
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();
  private ended = false;
  private stray = '';

  constructor(onEvent: (event: EventSourceMessage) => void) {
    this.parser = createParser({
      onEvent: (event) => {
        // An event the end of the body had to complete was cut off: the provider never finished it.
        if (this.ended) throw new UpstreamError('stream', undefined, undefined);
        onEvent(event);
      },
      onError: (error) => {
        if (error.type === 'unknown-field' && error.line !== undefined && this.stray.length < MAX_STRAY_TEXT) {
          this.stray += `${error.line}\n`;
        }
      },
    });
  }

  push(chunk: Uint8Array): void {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** The body ended: an event left incomplete means the stream was cut, not finished. */
  end(): void {
    this.parser.feed(this.decoder.decode());
    this.ended = true;
    this.parser.feed('\n\n');
  }

  /**
   * Lines that were no SSE at all. Gemini writes a failure that comes after the answer began as
   * bare JSON (`{"error": …}`), outside any event.
   */
  get strayText(): string {
    return this.stray;
  }
}
