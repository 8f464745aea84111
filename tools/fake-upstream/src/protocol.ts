import type { IncomingHttpHeaders } from 'node:http';
import type { StreamErrorKind } from './failures';

/** The three wire formats the fake speaks; every OpenAI-compatible provider uses `openai`. */
export type WireFamily = 'openai' | 'anthropic' | 'gemini';

/** Where a request carried its key, so tests can tell `x-api-key` from `Authorization: Bearer`. */
export type KeySource = 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query';

export interface PresentedKey {
  key: string | null;
  source: KeySource | null;
}

/** A complete non-streaming answer: status, JSON body, extra headers. */
export interface WireReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The frames of one streamed answer, already serialized; the stream runner only paces them. */
export interface StreamPlan {
  contentType: string;
  headers?: Record<string, string>;
  preamble: string[];
  chunk(index: number, text: string, isLast: boolean): string[];
  epilogue: string[];
  /**
   * The frames that report `error` inside the stream after `chunksSent` content chunks, in
   * place of the epilogue; the response ends after them.
   */
  error(error: StreamErrorKind, chunksSent: number): string[];
}

/** What a chat answer is built from; the same for every wire format. */
export interface ChatReplyInput {
  requestId: number;
  /** The provider id the request came in under; OpenAI-compatible servers differ from OpenAI in places. */
  provider: string;
  model: string;
  chunks: readonly string[];
  inputTokens: number;
  outputTokens: number;
  createdAtSeconds: number;
}

export type Operation =
  | { kind: 'models'; reply: WireReply }
  | {
      kind: 'chat';
      model: string;
      stream: boolean;
      /** The request body's prompt part, for a deterministic input-token count. */
      prompt: unknown;
      reply(input: ChatReplyInput): WireReply;
      streamPlan(input: ChatReplyInput): StreamPlan;
    }
  | { kind: 'reject'; reply: WireReply };

export interface OperationRequest {
  method: string;
  /** The path after the provider prefix, e.g. `/chat/completions` or `/v1/messages`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  models: readonly string[];
  requestId: number;
}

/** One provider wire format: how it carries keys, how it fails, and what it answers. */
export interface WireProtocol {
  family: WireFamily;
  readKey(headers: IncomingHttpHeaders, query: URLSearchParams): PresentedKey;
  unauthorized(presented: PresentedKey): WireReply;
  rateLimited(retryAfterSeconds: number): WireReply;
  serverError(): WireReply;
  badRequest(message: string): WireReply;
  /** Header checks the real API makes before routing (Anthropic requires `anthropic-version`). */
  checkHeaders(headers: IncomingHttpHeaders): WireReply | null;
  operation(request: OperationRequest): Operation;
}
