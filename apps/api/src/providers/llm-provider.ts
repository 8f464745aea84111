import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import type { ChatFinish, ChatRequest, TextSink, ModelInfo, ProviderAdapter, ProviderTarget } from './provider-adapter';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-failure';

/**
 * A provider bound to one request's key: the configured provider, the key, and its family's
 * adapter, which it calls directly. Frozen once built, so a provider made for one user can
 * never be handed another user's key; `setApiKey` returns a new binding instead.
 */
export class LlmProvider implements ProviderTarget {
  constructor(
    readonly config: ProviderConfig,
    readonly apiKey: Secret | null,
    private readonly adapter: ProviderAdapter,
  ) {
    Object.freeze(this);
  }

  get id(): string {
    return this.config.id;
  }

  /** The same provider with another key, as a new binding; this one is left as it was. */
  setApiKey(apiKey: Secret | null): LlmProvider {
    return new LlmProvider(this.config, apiKey, this.adapter);
  }

  listModels(signal: AbortSignal): Promise<ModelInfo[]> {
    return this.adapter.listModels(this, signal);
  }

  streamChat(request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
    return this.adapter.streamChat(this, request, signal, onText);
  }

  /** What an error from this provider means, by the one mapping every caller shares. */
  classifyError(error: unknown): UpstreamFailure {
    return classifyUpstreamError(error, this.config.family);
  }
}

/** A model of a provider with the key bound: what a chat stream is run against. */
export class ChatModel {
  constructor(
    readonly provider: LlmProvider,
    readonly model: string,
  ) {
    Object.freeze(this);
  }

  stream(request: Omit<ChatRequest, 'model'>, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
    return this.provider.streamChat({ ...request, model: this.model }, signal, onText);
  }
}
