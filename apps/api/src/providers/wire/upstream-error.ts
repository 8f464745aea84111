/** Where in the exchange a fast-path call failed, which decides how the failure reads. */
export type UpstreamPhase = 'answer' | 'stream';

/**
 * A provider's error as the fast path saw it: an HTTP error answer (`answer`, with its status
 * and parsed body), or an error sent inside a 200 stream or a stream cut short (`stream`). The
 * SDKs raise their own classes for the same cases; upstream-failure.ts reads both.
 */
export class UpstreamError extends Error {
  constructor(
    readonly phase: UpstreamPhase,
    readonly status: number | undefined,
    /** The provider's error object (`{ error: {...} }` or its inner object), never shown to users. */
    readonly body: unknown,
    readonly retryAfter?: string,
  ) {
    super(status === undefined ? `upstream ${phase} error` : `upstream ${phase} error (HTTP ${status})`);
    this.name = 'UpstreamError';
  }
}

/** An error answer's body as JSON when it is JSON, as text otherwise (an HTML 502 page, say). */
export function parseErrorBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
