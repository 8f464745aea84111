import type { ProviderFamily } from '@byok/contracts';
import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';

/** The provider and the key one call is made with; built per request, never cached. */
export interface ProviderTarget {
  readonly config: ProviderConfig;
  readonly apiKey: Secret | null;
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
  messages: readonly ChatMessage[];
  maxTokens?: number;
  temperature?: number;
}

export interface ChatUsage {
  inputTokens?: number;
  outputTokens?: number;
}

/** How a stream ended when it ended well. */
export interface ChatFinish {
  finishReason: string;
  usage?: ChatUsage;
}

/**
 * Receives a stream's text as it arrives, one call per delta: the hot path allocates nothing
 * per chunk beyond the text itself (no iterator result, no event object).
 */
export type TextSink = (text: string) => void;

/**
 * One adapter per wire protocol (a "provider family"). Adapters are stateless singletons: the
 * key and base URL arrive with every call, so nothing a user supplies outlives their request.
 * Chat streams read the provider's HTTP directly (see wire/); listing models uses the SDK.
 */
export interface ProviderAdapter {
  readonly family: ProviderFamily;
  listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]>;
  streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish>;
}
