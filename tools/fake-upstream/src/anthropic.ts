import type { IncomingHttpHeaders } from 'node:http';
import type { StreamErrorKind } from './failures';
import { asObject, bearerToken, header, stringField } from './json-body';
import { MODEL_CREATED_AT_ISO, displayNameOf } from './model-names';
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

function anthropicError(status: number, type: string, message: string, headers?: Record<string, string>): WireReply {
  return { status, body: { type: 'error', error: { type, message } }, headers };
}

function messageId(requestId: number): string {
  return `msg_fake${String(requestId).padStart(6, '0')}`;
}

function modelInfo(id: string): Record<string, unknown> {
  return {
    type: 'model',
    id,
    display_name: displayNameOf(id),
    created_at: MODEL_CREATED_AT_ISO,
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    retires_at: null,
  };
}

/** `GET /v1/models` pages with `limit` and the `after_id`/`before_id` cursors the SDK follows. */
function modelsPage(models: readonly string[], query: URLSearchParams): WireReply {
  const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? '20') || 20));
  const afterId = query.get('after_id');
  const beforeId = query.get('before_id');
  let start = 0;
  let end = models.length;
  if (afterId !== null) start = models.indexOf(afterId) + 1;
  if (beforeId !== null) end = Math.max(0, models.indexOf(beforeId));
  const page = beforeId !== null ? models.slice(Math.max(start, end - limit), end) : models.slice(start, Math.min(end, start + limit));
  const hasMore = beforeId !== null ? end - limit > start : start + limit < end;
  return {
    status: 200,
    body: {
      data: page.map(modelInfo),
      has_more: hasMore,
      first_id: page[0] ?? null,
      last_id: page[page.length - 1] ?? null,
    },
  };
}

function usageOf(input: ChatReplyInput): Record<string, unknown> {
  return {
    input_tokens: input.inputTokens,
    output_tokens: input.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function messageReply(input: ChatReplyInput): WireReply {
  return {
    status: 200,
    body: {
      id: messageId(input.requestId),
      type: 'message',
      role: 'assistant',
      model: input.model,
      content: [{ type: 'text', text: input.chunks.join('') }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: usageOf(input),
    },
  };
}

const STREAM_ERRORS: Record<StreamErrorKind, { type: string; message: string }> = {
  auth: { type: 'authentication_error', message: 'invalid x-api-key' },
  rate_limited: {
    type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization. Please try again later.',
  },
  overloaded: { type: 'overloaded_error', message: 'Overloaded' },
  bad_request: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
};

/**
 * The event flow of the Messages streaming reference: message_start, content_block_start,
 * ping, one content_block_delta per chunk, content_block_stop, message_delta carrying the
 * stop reason and output tokens, message_stop.
 */
function messageStreamPlan(input: ChatReplyInput): StreamPlan {
  const event = (type: string, data: Record<string, unknown>): string => sseFrame({ type, ...data }, { event: type });
  return {
    contentType: SSE_CONTENT_TYPE,
    preamble: [
      event('message_start', {
        message: {
          id: messageId(input.requestId),
          type: 'message',
          role: 'assistant',
          model: input.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usageOf(input), output_tokens: 1 },
        },
      }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('ping', {}),
    ],
    chunk: (_index, text) => [event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })],
    epilogue: [
      event('content_block_stop', { index: 0 }),
      event('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: input.outputTokens },
      }),
      event('message_stop', {}),
    ],
    // The reference's `event: error`, with the body of an HTTP error; nothing follows it.
    error: (error) => [event('error', { error: STREAM_ERRORS[error] })],
  };
}

function messagesOperation(body: unknown): Operation {
  const request = asObject(body);
  if (request === null) {
    return { kind: 'reject', reply: anthropicError(400, 'invalid_request_error', 'The request body is not valid JSON.') };
  }
  const model = stringField(request, 'model');
  if (model === null) {
    return { kind: 'reject', reply: anthropicError(400, 'invalid_request_error', 'model: Field required') };
  }
  if (typeof request['max_tokens'] !== 'number') {
    return { kind: 'reject', reply: anthropicError(400, 'invalid_request_error', 'max_tokens: Field required') };
  }
  const messages = request['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    return { kind: 'reject', reply: anthropicError(400, 'invalid_request_error', 'messages: Field required') };
  }
  return {
    kind: 'chat',
    model,
    stream: request['stream'] === true,
    prompt: [request['system'] ?? null, messages],
    reply: messageReply,
    streamPlan: messageStreamPlan,
  };
}

export const anthropicProtocol: WireProtocol = {
  family: 'anthropic',

  // The API reference names `x-api-key`; the SDK at hand sends `Authorization: Bearer` instead.
  readKey(headers: IncomingHttpHeaders): PresentedKey {
    const apiKey = header(headers['x-api-key']);
    if (apiKey !== null) return { key: apiKey, source: 'x-api-key' };
    const bearer = bearerToken(headers.authorization);
    return { key: bearer, source: bearer === null ? null : 'authorization' };
  },

  unauthorized: (presented) =>
    anthropicError(401, 'authentication_error', presented.key === null ? 'x-api-key header is required' : 'invalid x-api-key'),

  rateLimited: (retryAfterSeconds) =>
    anthropicError(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization. Please try again later.', {
      'retry-after': String(retryAfterSeconds),
      'anthropic-ratelimit-requests-remaining': '0',
    }),

  serverError: () => anthropicError(500, 'api_error', 'Internal server error'),

  badRequest: (message) => anthropicError(400, 'invalid_request_error', message),

  checkHeaders: (headers) =>
    header(headers['anthropic-version']) === null
      ? anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required')
      : null,

  operation({ method, path, query, body, models }: OperationRequest): Operation {
    if (method === 'GET' && path === '/v1/models') {
      return { kind: 'models', reply: modelsPage(models, query) };
    }
    const modelPath = /^\/v1\/models\/(.+)$/.exec(path);
    if (method === 'GET' && modelPath) {
      const id = decodeURIComponent(modelPath[1]);
      return models.includes(id)
        ? { kind: 'models', reply: { status: 200, body: modelInfo(id) } }
        : { kind: 'reject', reply: anthropicError(404, 'not_found_error', `model: ${id}`) };
    }
    if (method === 'POST' && path === '/v1/messages') {
      return messagesOperation(body);
    }
    return { kind: 'reject', reply: anthropicError(404, 'not_found_error', 'Not Found') };
  },
};
