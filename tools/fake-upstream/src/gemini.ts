import type { IncomingHttpHeaders } from 'node:http';
import type { StreamErrorKind } from './failures';
import { asObject, header } from './json-body';
import { displayNameOf } from './model-names';
import type {
  ChatReplyInput,
  Operation,
  OperationRequest,
  PresentedKey,
  StreamPlan,
  WireProtocol,
  WireReply,
} from './protocol';
import { SSE_CONTENT_TYPE, sseFrame } from './sse';

const API_KEY_INVALID_MESSAGE = 'API key not valid. Please pass a valid API key.';

function googleError(code: number, status: string, message: string, details?: unknown[], headers?: Record<string, string>): WireReply {
  return { status: code, body: { error: { code, message, status, ...(details ? { details } : {}) } }, headers };
}

function modelResource(id: string): Record<string, unknown> {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: '001',
    displayName: displayNameOf(id),
    description: `${displayNameOf(id)} served by the fake upstream.`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
  };
}

/** `models.list` pages with `pageSize` and an opaque `pageToken`; here the token is an offset. */
function modelsPage(models: readonly string[], query: URLSearchParams): WireReply {
  const pageSize = Math.min(1000, Math.max(1, Number(query.get('pageSize') ?? '50') || 50));
  const offset = Math.max(0, Number(query.get('pageToken') ?? '0') || 0);
  const page = models.slice(offset, offset + pageSize);
  const next = offset + pageSize < models.length ? { nextPageToken: String(offset + pageSize) } : {};
  return { status: 200, body: { models: page.map(modelResource), ...next } };
}

function responseOf(input: ChatReplyInput, text: string, isLast: boolean): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { parts: [{ text }], role: 'model' }, index: 0 };
  const usageMetadata: Record<string, unknown> = {
    promptTokenCount: input.inputTokens,
    totalTokenCount: input.inputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: input.inputTokens }],
  };
  if (isLast) {
    candidate['finishReason'] = 'STOP';
    usageMetadata['candidatesTokenCount'] = input.outputTokens;
    usageMetadata['totalTokenCount'] = input.inputTokens + input.outputTokens;
  }
  return {
    candidates: [candidate],
    usageMetadata,
    modelVersion: input.model,
    responseId: `fake${String(input.requestId).padStart(6, '0')}`,
  };
}

/** In-stream errors carry the same `{ code, message, status }` object as HTTP errors, in that order. */
const STREAM_ERRORS: Record<StreamErrorKind, { code: number; message: string; status: string }> = {
  auth: {
    code: 401,
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    status: 'UNAUTHENTICATED',
  },
  rate_limited: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
  overloaded: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
  bad_request: {
    code: 400,
    message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
    status: 'INVALID_ARGUMENT',
  },
};

/**
 * `alt=sse` streams one GenerateContentResponse per event, the last carrying finishReason
 * and the full usage. Without it the API streams a single JSON array, element by element.
 */
function streamPlanOf(input: ChatReplyInput, sse: boolean): StreamPlan {
  if (sse) {
    return {
      contentType: SSE_CONTENT_TYPE,
      preamble: [],
      chunk: (_index, text, isLast) => [sseFrame(responseOf(input, text, isLast), { newline: '\r\n' })],
      epilogue: [],
      // A failure after the answer began is an event carrying the error body of an HTTP error.
      error: (error) => [sseFrame({ error: STREAM_ERRORS[error] }, { newline: '\r\n' })],
    };
  }
  return {
    contentType: 'application/json; charset=UTF-8',
    preamble: ['['],
    chunk: (index, text, isLast) => [`${index === 0 ? '' : ',\r\n'}${JSON.stringify(responseOf(input, text, isLast))}`],
    epilogue: [']'],
    // The array mode ends with the error body as its last element.
    error: (error, chunksSent) => [`${chunksSent === 0 ? '' : ',\r\n'}${JSON.stringify({ error: STREAM_ERRORS[error] })}`, ']'],
  };
}

function generateOperation(model: string, method: string, body: unknown, query: URLSearchParams): Operation {
  const request = asObject(body);
  const contents = request?.['contents'];
  if (request === null || !Array.isArray(contents) || contents.length === 0) {
    return {
      kind: 'reject',
      reply: googleError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified\n'),
    };
  }
  return {
    kind: 'chat',
    model,
    stream: method === 'streamGenerateContent',
    prompt: [request['systemInstruction'] ?? null, contents],
    reply: (input) => ({ status: 200, body: responseOf(input, input.chunks.join(''), true) }),
    streamPlan: (input) => streamPlanOf(input, query.get('alt') === 'sse'),
  };
}

export const geminiProtocol: WireProtocol = {
  family: 'gemini',

  readKey(headers: IncomingHttpHeaders, query: URLSearchParams): PresentedKey {
    const fromHeader = header(headers['x-goog-api-key']);
    if (fromHeader !== null) return { key: fromHeader, source: 'x-goog-api-key' };
    const fromQuery = query.get('key');
    return fromQuery ? { key: fromQuery, source: 'query' } : { key: null, source: null };
  },

  // Google answers a wrong key with 400, and a missing one with 403; neither is a 401.
  unauthorized: (presented) =>
    presented.key === null
      ? googleError(
          403,
          'PERMISSION_DENIED',
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        )
      : googleError(400, 'INVALID_ARGUMENT', API_KEY_INVALID_MESSAGE, [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
          { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: API_KEY_INVALID_MESSAGE },
        ]),

  rateLimited: (retryAfterSeconds) =>
    googleError(
      429,
      'RESOURCE_EXHAUSTED',
      'Resource has been exhausted (e.g. check quota).',
      [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }],
      { 'retry-after': String(retryAfterSeconds) },
    ),

  serverError: () => googleError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report it.'),

  badRequest: (message) => googleError(400, 'INVALID_ARGUMENT', message),

  checkHeaders: () => null,

  operation({ method, path, query, body, models }: OperationRequest): Operation {
    const list = /^\/v1(?:beta|alpha)?\/models$/.exec(path);
    if (method === 'GET' && list) {
      return { kind: 'models', reply: modelsPage(models, query) };
    }
    const generate = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
    if (method === 'POST' && generate) {
      return generateOperation(decodeURIComponent(generate[1]), generate[2], body, query);
    }
    const get = /^\/v1(?:beta|alpha)?\/models\/([^/:]+)$/.exec(path);
    if (method === 'GET' && get) {
      const id = decodeURIComponent(get[1]);
      return models.includes(id)
        ? { kind: 'models', reply: { status: 200, body: modelResource(id) } }
        : { kind: 'reject', reply: googleError(404, 'NOT_FOUND', `models/${id} is not found for API version v1beta.`) };
    }
    return { kind: 'reject', reply: googleError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`) };
  },
};
