import { Module } from '@nestjs/common';
import { AnthropicClient } from './clients/anthropic.client';
import { GeminiClient } from './clients/gemini.client';
import { OpenAiClient } from './clients/openai.client';
import { ProviderFactory } from './provider-factory';
import { ProviderRegistry } from './provider-registry';

@Module({
  providers: [ProviderRegistry, ProviderFactory, OpenAiClient, AnthropicClient, GeminiClient],
  exports: [ProviderRegistry, ProviderFactory],
})
export class ProvidersModule {}
