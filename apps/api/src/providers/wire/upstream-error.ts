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

/** Bodies of error answers are read up to this size; a provider's JSON error is far smaller. */
const MAX_ERROR_BODY = 64 * 1024;

/** Reads an error answer's body as JSON when it is JSON, as text otherwise, cut at MAX_ERROR_BODY. */
export async function errorBodyOf(body: AsyncIterable<Uint8Array>): Promise<unknown> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length > MAX_ERROR_BODY) return text.slice(0, MAX_ERROR_BODY);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
