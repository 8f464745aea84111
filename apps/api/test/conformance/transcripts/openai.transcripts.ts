import { after, cutAt, inside, jsonAnswer, sseEvent, SSE_HEADERS, type Transcript } from './transcript';

/**
 * Chat Completions streams (`stream: true`, `stream_options.include_usage`), as api.openai.com
 * and OpenAI-compatible servers write them: chunks with `usage: null` until the usage-only
 * chunk with empty `choices`, then `[DONE]`.
 */

const MODEL = 'gpt-4o-mini';
/** An OpenAI-compatible provider (OpenRouter, vLLM and LiteLLM send errors inside the 200 stream). */
export const COMPATIBLE_PROVIDER_ID = 'openrouter';

function chunk(choices: unknown[], usage: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    id: 'chatcmpl-conformance01',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: MODEL,
    system_fingerprint: 'fp_conformance',
    choices,
    usage,
  };
}

function delta(content: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return { index: 0, delta: content, logprobs: null, finish_reason: finishReason };
}

const ROLE = chunk([delta({ role: 'assistant', content: '', refusal: null })]);
const text = (content: string) => chunk([delta({ content })]);
const finish = (reason: string) => chunk([delta({}, reason)]);
const usage = (prompt: number, completion: number) =>
  chunk([], {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  });
const DONE = sseEvent('[DONE]');

const GREETING = ['héllo', ' wörld', ' 日本語', ' 🔑'];

const splitReads = [ROLE, ...GREETING.map(text), finish('stop'), usage(12, 9)].map((data) => sseEvent(data)).join('') + DONE;

const crlf = (data: unknown) => sseEvent(data, { newline: '\r\n' });
const keepAliveCrlf = [
  ': keep-alive\r\n\r\n',
  crlf(ROLE),
  ': OPENROUTER PROCESSING\r\n\r\n',
  crlf(text('héllo')),
  crlf(text(' wörld')),
  ': keep-alive\r\n\r\n',
  crlf(text(' 日本語')),
  crlf(finish('length')),
  crlf(usage(30, 3)),
  sseEvent('[DONE]', { newline: '\r\n' }),
].join('');

const toolCalls = [
  ROLE,
  text('Looking up wörld'),
  chunk([delta({ content: null, tool_calls: [{ index: 0, id: 'call_conformance1', type: 'function', function: { name: 'lookup', arguments: '' } }] })]),
  chunk([delta({ content: null, tool_calls: [{ index: 0, function: { arguments: '{"query":"wö' } }] })]),
  chunk([delta({ content: null, tool_calls: [{ index: 0, function: { arguments: 'rld 🔑"}' } }] })]),
  finish('tool_calls'),
  usage(40, 18),
]
  .map((data) => sseEvent(data))
  .join('') + DONE;

const invalidKeyInStream =
  [ROLE, text('héllo')].map((data) => sseEvent(data)).join('') +
  sseEvent({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });

// OpenRouter's shape: the chunk carries the error beside a choice that finishes with "error".
const rateLimitInStream =
  [ROLE, text('héllo'), text(' wörld')].map((data) => sseEvent(data)).join('') +
  sseEvent({
    ...chunk([delta({ content: '' }, 'error')]),
    provider: 'OpenAI',
    error: { code: 429, message: 'Rate limit exceeded: free-models-per-min.' },
  });

// text-generation-inference's shape: the error is a string, beside its kind.
const stringErrorInStream =
  [ROLE, text('héllo')].map((data) => sseEvent(data)).join('') +
  sseEvent({ error: 'Request failed during generation: Server error: CUDA out of memory.', error_type: 'generation' });

const cutMidStream = [ROLE, text('héllo'), text(' wörld')].map((data) => sseEvent(data)).join('');

const cutAfterUsage = [ROLE, ...GREETING.slice(0, 2).map(text), finish('stop'), usage(12, 4)].map((data) => sseEvent(data)).join('');

export const OPENAI_TRANSCRIPTS: readonly Transcript[] = [
  {
    name: 'openai-split-reads',
    providerId: 'openai',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(splitReads, [
      after(splitReads, 'data: '),
      inside(splitReads, 'é', 1),
      inside(splitReads, 'ö', 1),
      inside(splitReads, '日', 2),
      inside(splitReads, '🔑', 3),
      // Between the two newlines that end the finish chunk's event.
      after(splitReads, '"finish_reason":"stop"}],"usage":null}\n'),
      after(splitReads, 'data: [DO'),
    ]),
    ending: 'complete',
    expected: { deltas: GREETING, finish: { finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 9 } } },
  },
  {
    name: 'openai-crlf-keep-alive-comments',
    providerId: COMPATIBLE_PROVIDER_ID,
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(keepAliveCrlf, [
      // Between the CR and the LF of the first comment line.
      after(keepAliveCrlf, ': keep-alive\r'),
      after(keepAliveCrlf, 'PROCESSING\r\n'),
      inside(keepAliveCrlf, 'ö', 1),
      inside(keepAliveCrlf, '本', 1),
      after(keepAliveCrlf, '"finish_reason":"length"}],"usage":null}\r\n\r'),
    ]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld', ' 日本語'], finish: { finishReason: 'length', usage: { inputTokens: 30, outputTokens: 3 } } },
  },
  {
    name: 'openai-tool-call-deltas',
    providerId: 'openai',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(toolCalls, [inside(toolCalls, 'ö', 1), after(toolCalls, '"arguments":"{\\"query\\":\\"w'), inside(toolCalls, '🔑', 2)]),
    ending: 'complete',
    expected: { deltas: ['Looking up wörld'], finish: { finishReason: 'tool_calls', usage: { inputTokens: 40, outputTokens: 18 } } },
  },
  {
    name: 'openai-compatible-invalid-key-error-in-stream',
    providerId: COMPATIBLE_PROVIDER_ID,
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(invalidKeyInStream, [inside(invalidKeyInStream, 'é', 1), after(invalidKeyInStream, '{"error":{"message":"Incorrect')]),
    ending: 'complete',
    expected: { deltas: ['héllo'], failure: { kind: 'auth' } },
  },
  {
    name: 'openai-compatible-rate-limit-error-in-stream',
    providerId: COMPATIBLE_PROVIDER_ID,
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(rateLimitInStream, [inside(rateLimitInStream, 'ö', 1), after(rateLimitInStream, '"error":{"code":4')]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld'], failure: { kind: 'rate_limited', status: 429 } },
  },
  {
    name: 'openai-compatible-string-error-in-stream',
    providerId: COMPATIBLE_PROVIDER_ID,
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(stringErrorInStream, [inside(stringErrorInStream, 'é', 1), after(stringErrorInStream, '{"error":"Request')]),
    ending: 'complete',
    expected: { deltas: ['héllo'], failure: { kind: 'upstream' } },
    sdkDivergence: {
      // The SDK throws an APIError with neither status nor error object, the same error it throws
      // before any answer, so nothing shows the provider had answered and then failed; the fast
      // path's error says it came inside the stream, which is a provider failure.
      reason: 'its error does not show it came inside the stream, so it reads as unreachable',
      outcome: { deltas: ['héllo'], failure: { kind: 'unreachable' } },
    },
  },
  {
    name: 'openai-connection-cut-mid-event',
    providerId: 'openai',
    status: 200,
    headers: SSE_HEADERS,
    // The last write ends inside the third event, in the middle of "ö"; then the socket is destroyed.
    parts: cutAt(cutMidStream, [after(cutMidStream, '"content":"héllo"'), inside(cutMidStream, 'ö', 1)]).slice(0, -1),
    ending: 'cut',
    expected: { deltas: ['héllo'], failure: { kind: 'upstream' } },
  },
  {
    name: 'openai-connection-cut-after-usage',
    providerId: 'openai',
    status: 200,
    headers: SSE_HEADERS,
    // Everything but `[DONE]` arrives, then the socket is destroyed.
    parts: cutAt(cutAfterUsage, [inside(cutAfterUsage, 'ö', 1)]),
    ending: 'cut',
    expected: { deltas: ['héllo', ' wörld'], finish: { finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 4 } } },
  },
  {
    name: 'openai-401-invalid-key',
    providerId: 'openai',
    ...jsonAnswer(
      401,
      {
        error: {
          message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
      { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req_conformance401' },
    ),
    expected: { deltas: [], failure: { kind: 'auth', status: 401 } },
  },
  {
    name: 'openai-429-retry-after',
    providerId: 'openai',
    ...jsonAnswer(
      429,
      {
        error: {
          message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      },
      {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': '20',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '20s',
      },
    ),
    expected: { deltas: [], failure: { kind: 'rate_limited', status: 429, retryAfterSeconds: 20 } },
  },
];
