import { Module } from '@nestjs/common';
import { AnthropicAdapter } from './adapters/anthropic.adapter';
import { GeminiAdapter } from './adapters/gemini.adapter';
import { OpenAiAdapter } from './adapters/openai.adapter';
import { ProviderFactory } from './provider-factory';
import { ProviderRegistry } from './provider-registry';
import { UpstreamHttp } from './wire/upstream-http';

@Module({
  providers: [ProviderRegistry, ProviderFactory, UpstreamHttp, OpenAiAdapter, AnthropicAdapter, GeminiAdapter],
  exports: [ProviderRegistry, ProviderFactory],
})
export class ProvidersModule {}
