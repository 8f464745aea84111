import { after, cutAt, inside, jsonAnswer, sseEvent, SSE_HEADERS, type Transcript } from './transcript';

/**
 * Messages API streams as api.anthropic.com writes them: named events whose data repeats the
 * name in `type`, pings between them, `event: error` for failures after the 200 answer.
 */

const MODEL = 'claude-sonnet-4-6';

type Newline = '\n' | '\r\n';

function event(type: string, data: Record<string, unknown>, newline: Newline = '\n'): string {
  return sseEvent({ type, ...data }, { event: type, newline });
}

function messageStart(inputTokens: number, newline: Newline = '\n'): string {
  return event(
    'message_start',
    {
      message: {
        id: 'msg_conformance01',
        type: 'message',
        role: 'assistant',
        model: MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
      },
    },
    newline,
  );
}

const textBlockStart = (index: number, newline: Newline = '\n') =>
  event('content_block_start', { index, content_block: { type: 'text', text: '' } }, newline);
const textDelta = (index: number, text: string, newline: Newline = '\n') =>
  event('content_block_delta', { index, delta: { type: 'text_delta', text } }, newline);
const blockStop = (index: number, newline: Newline = '\n') => event('content_block_stop', { index }, newline);
const ping = (newline: Newline = '\n') => event('ping', {}, newline);
const messageDelta = (stopReason: string, outputTokens: number, newline: Newline = '\n') =>
  event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }, newline);
const messageStop = (newline: Newline = '\n') => event('message_stop', {}, newline);
const errorEvent = (type: string, message: string) => event('error', { error: { type, message } });

const GREETING = ['héllo', ' wörld', ' 日本語', ' 🔑'];

const splitReads = [
  messageStart(25),
  textBlockStart(0),
  ping(),
  ...GREETING.map((text) => textDelta(0, text)),
  blockStop(0),
  messageDelta('end_turn', 12),
  messageStop(),
].join('');

const CRLF = '\r\n';
const crlfPings = [
  messageStart(8, CRLF),
  ': keep-alive\r\n\r\n',
  textBlockStart(0, CRLF),
  ping(CRLF),
  textDelta(0, 'héllo', CRLF),
  ping(CRLF),
  ': keep-alive\r\n\r\n',
  textDelta(0, ' 日本語', CRLF),
  blockStop(0, CRLF),
  ping(CRLF),
  messageDelta('max_tokens', 4, CRLF),
  messageStop(CRLF),
].join('');

const toolUse = [
  messageStart(310),
  textBlockStart(0),
  textDelta(0, 'Looking up wörld'),
  blockStop(0),
  event('content_block_start', {
    index: 1,
    content_block: { type: 'tool_use', id: 'toolu_conformance01', name: 'lookup', input: {} },
  }),
  event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
  event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"query": "wö' } }),
  event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'rld 🔑"}' } }),
  blockStop(1),
  messageDelta('tool_use', 54),
  messageStop(),
].join('');

const overloadedInStream = [
  messageStart(25),
  textBlockStart(0),
  ping(),
  textDelta(0, 'héllo'),
  errorEvent('overloaded_error', 'Overloaded'),
].join('');

const rateLimitInStream = [
  messageStart(25),
  textBlockStart(0),
  textDelta(0, 'héllo'),
  textDelta(0, ' wörld'),
  errorEvent('rate_limit_error', 'This request would exceed the rate limit for your organization.'),
].join('');

const cutMidStream = [messageStart(25), textBlockStart(0), textDelta(0, 'héllo'), textDelta(0, ' wörld')].join('');

export const ANTHROPIC_TRANSCRIPTS: readonly Transcript[] = [
  {
    name: 'anthropic-split-reads',
    providerId: 'anthropic',
    status: 200,
    headers: { ...SSE_HEADERS, 'request-id': 'req_conformance01' },
    parts: cutAt(splitReads, [
      // Between an event's `event:` line and its `data:` line.
      after(splitReads, 'event: message_start\n'),
      after(splitReads, 'event: ping\ndata: {"type":"pi'),
      inside(splitReads, 'é', 1),
      inside(splitReads, 'ö', 1),
      inside(splitReads, '日', 1),
      inside(splitReads, '🔑', 2),
      after(splitReads, '"output_tokens":12}}\n'),
    ]),
    ending: 'complete',
    expected: { deltas: GREETING, finish: { finishReason: 'end_turn', usage: { inputTokens: 25, outputTokens: 12 } } },
  },
  {
    name: 'anthropic-crlf-pings-keep-alive-comments',
    providerId: 'anthropic',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(crlfPings, [
      after(crlfPings, 'event: message_start\r'),
      after(crlfPings, ': keep-alive\r\n'),
      inside(crlfPings, 'é', 1),
      inside(crlfPings, '語', 2),
      after(crlfPings, 'event: message_delta\r\ndata: {"type":"message_delta","delta":{"stop_reason":"max'),
    ]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' 日本語'], finish: { finishReason: 'max_tokens', usage: { inputTokens: 8, outputTokens: 4 } } },
  },
  {
    name: 'anthropic-tool-use-block-input-json-deltas',
    providerId: 'anthropic',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(toolUse, [inside(toolUse, 'ö', 1), after(toolUse, '"partial_json":"{\\"query\\": \\"w'), inside(toolUse, '🔑', 1)]),
    ending: 'complete',
    expected: { deltas: ['Looking up wörld'], finish: { finishReason: 'tool_use', usage: { inputTokens: 310, outputTokens: 54 } } },
  },
  {
    name: 'anthropic-overloaded-error-event',
    providerId: 'anthropic',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(overloadedInStream, [inside(overloadedInStream, 'é', 1), after(overloadedInStream, 'event: error\n')]),
    ending: 'complete',
    // No status and a type that names no user-side cause: the provider failed.
    expected: { deltas: ['héllo'], failure: { kind: 'upstream' } },
  },
  {
    name: 'anthropic-rate-limit-error-event',
    providerId: 'anthropic',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(rateLimitInStream, [inside(rateLimitInStream, 'ö', 1), after(rateLimitInStream, '"type":"rate_limit')]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld'], failure: { kind: 'rate_limited' } },
  },
  {
    name: 'anthropic-connection-cut-mid-event',
    providerId: 'anthropic',
    status: 200,
    headers: SSE_HEADERS,
    // The last write ends inside the last event, in the middle of "ö"; then the socket is destroyed.
    parts: cutAt(cutMidStream, [after(cutMidStream, '"text":"héllo"'), inside(cutMidStream, 'ö', 1)]).slice(0, -1),
    ending: 'cut',
    expected: { deltas: ['héllo'], failure: { kind: 'upstream' } },
  },
  {
    name: 'anthropic-401-invalid-key',
    providerId: 'anthropic',
    ...jsonAnswer(
      401,
      { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' }, request_id: 'req_conformance401' },
      { 'content-type': 'application/json', 'request-id': 'req_conformance401', 'x-should-retry': 'false' },
    ),
    expected: { deltas: [], failure: { kind: 'auth', status: 401 } },
  },
  {
    name: 'anthropic-429-retry-after',
    providerId: 'anthropic',
    ...jsonAnswer(
      429,
      {
        type: 'error',
        error: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization. Please try again later.' },
        request_id: 'req_conformance429',
      },
      { 'content-type': 'application/json', 'retry-after': '12', 'anthropic-ratelimit-requests-remaining': '0', 'x-should-retry': 'true' },
    ),
    expected: { deltas: [], failure: { kind: 'rate_limited', status: 429, retryAfterSeconds: 12 } },
  },
];
