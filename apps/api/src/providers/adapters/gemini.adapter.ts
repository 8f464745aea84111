import { type Content, type GenerateContentResponse, type GenerationConfig, GoogleGenAI } from '@google/genai';
import { Injectable } from '@nestjs/common';
import type { ChatFinish, ChatRequest, TextSink, ModelInfo, ProviderAdapter, ProviderTarget } from '../provider-adapter';
import { isCutStream, streamEvents } from '../wire/event-stream';
import type { SseReader } from '../wire/sse-reader';
import { UpstreamError } from '../wire/upstream-error';
import { UpstreamHttp } from '../wire/upstream-http';

/** The REST version the SDK speaks by default. */
const API_VERSION = 'v1beta';

/** The wire body of streamGenerateContent, as the SDK builds it from its parameters. */
interface GenerateContentWireRequest {
  contents: Content[];
  systemInstruction?: Content;
  generationConfig?: GenerationConfig;
}

/** One streamed answer as it arrives: the data fields of the SDK's GenerateContentResponse. */
type GenerateContentChunk = Pick<GenerateContentResponse, 'candidates' | 'usageMetadata'> & { error?: unknown };

/**
 * Google Gemini's generateContent API. Chat streams read `streamGenerateContent?alt=sse`
 * directly, with the SDK's response types; models are listed through the SDK.
 */
@Injectable()
export class GeminiAdapter implements ProviderAdapter {
  readonly family = 'gemini' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async listModels(target: ProviderTarget, signal: AbortSignal): Promise<ModelInfo[]> {
    const pager = await this.sdk(target).models.list({ config: { pageSize: 100, abortSignal: signal } });
    return pager.page.map((model) => {
      const id = (model.name ?? '').replace(/^models\//, '');
      return { id, name: model.displayName ?? id };
    });
  }

  async streamChat(target: ProviderTarget, request: ChatRequest, signal: AbortSignal, onText: TextSink): Promise<ChatFinish> {
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const generationConfig: GenerationConfig = { maxOutputTokens: request.maxTokens, temperature: request.temperature };
    const params: GenerateContentWireRequest = {
      contents: request.messages
        .filter((message) => message.role !== 'system')
        .map((message) => ({ role: message.role === 'assistant' ? 'model' : 'user', parts: [{ text: message.content }] })),
      systemInstruction: system ? { role: 'user', parts: [{ text: system }] } : undefined,
      generationConfig: request.maxTokens === undefined && request.temperature === undefined ? undefined : generationConfig,
    };
    const url = new URL(`${target.config.baseUrl}/${API_VERSION}/models/${modelPathSegment(request.model)}:streamGenerateContent?alt=sse`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.apiKey) headers['x-goog-api-key'] = target.apiKey.reveal();
    const finish: ChatFinish = { finishReason: 'STOP', usage: {} };
    // The chunk with a finish reason ends the answer; a connection cut after it loses nothing.
    let complete = false;
    let reader: SseReader | undefined;
    try {
      reader = await streamEvents(this.http, url, headers, JSON.stringify(params), signal, (event) => {
        const chunk = JSON.parse(event.data) as GenerateContentChunk;
        if (chunk.error) throw new UpstreamError('stream', undefined, chunk.error);
        const text = textOf(chunk);
        if (text) onText(text);
        const finishReason = chunk.candidates?.[0]?.finishReason;
        if (finishReason) {
          finish.finishReason = finishReason;
          complete = true;
        }
        finish.usage = {
          inputTokens: chunk.usageMetadata?.promptTokenCount ?? finish.usage?.inputTokens,
          outputTokens: chunk.usageMetadata?.candidatesTokenCount ?? finish.usage?.outputTokens,
        };
      });
    } catch (error) {
      if (!(complete && isCutStream(error))) throw error;
    }
    const stray = reader ? bareError(reader.strayText) : undefined;
    if (stray !== undefined) throw new UpstreamError('stream', undefined, stray);
    signal.throwIfAborted();
    return finish;
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
 * The error of a failure Gemini wrote as bare JSON outside SSE framing (how it reports one that
 * comes after the answer began), or undefined when the stray text is no such error.
 */
function bareError(text: string): unknown {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed === 'object' && parsed !== null && parsed.error !== undefined ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/** The answer text of a chunk as the SDK's `text` getter reads it: the first candidate's text parts, thoughts left out. */
function textOf(chunk: GenerateContentChunk): string | undefined {
  const parts = chunk.candidates?.[0]?.content?.parts;
  if (!parts || parts.length === 0) return undefined;
  let text = '';
  for (const part of parts) {
    if (typeof part.text === 'string' && part.thought !== true) text += part.text;
  }
  return text;
}

/**
 * The id as one URL path segment. Ids that passed MODEL_ID_RULES encode to themselves; this
 * keeps any other from steering the path.
 */
export function modelPathSegment(model: string): string {
  return encodeURIComponent(model.replace(/^models\//, ''));
}
