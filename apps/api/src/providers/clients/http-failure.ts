import type { UpstreamFailure } from './provider-client';

interface ErrorWithStatus {
  status?: unknown;
  headers?: unknown;
  name?: unknown;
  cause?: unknown;
}

/**
 * Reads the failure out of an SDK error by its HTTP status and name. The three SDKs raise
 * different classes but all carry `status`; connection errors carry none.
 */
export function classifyHttpFailure(error: unknown, authStatuses: readonly number[] = [401, 403]): UpstreamFailure {
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as ErrorWithStatus;
  const name = typeof candidate.name === 'string' ? candidate.name : '';
  if (name === 'AbortError' || name.endsWith('UserAbortError')) {
    return { kind: 'aborted' };
  }
  if (name === 'TimeoutError' || name.endsWith('TimeoutError')) {
    return { kind: 'timeout' };
  }
  const status = typeof candidate.status === 'number' ? candidate.status : undefined;
  if (status === undefined) {
    // undici's "terminated": the provider answered, then the connection broke mid-stream.
    if (isTerminated(error)) return { kind: 'upstream' };
    return { kind: 'unreachable' };
  }
  if (authStatuses.includes(status)) {
    return { kind: 'auth', status };
  }
  if (status === 429) {
    return { kind: 'rate_limited', status, retryAfterSeconds: retryAfterOf(candidate.headers) };
  }
  if (status === 400 || status === 404 || status === 422) {
    return { kind: 'bad_request', status };
  }
  return { kind: 'upstream', status };
}

function retryAfterOf(headers: unknown): number | undefined {
  let value: string | null | undefined;
  if (headers instanceof Headers) {
    value = headers.get('retry-after');
  } else if (typeof headers === 'object' && headers !== null) {
    const raw = (headers as Record<string, unknown>)['retry-after'];
    value = typeof raw === 'string' ? raw : undefined;
  }
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function isTerminated(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') return false;
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    if (message === 'terminated') return true;
    current = cause;
  }
  return false;
}
