import type { ChatErrorCode, KeyValidationFailure, ProviderFamily } from '@byok/contracts';
import { UpstreamError } from './wire/upstream-error';

/** How an upstream failure reads to a user, whichever client (SDK or fast path) met it. */
export type UpstreamFailureKind = 'auth' | 'rate_limited' | 'unreachable' | 'timeout' | 'aborted' | 'bad_request' | 'upstream';

export interface UpstreamFailure {
  kind: UpstreamFailureKind;
  status?: number;
  retryAfterSeconds?: number;
}

/** What one failure becomes, for chat events and HTTP answers alike. */
export interface FailureDescription {
  code: Extract<ChatErrorCode, 'key_rejected' | 'rate_limited' | 'upstream_unreachable' | 'timeout' | 'bad_request' | 'upstream_error'>;
  httpStatus: number;
  message: string;
  retryAfter?: number;
}

/** What an error says about itself, read the same way from an SDK's error class and from ours. */
interface ErrorFacts {
  name: string;
  status?: number;
  /** The provider's error object: `{ error: {...} }` unwrapped once. */
  detail: Record<string, unknown> | null;
  text: string;
  retryAfter?: string;
  /** The answer had begun (a 200 stream) when it failed. */
  midStream: boolean;
}

/** Error markers providers put in `code`, `type`, `status` or `reason`, by what they mean. */
const AUTH_MARKERS = new Set(['invalid_api_key', 'authentication_error', 'permission_error', 'unauthorized', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'API_KEY_INVALID']);
const RATE_MARKERS = new Set(['rate_limit_exceeded', 'rate_limit_error', 'RESOURCE_EXHAUSTED', 'insufficient_quota', 'tokens', 'requests']);
const REQUEST_MARKERS = new Set(['invalid_request_error', 'not_found_error', 'model_not_found', 'context_length_exceeded', 'INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION']);

/**
 * The one reading of upstream failures, for chat streams, model listings and key validation:
 * HTTP error answers, errors sent inside a 200 stream (OpenAI-compatible `data: {"error":…}`,
 * Anthropic `event: error`, Gemini `{"error":…}`), cut connections and deadlines.
 */
export function classifyUpstreamError(error: unknown, family: ProviderFamily): UpstreamFailure {
  const facts = factsOf(error);
  if (facts.name === 'AbortError' || facts.name.endsWith('UserAbortError')) return { kind: 'aborted' };
  if (facts.name === 'TimeoutError' || facts.name.endsWith('TimeoutError')) return { kind: 'timeout' };
  const markers = markersOf(facts.detail);
  const status = facts.status ?? numericCodeOf(facts.detail);
  // Gemini answers a wrong key with 400 INVALID_ARGUMENT; only the reason (or text) says it is the key.
  const geminiKey = family === 'gemini' && status === 400 && /API_KEY_INVALID|API key not valid/i.test(facts.text);
  if (geminiKey || markers.some((marker) => AUTH_MARKERS.has(marker))) return withStatus({ kind: 'auth' }, status);
  if (status !== undefined) return byStatus(status, facts.retryAfter);
  if (markers.some((marker) => RATE_MARKERS.has(marker))) return { kind: 'rate_limited' };
  if (markers.some((marker) => REQUEST_MARKERS.has(marker))) return { kind: 'bad_request' };
  // An error object we cannot place, or a connection cut after the answer began: the provider failed.
  if (facts.detail !== null || facts.midStream) return { kind: 'upstream' };
  return { kind: 'unreachable' };
}

export function describeUpstreamFailure(failure: UpstreamFailure, providerName: string): FailureDescription {
  const http = failure.status === undefined ? '' : ` (HTTP ${failure.status})`;
  switch (failure.kind) {
    case 'auth':
      return {
        code: 'key_rejected',
        httpStatus: 400,
        message: `${providerName} rejected the API key${http}; check or replace it in Settings → API keys.`,
      };
    case 'rate_limited':
      return {
        code: 'rate_limited',
        httpStatus: 429,
        message: `${providerName} is rate-limiting this key${failure.retryAfterSeconds !== undefined ? `; retry in ${failure.retryAfterSeconds} s` : '; retry shortly'}.`,
        retryAfter: failure.retryAfterSeconds,
      };
    case 'unreachable':
      return { code: 'upstream_unreachable', httpStatus: 502, message: `${providerName} could not be reached; try again later.` };
    case 'timeout':
    case 'aborted':
      return { code: 'timeout', httpStatus: 504, message: `${providerName} did not answer in time.` };
    case 'bad_request':
      return {
        code: 'bad_request',
        httpStatus: 400,
        message: `${providerName} refused the request${http}; check the model name and the messages.`,
      };
    case 'upstream':
      return { code: 'upstream_error', httpStatus: 502, message: `${providerName} failed while answering${http}; try again.` };
  }
}

export function validationFailureOf(failure: UpstreamFailure): KeyValidationFailure {
  switch (failure.kind) {
    case 'auth':
      return 'invalid';
    case 'rate_limited':
      return 'rate_limited';
    case 'timeout':
    case 'aborted':
      return 'timeout';
    default:
      return 'unreachable';
  }
}

function byStatus(status: number, retryAfter: string | undefined): UpstreamFailure {
  if (status === 401 || status === 403) return { kind: 'auth', status };
  if (status === 429) return { kind: 'rate_limited', status, retryAfterSeconds: retryAfterSecondsOf(retryAfter) };
  if (status === 400 || status === 404 || status === 422) return { kind: 'bad_request', status };
  if (status === 408 || status === 504) return { kind: 'timeout', status };
  return { kind: 'upstream', status };
}

function withStatus(failure: UpstreamFailure, status: number | undefined): UpstreamFailure {
  return status === undefined ? failure : { ...failure, status };
}

function factsOf(error: unknown): ErrorFacts {
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const name = typeof candidate['name'] === 'string' ? candidate['name'] : '';
  const text = typeof candidate['message'] === 'string' ? candidate['message'] : '';
  if (error instanceof UpstreamError) {
    const detail = detailOf(error.body);
    return { name, status: error.status, detail, text: `${text} ${JSON.stringify(error.body) ?? ''}`, retryAfter: error.retryAfter, midStream: error.phase === 'stream' };
  }
  // The SDKs: OpenAI and Anthropic keep the parsed body in `error`, Gemini's ApiError only in its message.
  const status = typeof candidate['status'] === 'number' ? candidate['status'] : undefined;
  return {
    name,
    status,
    detail: detailOf(candidate['error']),
    text,
    retryAfter: headerOf(candidate['headers'], 'retry-after'),
    midStream: isTerminated(error),
  };
}

/** The inner error object of `{ error: {...} }`, or the object itself. */
function detailOf(body: unknown): Record<string, unknown> | null {
  if (typeof body !== 'object' || body === null) return null;
  const inner = (body as Record<string, unknown>)['error'];
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : (body as Record<string, unknown>);
}

function markersOf(detail: Record<string, unknown> | null): string[] {
  if (!detail) return [];
  const markers = ['code', 'type', 'status'].map((field) => detail[field]).filter((value): value is string => typeof value === 'string');
  const details = detail['details'];
  if (Array.isArray(details)) {
    for (const entry of details) {
      const reason = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['reason'] : undefined;
      if (typeof reason === 'string') markers.push(reason);
    }
  }
  return markers;
}

/** OpenRouter, vLLM and Gemini put the HTTP status of an in-stream error in a numeric `code`. */
function numericCodeOf(detail: Record<string, unknown> | null): number | undefined {
  const code = detail?.['code'];
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (typeof headers === 'object' && headers !== null) {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

export function retryAfterSecondsOf(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** fetch's "terminated": the provider answered, then the connection broke mid-stream. */
function isTerminated(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') return false;
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    if (message === 'terminated') return true;
    current = cause;
  }
  return false;
}
