import { Injectable } from '@nestjs/common';
import type { ProviderFamily } from '@byok/contracts';
import type { Secret } from '../common/secret';
import { AnthropicClient } from './clients/anthropic.client';
import { GeminiClient } from './clients/gemini.client';
import { OpenAiClient } from './clients/openai.client';
import type { ProviderClient } from './clients/provider-client';
import { ChatModel, LlmProvider } from './llm-provider';
import { ProviderRegistry } from './provider-registry';

/** Builds per-request providers and chat models with the key chosen for that request. */
@Injectable()
export class ProviderFactory {
  private readonly clients: Record<ProviderFamily, ProviderClient>;

  constructor(
    private readonly registry: ProviderRegistry,
    openai: OpenAiClient,
    anthropic: AnthropicClient,
    gemini: GeminiClient,
  ) {
    this.clients = { openai, 'openai-compatible': openai, anthropic, gemini };
  }

  /** A fresh provider instance holding `apiKey`; throws 404 for an unknown provider id. */
  withApiKey(providerId: string, apiKey: Secret | null): LlmProvider {
    const config = this.registry.get(providerId);
    return new LlmProvider(config, this.clients[config.family]).setApiKey(apiKey);
  }

  chatModelWithApiKey(providerId: string, model: string, apiKey: Secret | null): ChatModel {
    return new ChatModel(this.withApiKey(providerId, apiKey), model);
  }
}
