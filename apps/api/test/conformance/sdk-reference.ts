import Anthropic from '@anthropic-ai/sdk';
import { type Content, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import type { ProviderFamily } from '@byok/contracts';
import { modelPathSegment } from '../../src/providers/adapters/gemini.adapter';
import type { ChatFinish, ChatRequest, ProviderTarget, TextSink } from '../../src/providers/provider-adapter';

/**
 * The reference readers: each streams a chat through its provider's official SDK the way the
 * product did before the fast path (the SDK clients the adapters replaced), and reports it in the
 * adapters' shape, so the two can be compared call for call.
 */
export type ChatReader = (target: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink) => Promise<ChatFinish>;

/** Anthropic's Messages API requires max_tokens; the product sends this when the request sets none. */
const DEFAULT_MAX_TOKENS = 4096;

async function readWithOpenAiSdk({ config, apiKey }: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
  const sdk = new OpenAI({
    apiKey: apiKey?.reveal() ?? 'no-key',
    baseURL: config.baseUrl,
    maxRetries: 0,
    defaultHeaders: apiKey ? undefined : { Authorization: null },
  });
  const stream = await sdk.chat.completions.create(
    {
      model: request.model,
      messages: [...request.messages],
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
    if (choice?.delta?.content) onText(choice.delta.content);
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    // As the SDK client did: the usage chunk is the last one that matters.
    if (chunk.usage) {
      signal.throwIfAborted();
      return { finishReason, usage: { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens } };
    }
  }
  // The SDK ends the iteration quietly on abort; an aborted stream must not look finished.
  signal.throwIfAborted();
  return { finishReason };
}

async function readWithAnthropicSdk({ config, apiKey }: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
  const sdk = new Anthropic({ apiKey: apiKey?.reveal() ?? null, authToken: null, baseURL: config.baseUrl, maxRetries: 0 });
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const stream = await sdk.messages.create(
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
      onText(event.delta.text);
    } else if (event.type === 'message_delta') {
      finishReason = event.delta.stop_reason ?? finishReason;
      outputTokens = event.usage.output_tokens;
    }
  }
  signal.throwIfAborted();
  return { finishReason, usage: { inputTokens, outputTokens } };
}

async function readWithGeminiSdk({ config, apiKey }: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
  const sdk = new GoogleGenAI({ apiKey: apiKey?.reveal() ?? '', httpOptions: { baseUrl: config.baseUrl } });
  const systemInstruction = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const contents: Content[] = request.messages
    .filter((message) => message.role !== 'system')
    .map((message) => ({ role: message.role === 'assistant' ? 'model' : 'user', parts: [{ text: message.content }] }));
  const stream = await sdk.models.generateContentStream({
    model: modelPathSegment(request.model),
    contents,
    config: {
      systemInstruction: systemInstruction || undefined,
      maxOutputTokens: request.maxTokens,
      temperature: request.temperature,
      abortSignal: signal,
    },
  });
  let finishReason = 'STOP';
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  for await (const chunk of stream) {
    const text = chunk.text;
    if (text) onText(text);
    finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
    inputTokens = chunk.usageMetadata?.promptTokenCount ?? inputTokens;
    outputTokens = chunk.usageMetadata?.candidatesTokenCount ?? outputTokens;
  }
  return { finishReason, usage: { inputTokens, outputTokens } };
}

export const SDK_READERS: Readonly<Record<ProviderFamily, ChatReader>> = {
  openai: readWithOpenAiSdk,
  'openai-compatible': readWithOpenAiSdk,
  anthropic: readWithAnthropicSdk,
  gemini: readWithGeminiSdk,
};
