import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, type Dispatcher } from 'undici';
import { parseErrorBody, UpstreamError } from './upstream-error';

/** Bodies of error answers are kept up to this size; a provider's JSON error is far smaller. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * The HTTP client of the chat hot path: one keep-alive pool per provider origin (undici), so a
 * stream after the first skips the TCP and TLS handshakes. Bodies are handed over chunk by chunk
 * through undici's dispatch handler: no stream object, no promise and no iterator result per
 * chunk. The SDKs, used for listing models, keep their own fetch.
 */
@Injectable()
export class UpstreamHttp implements OnApplicationShutdown {
  // undici's idle timeout: 4 s, or what the provider's Keep-Alive header says.
  private readonly agent = new Agent();

  /**
   * POSTs a streaming request and feeds each body chunk of a 2xx answer to `onChunk`, resolving
   * when the body ends. Any other answer is read (bounded) and rejected as an UpstreamError with
   * its status and error. A connection that breaks after a 2xx answer began rejects as an
   * UpstreamError of the `stream` phase; `onChunk` may throw to end the stream with that error.
   */
  stream(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, onChunk: (chunk: Buffer) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      let status = 0;
      let retryAfter: string | undefined;
      const errorChunks: Buffer[] = [];
      let errorBytes = 0;
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => {
        settle(signal.reason);
        controller?.abort(signal.reason as Error);
      };
      if (signal.aborted) {
        settle(signal.reason);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.agent.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body },
        {
          onRequestStart: (started) => {
            controller = started;
            // Cancelled while the request waited for a connection: it must not go out at all.
            if (signal.aborted) started.abort(signal.reason as Error);
          },
          onResponseStart: (_controller, statusCode, responseHeaders) => {
            status = statusCode;
            const header = responseHeaders['retry-after'];
            retryAfter = typeof header === 'string' ? header : undefined;
          },
          onResponseData: (active, chunk) => {
            if (status < 200 || status >= 300) {
              if (errorBytes < MAX_ERROR_BODY) errorChunks.push(chunk);
              errorBytes += chunk.length;
              return;
            }
            try {
              onChunk(chunk);
            } catch (error) {
              // Settled first: aborting reports back through onResponseError, as a cut would.
              settle(error);
              active.abort(error instanceof Error ? error : new Error('stream handler failed'));
            }
          },
          onResponseEnd: () => {
            if (status >= 200 && status < 300) {
              settle();
              return;
            }
            const text = Buffer.concat(errorChunks).toString('utf8').slice(0, MAX_ERROR_BODY);
            settle(new UpstreamError('answer', status, parseErrorBody(text), retryAfter));
          },
          onResponseError: (_controller, error) => {
            if (signal.aborted) settle(signal.reason);
            // After a 2xx answer began, a broken connection is the provider failing mid-stream.
            else if (status >= 200 && status < 300) settle(new UpstreamError('stream', undefined, undefined));
            else settle(error);
          },
        },
      );
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
