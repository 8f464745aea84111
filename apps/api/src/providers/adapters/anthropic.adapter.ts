import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsStreaming, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { Injectable } from '@nestjs/common';
import type { ChatFinish, ChatRequest, TextSink, ModelInfo, ProviderAdapter, ProviderTarget } from '../provider-adapter';
import { isCutStream, streamEvents } from '../wire/event-stream';
import { parseErrorBody, UpstreamError } from '../wire/upstream-error';
import { UpstreamHttp } from '../wire/upstream-http';

/** Anthropic's Messages API requires max_tokens; this is used when the request sets none. */
const DEFAULT_MAX_TOKENS = 4096;
/** The Messages API version the SDK speaks, sent the same way, so both read the same wire format. */
const ANTHROPIC_VERSION = '2026-10-21';

/**
 * Anthropic's Messages API. Chat streams read its SSE directly, with the SDK's event types;
 * models are listed through the SDK.
 */
@Injectable()
export class AnthropicAdapter implements ProviderAdapter {
  readonly family = 'anthropic' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const page = await this.sdk(target).models.list({ limit: 100 }, { signal });
    return page.data.map((model) => ({ id: model.id, name: model.display_name }));
  }

  async streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const params: MessageCreateParamsStreaming = {
      model: request.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      system: system || undefined,
      messages: request.messages
        .filter((message) => message.role !== 'system')
        .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content })),
      // No temperature: this API version refuses it (ChatService turns such a request away first).
      stream: true,
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    // As the SDK sends it since 1.0; the API also takes x-api-key.
    if (target.apiKey) headers['authorization'] = `Bearer ${target.apiKey.reveal()}`;
    const url = new URL(`${target.config.baseUrl}/v1/messages`);
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let finishReason = 'end_turn';
    // message_stop ends the answer; a connection cut after it loses nothing.
    let complete = false;
    try {
      await streamEvents(this.http, url, headers, JSON.stringify(params), signal, (event) => {
        // As the SDK: unnamed events and pings carry nothing; an error event ends the stream.
        if (!event.event || event.event === 'ping') return;
        if (event.event === 'error') throw new UpstreamError('stream', undefined, parseErrorBody(event.data));
        if (!event.data) return;
        const data = JSON.parse(event.data) as RawMessageStreamEvent;
        if (data.type === 'message_start') {
          inputTokens = data.message.usage.input_tokens;
        } else if (data.type === 'content_block_delta' && data.delta.type === 'text_delta') {
          onText(data.delta.text);
        } else if (data.type === 'message_delta') {
          finishReason = data.delta.stop_reason ?? finishReason;
          outputTokens = data.usage.output_tokens;
        } else if (data.type === 'message_stop') {
          complete = true;
        }
      });
    } catch (error) {
      if (!(complete && isCutStream(error))) throw error;
    }
    signal.throwIfAborted();
    return { finishReason, usage: { inputTokens, outputTokens } };
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
