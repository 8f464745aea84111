import { APIError } from 'openai';
import { classifyUpstreamError, describeUpstreamFailure, retryAfterSecondsOf } from './upstream-failure';
import { UpstreamError } from './wire/upstream-error';

describe('classifyUpstreamError', () => {
  it.each([
    ['an HTTP 401 answer', new UpstreamError('answer', 401, { error: { type: 'invalid_request_error', code: 'invalid_api_key' } }), 'openai', { kind: 'auth', status: 401 }],
    ['an HTTP 429 answer with Retry-After', new UpstreamError('answer', 429, { error: {} }, '7'), 'openai', { kind: 'rate_limited', status: 429, retryAfterSeconds: 7 }],
    ['an HTTP 500 answer', new UpstreamError('answer', 500, 'oops'), 'anthropic', { kind: 'upstream', status: 500 }],
    ['an HTTP 404 answer', new UpstreamError('answer', 404, { error: { type: 'not_found_error' } }), 'anthropic', { kind: 'bad_request', status: 404 }],
    ['Gemini 400 naming the key', new UpstreamError('answer', 400, { error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } }), 'gemini', { kind: 'auth', status: 400 }],
    ['Gemini 400 for anything else', new UpstreamError('answer', 400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad contents' } }), 'gemini', { kind: 'bad_request', status: 400 }],
    ['an in-stream invalid_api_key', new UpstreamError('stream', undefined, { message: 'Incorrect API key', type: 'invalid_request_error', code: 'invalid_api_key' }), 'openai', { kind: 'auth' }],
    ['an in-stream rate limit', new UpstreamError('stream', undefined, { type: 'requests', code: 'rate_limit_exceeded' }), 'openai-compatible', { kind: 'rate_limited' }],
    ['an in-stream numeric code (OpenRouter)', new UpstreamError('stream', undefined, { code: 429, message: 'Rate limit exceeded' }), 'openai-compatible', { kind: 'rate_limited', status: 429 }],
    ['a flat vLLM error object', new UpstreamError('stream', undefined, { object: 'error', message: 'too long', type: 'BadRequestError', code: 400 }), 'openai-compatible', { kind: 'bad_request', status: 400 }],
    ['an Anthropic error event, overloaded', new UpstreamError('stream', undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), 'anthropic', { kind: 'upstream' }],
    ['an Anthropic error event, authentication', new UpstreamError('stream', undefined, { type: 'error', error: { type: 'authentication_error' } }), 'anthropic', { kind: 'auth' }],
    ['a Gemini in-stream RESOURCE_EXHAUSTED', new UpstreamError('stream', undefined, { code: 429, status: 'RESOURCE_EXHAUSTED' }), 'gemini', { kind: 'rate_limited', status: 429 }],
    ['a stream cut short', new UpstreamError('stream', undefined, undefined), 'openai', { kind: 'upstream' }],
    ['the SDK error for an in-stream error object', new APIError(undefined, { code: 'invalid_api_key', type: 'invalid_request_error' }, undefined, new Headers()), 'openai', { kind: 'auth' }],
    ['the SDK error for an HTTP 403', new APIError(403, { message: 'no' }, undefined, new Headers()), 'openai', { kind: 'auth', status: 403 }],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'openai', { kind: 'unreachable' }],
    ['fetch terminated mid-stream', new TypeError('terminated'), 'openai', { kind: 'upstream' }],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'gemini', { kind: 'aborted' }],
    ['a deadline', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'gemini', { kind: 'timeout' }],
  ] as const)('reads %s', (_case, error, family, expected) => {
    expect(classifyUpstreamError(error, family)).toEqual(expected);
  });
});

describe('describeUpstreamFailure', () => {
  it('gives chat and HTTP one code, status and message per kind, naming the provider', () => {
    expect(describeUpstreamFailure({ kind: 'auth', status: 401 }, 'OpenAI')).toEqual({
      code: 'key_rejected',
      httpStatus: 400,
      message: 'OpenAI rejected the API key (HTTP 401); check or replace it in Settings → API keys.',
    });
    expect(describeUpstreamFailure({ kind: 'rate_limited', retryAfterSeconds: 3 }, 'Anthropic')).toMatchObject({
      code: 'rate_limited',
      httpStatus: 429,
      retryAfter: 3,
    });
    expect(describeUpstreamFailure({ kind: 'unreachable' }, 'Ollama').code).toBe('upstream_unreachable');
  });
});

describe('retryAfterSecondsOf', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryAfterSecondsOf('2.5', now)).toBe(3);
    expect(retryAfterSecondsOf('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSecondsOf('soon', now)).toBeUndefined();
    expect(retryAfterSecondsOf(undefined, now)).toBeUndefined();
  });
});
