/**
 * Accepted keys per provider id (`openai`, `anthropic`, `gemini`, `ollama`, or any
 * OpenAI-compatible prefix). `null` makes the provider keyless: any key, or none, is accepted.
 */
export type KeyTable = Record<string, readonly string[] | null>;

/** How streamed answers look and how fast they arrive. */
export interface StreamSettings {
  /** Text to split into `chunkCount` pieces; `null` uses the numbered default sentences. */
  text: string | null;
  /** Exact chunks to send; wins over `text` and `chunkCount`. */
  chunks: readonly string[] | null;
  chunkCount: number;
  /** Pause between the response headers and the first content chunk. */
  firstChunkDelayMs: number;
  /** Pause between consecutive content chunks. */
  chunkDelayMs: number;
}

export interface FakeUpstreamOptions extends Partial<StreamSettings> {
  /** Merged over {@link DEFAULT_KEYS}; providers listed in neither are keyless. */
  keys?: KeyTable;
  /** Also accept any key starting with the provider's test prefix (see {@link TEST_KEY_PREFIXES}). */
  acceptTestKeys?: boolean;
  /** Model ids each provider lists and answers for; merged over {@link DEFAULT_MODELS}. */
  models?: Record<string, readonly string[]>;
  /** Interface to listen on; loopback unless the demo needs otherwise. */
  host?: string;
  /** How many records to keep; ended ones beyond it are forgotten oldest first. Default 10 000. */
  recordLimit?: number;
}

export const DEFAULT_KEYS: KeyTable = {
  openai: ['sk-test-openai-0123456789abcdef'],
  anthropic: ['sk-ant-test-anthropic-0123456789abcdef'],
  gemini: ['AIzaTestGemini0123456789abcdefghijklmn'],
  ollama: null,
};

/**
 * Demo-mode prefixes: the provider's real key prefix followed by "test", compared without
 * case so `sk-test-…`, `sk-ant-test-…` and `AIzaTest…` all pass. Providers not listed use
 * {@link DEFAULT_TEST_KEY_PREFIX}.
 */
export const TEST_KEY_PREFIXES: Record<string, string> = {
  openai: 'sk-test',
  anthropic: 'sk-ant-test',
  gemini: 'AIzatest',
};
export const DEFAULT_TEST_KEY_PREFIX = 'test';

export const DEFAULT_MODELS: Record<string, readonly string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'],
  anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'],
  gemini: ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash'],
  ollama: ['llama3.2', 'qwen2.5'],
};
/** Models listed by OpenAI-compatible providers that have no entry of their own. */
export const DEFAULT_COMPATIBLE_MODELS: readonly string[] = ['fake-model-small', 'fake-model-large'];

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  text: null,
  chunks: null,
  chunkCount: 8,
  firstChunkDelayMs: 0,
  chunkDelayMs: 0,
};

export function streamSettingsFrom(options: Partial<StreamSettings>): StreamSettings {
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS };
  if (options.text !== undefined) settings.text = options.text;
  if (options.chunks !== undefined) settings.chunks = options.chunks;
  if (options.chunkCount !== undefined) settings.chunkCount = options.chunkCount;
  if (options.firstChunkDelayMs !== undefined) settings.firstChunkDelayMs = options.firstChunkDelayMs;
  if (options.chunkDelayMs !== undefined) settings.chunkDelayMs = options.chunkDelayMs;
  return settings;
}
