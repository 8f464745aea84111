import { Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { classifyHttpFailure } from './http-failure';
import type {
  ChatRequest,
  ChatStreamEvent,
  ModelInfo,
  ProviderClient,
  ProviderTarget,
  UpstreamFailure,
} from './provider-client';

/** OpenAI and every OpenAI-compatible endpoint (Ollama, admin-defined providers), through the official SDK. */
@Injectable()
export class OpenAiClient implements ProviderClient {
  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const page = await this.sdk(target).models.list({ signal });
    return page.data.map((model) => ({ id: model.id, name: model.id }));
  }

  async *streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const stream = await this.sdk(target).chat.completions.create(
      {
        model: request.model,
        messages: request.messages satisfies ChatCompletionMessageParam[],
        max_completion_tokens: request.maxTokens,
        temperature: request.temperature,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    );
    let finishReason = 'stop';
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content) {
        yield { type: 'text', text: choice.delta.content };
      }
      if (choice?.finish_reason) {
        finishReason = choice.finish_reason;
      }
      if (chunk.usage) {
        signal.throwIfAborted();
        yield {
          type: 'finish',
          finishReason,
          usage: { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens },
        };
        return;
      }
    }
    // The SDK ends the iteration quietly on abort; an aborted stream must not look finished.
    signal.throwIfAborted();
    yield { type: 'finish', finishReason };
  }

  classifyError(error: unknown): UpstreamFailure {
    return classifyHttpFailure(error);
  }

  private sdk({ config, apiKey }: ProviderTarget): OpenAI {
    return new OpenAI({
      // Always explicit: left undefined, the SDK would fall back to the process's OPENAI_API_KEY.
      apiKey: apiKey?.reveal() ?? 'no-key',
      baseURL: config.baseUrl,
      maxRetries: 0,
      // A keyless provider (a local Ollama) gets no Authorization header at all.
      defaultHeaders: apiKey ? undefined : { Authorization: null },
    });
  }
}
