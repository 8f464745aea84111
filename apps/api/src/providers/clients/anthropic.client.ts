import Anthropic from '@anthropic-ai/sdk';
import { Injectable } from '@nestjs/common';
import { classifyHttpFailure } from './http-failure';
import type {
  ChatRequest,
  ChatStreamEvent,
  ModelInfo,
  ProviderClient,
  ProviderTarget,
  UpstreamFailure,
} from './provider-client';

/** Anthropic's Messages API requires max_tokens; this is used when the request sets none. */
const DEFAULT_MAX_TOKENS = 4096;

@Injectable()
export class AnthropicClient implements ProviderClient {
  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const page = await this.sdk(target).models.list({ limit: 100 }, { signal });
    return page.data.map((model) => ({ id: model.id, name: model.display_name }));
  }

  async *streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const stream = await this.sdk(target).messages.create(
      {
        model: request.model,
        max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
        system: system || undefined,
        messages: request.messages
          .filter((message) => message.role !== 'system')
          .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content })),
        stream: true,
      },
      { signal },
    );
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let finishReason = 'end_turn';
    for await (const event of stream) {
      if (event.type === 'message_start') {
        inputTokens = event.message.usage.input_tokens;
      } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        yield { type: 'text', text: event.delta.text };
      } else if (event.type === 'message_delta') {
        finishReason = event.delta.stop_reason ?? finishReason;
        outputTokens = event.usage.output_tokens;
      }
    }
    // The SDK ends the iteration quietly on abort; an aborted stream must not look finished.
    signal.throwIfAborted();
    yield { type: 'finish', finishReason, usage: { inputTokens, outputTokens } };
  }

  classifyError(error: unknown): UpstreamFailure {
    return classifyHttpFailure(error);
  }

  private sdk({ config, apiKey }: ProviderTarget): Anthropic {
    return new Anthropic({
      // Always explicit: left undefined, the SDK would fall back to the process's ANTHROPIC_API_KEY.
      apiKey: apiKey?.reveal() ?? null,
      authToken: null,
      baseURL: config.baseUrl,
      maxRetries: 0,
    });
  }
}
