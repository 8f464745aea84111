import type { KeyValidationFailure } from '@byok/contracts';
import type { Secret } from '../../common/secret';
import type { ProviderConfig } from '../../config/app-config';

/** The provider and the key one call is made with; built per request, never cached. */
export interface ProviderTarget {
  config: ProviderConfig;
  apiKey: Secret | null;
}

export interface ModelInfo {
  id: string;
  name: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
}

export interface ChatUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export type ChatStreamEvent =
  | { type: 'text'; text: string }
  | { type: 'finish'; finishReason: string; usage?: ChatUsage };

/** How an upstream failure reads to a user, whatever SDK raised it. */
export type UpstreamFailureKind = 'auth' | 'rate_limited' | 'unreachable' | 'timeout' | 'aborted' | 'bad_request' | 'upstream';

export interface UpstreamFailure {
  kind: UpstreamFailureKind;
  status?: number;
  retryAfterSeconds?: number;
}

/**
 * One client per wire protocol (a "provider family"). Clients are stateless singletons: the key
 * and base URL arrive with every call, so nothing a user supplies outlives their request.
 */
export interface ProviderClient {
  listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]>;
  streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent>;
  classifyError(error: unknown): UpstreamFailure;
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
