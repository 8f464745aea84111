import { BUILT_IN_KEY_FORMATS, type BuiltInProviderId, type KeyFormatRule, type ProviderFamily } from '@byok/contracts';

export interface ProviderCatalogEntry {
  id: string;
  name: string;
  family: ProviderFamily;
  defaultBaseUrl: string;
  keyRequired: boolean;
  keyFormat: KeyFormatRule;
}

export const BUILT_IN_PROVIDERS: Record<BuiltInProviderId, ProviderCatalogEntry> = {
  openai: {
    id: 'openai',
    name: 'OpenAI',
    family: 'openai',
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyRequired: true,
    keyFormat: BUILT_IN_KEY_FORMATS.openai,
  },
  anthropic: {
    id: 'anthropic',
    name: 'Anthropic',
    family: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    keyRequired: true,
    keyFormat: BUILT_IN_KEY_FORMATS.anthropic,
  },
  gemini: {
    id: 'gemini',
    name: 'Google Gemini',
    family: 'gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    keyRequired: true,
    keyFormat: BUILT_IN_KEY_FORMATS.gemini,
  },
  ollama: {
    id: 'ollama',
    name: 'Ollama',
    // Ollama serves the OpenAI wire format under /v1, so it shares that client.
    family: 'openai-compatible',
    defaultBaseUrl: 'http://localhost:11434/v1',
    keyRequired: false,
    keyFormat: BUILT_IN_KEY_FORMATS.ollama,
  },
};
