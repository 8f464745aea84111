import type { IncomingHttpHeaders } from 'node:http';
import type { StreamErrorKind } from './failures';
import { asObject, bearerToken, stringField } from './json-body';
import { MODEL_CREATED_AT_SECONDS } from './model-names';
import type { ChatReplyInput, Operation, OperationRequest, StreamPlan, WireProtocol, WireReply } from './protocol';
import { SSE_CONTENT_TYPE, sseFrame } from './sse';

const SYSTEM_FINGERPRINT = 'fp_fake_upstream';

function openAiErrorBody(message: string, type: string, code: string | null, param: string | null = null): Record<string, unknown> {
  return { error: { message, type, param, code } };
}

function openAiError(status: number, message: string, type: string, code: string | null, param: string | null = null): WireReply {
  return { status, body: openAiErrorBody(message, type, code, param) };
}

function completionId(requestId: number): string {
  return `chatcmpl-fake${String(requestId).padStart(6, '0')}`;
}

function usageOf(input: ChatReplyInput): Record<string, number> {
  return {
    prompt_tokens: input.inputTokens,
    completion_tokens: input.outputTokens,
    total_tokens: input.inputTokens + input.outputTokens,
  };
}

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: MODEL_CREATED_AT_SECONDS, owned_by: 'fake-upstream' };
}

function chatReply(input: ChatReplyInput): WireReply {
  return {
    status: 200,
    body: {
      id: completionId(input.requestId),
      object: 'chat.completion',
      created: input.createdAtSeconds,
      model: input.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: input.chunks.join(''), refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: usageOf(input),
    },
  };
}

/**
 * OpenAI's own in-stream error: the `error` object its HTTP errors carry, alone in a data
 * event. Upstream the auth message quotes a masked key; the fake never repeats any of it.
 */
function openAiStreamError(error: StreamErrorKind, model: string): Record<string, unknown> {
  switch (error) {
    case 'auth':
      return openAiErrorBody(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 'rate_limited':
      return openAiErrorBody(
        `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 'overloaded':
      return openAiErrorBody(
        'That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists.',
        'server_error',
        null,
      );
    case 'bad_request':
      return openAiErrorBody(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      );
  }
}

/**
 * An OpenAI-compatible router's in-stream error, as OpenRouter documents it: the HTTP status
 * the failure would have had as a numeric `code`, a message, optional `metadata`.
 */
function compatibleStreamError(error: StreamErrorKind): Record<string, unknown> {
  switch (error) {
    case 'auth':
      return { error: { code: 401, message: 'User not found.' } };
    case 'rate_limited':
      return {
        error: {
          code: 429,
          message: 'Rate limit exceeded: free-models-per-min.',
          metadata: { headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0' } },
        },
      };
    case 'overloaded':
      return {
        error: {
          code: 502,
          message: 'Provider returned error',
          metadata: { provider_name: 'fake-upstream', raw: 'The model is overloaded. Please try again later.' },
        },
      };
    case 'bad_request':
      return {
        error: {
          code: 400,
          message: "This endpoint's maximum context length is 131072 tokens. However, you requested about 140000 tokens. Please reduce the length of the messages.",
        },
      };
  }
}

/**
 * What an error inside the stream looks like: OpenAI's own format for `openai`, a router's
 * numeric-code format for every compatible provider, which (like vLLM) still ends with `[DONE]`.
 */
function streamErrorFrames(input: ChatReplyInput, error: StreamErrorKind): string[] {
  if (input.provider === 'openai') {
    return [sseFrame(openAiStreamError(error, input.model))];
  }
  return [sseFrame(compatibleStreamError(error)), sseFrame('[DONE]')];
}

/**
 * The chunk sequence of the Chat Completions streaming reference: a role delta, content
 * deltas, a delta with finish_reason, the usage chunk with empty choices when
 * `stream_options.include_usage` is set (every other chunk then carries `usage: null`),
 * and `[DONE]`.
 */
function chatStreamPlan(input: ChatReplyInput, includeUsage: boolean): StreamPlan {
  const chunkOf = (choices: unknown[], usage?: Record<string, number>): string => {
    const chunk: Record<string, unknown> = {
      id: completionId(input.requestId),
      object: 'chat.completion.chunk',
      created: input.createdAtSeconds,
      model: input.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices,
    };
    if (includeUsage) {
      chunk['usage'] = usage ?? null;
    }
    return sseFrame(chunk);
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const epilogue = [chunkOf([choice({}, 'stop')])];
  if (includeUsage) {
    epilogue.push(chunkOf([], usageOf(input)));
  }
  epilogue.push(sseFrame('[DONE]'));
  return {
    contentType: SSE_CONTENT_TYPE,
    preamble: [chunkOf([choice({ role: 'assistant', content: '', refusal: null }, null)])],
    chunk: (_index, text) => [chunkOf([choice({ content: text }, null)])],
    epilogue,
    error: (error) => streamErrorFrames(input, error),
  };
}

function chatOperation(body: unknown): Operation {
  const request = asObject(body);
  if (request === null) {
    return { kind: 'reject', reply: openAiError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null) };
  }
  const model = stringField(request, 'model');
  if (model === null) {
    return { kind: 'reject', reply: openAiError(400, 'you must provide a model parameter', 'invalid_request_error', null) };
  }
  const messages = request['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    return {
      kind: 'reject',
      reply: openAiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages'),
    };
  }
  const includeUsage = asObject(request['stream_options'])?.['include_usage'] === true;
  return {
    kind: 'chat',
    model,
    stream: request['stream'] === true,
    prompt: messages,
    reply: chatReply,
    streamPlan: (input) => chatStreamPlan(input, includeUsage),
  };
}

export const openAiProtocol: WireProtocol = {
  family: 'openai',

  readKey(headers: IncomingHttpHeaders) {
    const key = bearerToken(headers.authorization);
    return { key, source: key === null ? null : 'authorization' };
  },

  // The real message quotes a masked key; the fake never repeats any part of it.
  unauthorized: () => openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),

  rateLimited: (retryAfterSeconds) => ({
    ...openAiError(429, 'Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'),
    headers: {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': `${retryAfterSeconds}s`,
    },
  }),

  serverError: () =>
    openAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null),

  badRequest: (message) => openAiError(400, message, 'invalid_request_error', null),

  checkHeaders: () => null,

  operation({ method, path, body, models }: OperationRequest): Operation {
    if (method === 'GET' && path === '/models') {
      return { kind: 'models', reply: { status: 200, body: { object: 'list', data: models.map(modelObject) } } };
    }
    const modelPath = /^\/models\/(.+)$/.exec(path);
    if (method === 'GET' && modelPath) {
      const id = decodeURIComponent(modelPath[1]);
      return models.includes(id)
        ? { kind: 'models', reply: { status: 200, body: modelObject(id) } }
        : {
            kind: 'reject',
            reply: openAiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model'),
          };
    }
    if (method === 'POST' && path === '/chat/completions') {
      return chatOperation(body);
    }
    return { kind: 'reject', reply: openAiError(404, `Invalid URL (${method} /v1${path})`, 'invalid_request_error', null) };
  },
};
