import { after, cutAt, inside, jsonAnswer, sseEvent, SSE_HEADERS, type Transcript, utf8 } from './transcript';

/**
 * `models/{id}:streamGenerateContent?alt=sse` as generativelanguage.googleapis.com writes it:
 * one GenerateContentResponse per event, events ended by CRLF pairs, the last one carrying
 * finishReason and the candidates' token count. Errors after the 200 answer are an event
 * holding `{"error": {...}}` and nothing else.
 */

const MODEL = 'gemini-2.5-flash';
const PROMPT_TOKENS = 9;

type Newline = '\n' | '\r\n';
type Part = Record<string, unknown>;

function response(parts: Part[], last?: { finishReason: string; candidatesTokens: number }): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
  const usageMetadata: Record<string, unknown> = {
    promptTokenCount: PROMPT_TOKENS,
    totalTokenCount: PROMPT_TOKENS,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: PROMPT_TOKENS }],
  };
  if (last) {
    candidate['finishReason'] = last.finishReason;
    usageMetadata['candidatesTokenCount'] = last.candidatesTokens;
    usageMetadata['totalTokenCount'] = PROMPT_TOKENS + last.candidatesTokens;
  }
  return { candidates: [candidate], usageMetadata, modelVersion: MODEL, responseId: 'conformance01' };
}

const frame = (data: unknown, newline: Newline = '\r\n') => sseEvent(data, { newline });
const textParts = (text: string): Part[] => [{ text }];

const GREETING = ['héllo', ' wörld', ' 日本語', ' 🔑'];

const splitReads = [
  ...GREETING.slice(0, -1).map((text) => frame(response(textParts(text)))),
  frame(response(textParts(' 🔑'), { finishReason: 'STOP', candidatesTokens: 11 })),
].join('');

// Gemini itself sends no comments; proxies in front of it (and LF line endings) do.
const keepAliveLf = [
  ': keep-alive\n\n',
  frame(response(textParts('héllo')), '\n'),
  ': keep-alive\n\n',
  frame(response(textParts(' wörld')), '\n'),
  frame(response(textParts(' 日本語'), { finishReason: 'MAX_TOKENS', candidatesTokens: 3 }), '\n'),
].join('');

const functionCall = [
  frame(response([{ text: 'Which wörld?', thought: true }, { text: 'Looking up wörld' }])),
  frame(response([{ functionCall: { name: 'lookup', args: { query: 'wörld 🔑' } }, thoughtSignature: 'c2lnbmF0dXJl' }])),
  frame(response([{ functionCall: { name: 'lookup', args: { query: '日本語' } } }], { finishReason: 'STOP', candidatesTokens: 21 })),
].join('');

const rateLimitInStream = [
  frame(response(textParts('héllo'))),
  frame(response(textParts(' wörld'))),
  frame({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }),
].join('');

// The way Gemini reports a failure after the answer began (see @google/genai's own stream tests):
// a bare JSON object, not an SSE event, written on its own.
const BARE_ERROR = JSON.stringify({ error: { code: 500, message: 'An internal error has occurred. Please retry or report it.', status: 'INTERNAL' } });
const beforeBareError = [frame(response(textParts('héllo'))), frame(response(textParts(' wörld')))].join('');

const commentInsideEvent = [
  frame(response(textParts('héllo'))),
  `: keep-alive\r\n${frame(response(textParts(' wörld')))}`,
  frame(response(textParts(' 日本語'), { finishReason: 'STOP', candidatesTokens: 7 })),
].join('');

const endsInsideEvent = [
  frame(response(textParts('héllo'))),
  frame(response(textParts(' wörld'))),
  frame(response(textParts(' 日本語'), { finishReason: 'STOP', candidatesTokens: 7 })),
].join('');

const cutMidStream = [frame(response(textParts('héllo'))), frame(response(textParts(' wörld')))].join('');

const GOOGLE_JSON = { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin, X-Origin, Referer' };

export const GEMINI_TRANSCRIPTS: readonly Transcript[] = [
  {
    name: 'gemini-split-reads',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(splitReads, [
      after(splitReads, 'data: {"candidates":[{"content":{"parts":[{"text":"h'),
      inside(splitReads, 'é', 1),
      // Between the CRLF pairs that end the first event.
      after(splitReads, '"responseId":"conformance01"}\r\n'),
      inside(splitReads, 'ö', 1),
      inside(splitReads, '日', 2),
      inside(splitReads, '🔑', 1),
      after(splitReads, '"finishReason":"STOP"'),
    ]),
    ending: 'complete',
    expected: { deltas: GREETING, finish: { finishReason: 'STOP', usage: { inputTokens: PROMPT_TOKENS, outputTokens: 11 } } },
  },
  {
    name: 'gemini-lf-keep-alive-comments',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(keepAliveLf, [after(keepAliveLf, ': keep-alive\n'), inside(keepAliveLf, 'ö', 1), inside(keepAliveLf, '本', 2)]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld', ' 日本語'], finish: { finishReason: 'MAX_TOKENS', usage: { inputTokens: PROMPT_TOKENS, outputTokens: 3 } } },
  },
  {
    name: 'gemini-function-call-and-thought-parts',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(functionCall, [inside(functionCall, 'ö', 1), after(functionCall, '"functionCall":{"na'), inside(functionCall, '🔑', 3)]),
    ending: 'complete',
    expected: { deltas: ['Looking up wörld'], finish: { finishReason: 'STOP', usage: { inputTokens: PROMPT_TOKENS, outputTokens: 21 } } },
  },
  {
    name: 'gemini-rate-limit-error-in-stream',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(rateLimitInStream, [inside(rateLimitInStream, 'ö', 1), after(rateLimitInStream, '{"error":{"code":429,')]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld'], failure: { kind: 'rate_limited', status: 429 } },
    sdkDivergence: {
      // @google/genai looks for `{"error":…}` only where a whole network read parses as JSON; an
      // SSE event (`data: {"error":…}`) never does, so it hands the error on as an empty chunk and
      // the stream ends as if finished. The provider said the answer failed; the fast path says so.
      reason: 'the SDK ignores an error event and reports a finished answer',
      outcome: { deltas: ['héllo', ' wörld'], finish: { finishReason: 'STOP', usage: { inputTokens: PROMPT_TOKENS } } },
    },
  },
  {
    name: 'gemini-bare-json-error-in-stream',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: [...cutAt(beforeBareError, [inside(beforeBareError, 'ö', 1)]), utf8(BARE_ERROR)],
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld'], failure: { kind: 'upstream', status: 500 } },
  },
  {
    name: 'gemini-comment-line-inside-an-event',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    parts: cutAt(commentInsideEvent, [after(commentInsideEvent, ': keep'), inside(commentInsideEvent, 'ö', 1)]),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld', ' 日本語'], finish: { finishReason: 'STOP', usage: { inputTokens: PROMPT_TOKENS, outputTokens: 7 } } },
    sdkDivergence: {
      // SSE ignores comment lines wherever they are; the SDK keeps an event only if its text starts
      // with `data:`, so a comment before the data line loses that event's text.
      reason: 'an event whose data follows a comment line is dropped',
      outcome: { deltas: ['héllo', ' 日本語'], finish: { finishReason: 'STOP', usage: { inputTokens: PROMPT_TOKENS, outputTokens: 7 } } },
    },
  },
  {
    name: 'gemini-body-ends-inside-an-event',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    // The answer ends cleanly (a final chunk of length 0) halfway through the last event, which
    // would have carried the finish reason and the token count.
    parts: cutAt(endsInsideEvent, [inside(endsInsideEvent, 'ö', 1), after(endsInsideEvent, '"text":" 日本')]).slice(0, -1),
    ending: 'complete',
    expected: { deltas: ['héllo', ' wörld'], failure: { kind: 'upstream' } },
    sdkDivergence: {
      // The SDK does fail ("Incomplete JSON segment at the end"), but with a plain Error that
      // reads like a connection that never got through.
      reason: 'its error for a cut-off answer reads as unreachable',
      outcome: { deltas: ['héllo', ' wörld'], failure: { kind: 'unreachable' } },
    },
  },
  {
    name: 'gemini-connection-cut-mid-event',
    providerId: 'gemini',
    status: 200,
    headers: SSE_HEADERS,
    // The last write ends inside the second event, in the middle of "ö"; then the socket is destroyed.
    parts: cutAt(cutMidStream, [after(cutMidStream, '"text":"héllo"'), inside(cutMidStream, 'ö', 1)]).slice(0, -1),
    ending: 'cut',
    expected: { deltas: ['héllo'], failure: { kind: 'upstream' } },
  },
  {
    name: 'gemini-400-api-key-invalid',
    providerId: 'gemini',
    // Google's answer to a wrong key: 400 INVALID_ARGUMENT; only the reason says it is the key.
    ...jsonAnswer(
      400,
      {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            },
          ],
        },
      },
      GOOGLE_JSON,
    ),
    expected: { deltas: [], failure: { kind: 'auth', status: 400 } },
  },
  {
    name: 'gemini-401-unauthenticated',
    providerId: 'gemini',
    ...jsonAnswer(
      401,
      {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          status: 'UNAUTHENTICATED',
        },
      },
      GOOGLE_JSON,
    ),
    expected: { deltas: [], failure: { kind: 'auth', status: 401 } },
  },
  {
    name: 'gemini-429-retry-after',
    providerId: 'gemini',
    ...jsonAnswer(
      429,
      {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }],
        },
      },
      { ...GOOGLE_JSON, 'retry-after': '30' },
    ),
    expected: { deltas: [], failure: { kind: 'rate_limited', status: 429, retryAfterSeconds: 30 } },
    sdkDivergence: {
      // The SDK's ApiError keeps the status and the body text but no headers, so no reader of it
      // can know when to retry; the fast path keeps the Retry-After the provider sent.
      reason: 'the SDK drops the Retry-After header',
      outcome: { deltas: [], failure: { kind: 'rate_limited', status: 429 } },
    },
  },
];
