import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import type {
  ChatRequest,
  ChatStreamEvent,
  ModelInfo,
  ProviderClient,
  UpstreamFailure,
} from './clients/provider-client';

/**
 * A provider bound to one request's key. Instances are made per request by ProviderFactory and
 * dropped with it; the key is injected at run time through `setApiKey` or the `apiKey` setter.
 */
export class LlmProvider {
  #apiKey: Secret | null = null;

  constructor(
    readonly config: ProviderConfig,
    private readonly client: ProviderClient,
  ) {}

  get id(): string {
    return this.config.id;
  }

  get apiKey(): Secret | null {
    return this.#apiKey;
  }

  set apiKey(key: Secret | null) {
    this.#apiKey = key;
  }

  setApiKey(key: Secret | null): this {
    this.#apiKey = key;
    return this;
  }

  listModels(signal: AbortSignal): Promise<ModelInfo[]> {
    return this.client.listModels(this.target(), signal);
  }

  streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    return this.client.streamChat(this.target(), request, signal);
  }

  classifyError(error: unknown): UpstreamFailure {
    return this.client.classifyError(error);
  }

  private target() {
    return { config: this.config, apiKey: this.#apiKey };
  }
}

/** A model of a provider with the key bound: what a chat stream is run against. */
export class ChatModel {
  constructor(
    readonly provider: LlmProvider,
    readonly model: string,
  ) {}

  stream(request: Omit<ChatRequest, 'model'>, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    return this.provider.streamChat({ ...request, model: this.model }, signal);
  }
}
