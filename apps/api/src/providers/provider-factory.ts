import { Injectable } from '@nestjs/common';
import type { ProviderFamily } from '@byok/contracts';
import type { Secret } from '../common/secret';
import type { ProviderConfig } from '../config/app-config';
import { AnthropicAdapter } from './adapters/anthropic.adapter';
import { GeminiAdapter } from './adapters/gemini.adapter';
import { OpenAiAdapter } from './adapters/openai.adapter';
import type { ProviderAdapter } from './provider-adapter';
import { ChatModel, LlmProvider } from './llm-provider';

/**
 * Binds a provider, already looked up by the caller, to the key chosen for one request. The
 * binding is the whole path to the provider: it calls its family's adapter, nothing between.
 */
@Injectable()
export class ProviderFactory {
  private readonly adapters: Record<ProviderFamily, ProviderAdapter>;

  constructor(openai: OpenAiAdapter, anthropic: AnthropicAdapter, gemini: GeminiAdapter) {
    this.adapters = { openai, 'openai-compatible': openai, anthropic, gemini };
  }

  withApiKey(provider: ProviderConfig, apiKey: Secret | null): LlmProvider {
    return new LlmProvider(provider, apiKey, this.adapters[provider.family]);
  }

  chatModelWithApiKey(provider: ProviderConfig, model: string, apiKey: Secret | null): ChatModel {
    return new ChatModel(this.withApiKey(provider, apiKey), model);
  }
}
