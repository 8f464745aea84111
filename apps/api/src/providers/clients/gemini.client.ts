import { type Content, GoogleGenAI } from '@google/genai';
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

@Injectable()
export class GeminiClient implements ProviderClient {
  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const pager = await this.sdk(target).models.list({ config: { pageSize: 100, abortSignal: signal } });
    return pager.page.map((model) => {
      const id = (model.name ?? '').replace(/^models\//, '');
      return { id, name: model.displayName ?? id };
    });
  }

  async *streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const systemInstruction = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const contents: Content[] = request.messages
      .filter((message) => message.role !== 'system')
      .map((message) => ({ role: message.role === 'assistant' ? 'model' : 'user', parts: [{ text: message.content }] }));
    const stream = await this.sdk(target).models.generateContentStream({
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
      if (text) {
        yield { type: 'text', text };
      }
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
      inputTokens = chunk.usageMetadata?.promptTokenCount ?? inputTokens;
      outputTokens = chunk.usageMetadata?.candidatesTokenCount ?? outputTokens;
    }
    yield { type: 'finish', finishReason, usage: { inputTokens, outputTokens } };
  }

  classifyError(error: unknown): UpstreamFailure {
    // Gemini answers a wrong key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), not 401.
    const failure = classifyHttpFailure(error);
    if (failure.kind === 'bad_request' && error instanceof Error && /API[_ ]KEY/i.test(error.message)) {
      return { kind: 'auth', status: failure.status };
    }
    return failure;
  }

  private sdk({ config, apiKey }: ProviderTarget): GoogleGenAI {
    return new GoogleGenAI({
      // Always explicit: left undefined, the SDK would fall back to GEMINI_API_KEY / GOOGLE_API_KEY.
      apiKey: apiKey?.reveal() ?? '',
      httpOptions: { baseUrl: config.baseUrl },
    });
  }
}

/**
 * The id as one URL path segment: the SDK puts it after `models/` unescaped. Ids that passed
 * MODEL_ID_RULES encode to themselves; this keeps any other from steering the path.
 */
export function modelPathSegment(model: string): string {
  return encodeURIComponent(model.replace(/^models\//, ''));
}
