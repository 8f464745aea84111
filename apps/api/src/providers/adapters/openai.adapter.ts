import { Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ChatFinish, ChatRequest, TextSink, ModelInfo, ProviderAdapter, ProviderTarget } from '../provider-adapter';
import { isCutStream, streamEvents } from '../wire/event-stream';
import { UpstreamError } from '../wire/upstream-error';
import { UpstreamHttp } from '../wire/upstream-http';

/**
 * OpenAI and every OpenAI-compatible endpoint (Ollama, admin-defined providers). Chat streams
 * read the Chat Completions SSE directly, with the SDK's chunk types; models are listed through
 * the SDK. apps/api/test/conformance replays the same transcripts through both and requires one result.
 */
@Injectable()
export class OpenAiAdapter implements ProviderAdapter {
  readonly family = 'openai' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const page = await this.sdk(target).models.list({ signal });
    return page.data.map((model) => ({ id: model.id, name: model.id }));
  }

  async streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
    const params: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: [...request.messages],
      max_completion_tokens: request.maxTokens,
      temperature: request.temperature,
      stream: true,
      stream_options: { include_usage: true },
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    // A keyless provider (a local Ollama) gets no Authorization header at all.
    if (target.apiKey) headers['authorization'] = `Bearer ${target.apiKey.reveal()}`;
    const url = new URL(`${target.config.baseUrl}/chat/completions`);
    const finish: ChatFinish = { finishReason: 'stop' };
    // The answer is complete with its usage chunk (or [DONE]); a connection cut after that loses nothing.
    let complete = false;
    let done = false;
    try {
      await streamEvents(this.http, url, headers, JSON.stringify(params), signal, (event) => {
        // Read to the end of the body, so the connection goes back to the pool; nothing after [DONE] counts.
        if (done) return;
        if (event.data.startsWith('[DONE]')) {
          done = true;
          complete = true;
          return;
        }
        const chunk = JSON.parse(event.data) as ChatCompletionChunk | StreamedError;
        if (isStreamedError(event.event, chunk)) throw new UpstreamError('stream', undefined, chunk.error ?? chunk);
        const choice = chunk.choices?.[0];
        if (choice?.delta?.content) onText(choice.delta.content);
        if (choice?.finish_reason) finish.finishReason = choice.finish_reason;
        if (chunk.usage) {
          finish.usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
          complete = true;
        }
      });
    } catch (error) {
      if (!(complete && isCutStream(error))) throw error;
    }
    signal.throwIfAborted();
    return finish;
  }

  private sdk({ config, apiKey }: ProviderTarget): OpenAI {
    return new OpenAI({
      // Always explicit: left undefined, the SDK would fall back to the process's OPENAI_API_KEY.
      apiKey: apiKey?.reveal() ?? 'no-key',
      baseURL: config.baseUrl,
      maxRetries: 0,
      defaultHeaders: apiKey ? undefined : { Authorization: null },
    });
  }
}

/** A failure reported inside the 200 stream: `{"error": {...}}` (OpenAI, OpenRouter, proxies) or older vLLM's flat `{"object": "error", ...}`. */
interface StreamedError {
  object?: string;
  error?: unknown;
  choices?: undefined;
  usage?: undefined;
}

function isStreamedError(eventName: string | undefined, chunk: ChatCompletionChunk | StreamedError): chunk is StreamedError {
  return eventName === 'error' || ('error' in chunk && chunk.error !== undefined) || chunk.object === 'error';
}
