/** Providers every deployment knows; admins add OpenAI-compatible ones by configuration. */
export const BUILT_IN_PROVIDER_IDS = ['openai', 'anthropic', 'gemini', 'ollama'] as const;
export type BuiltInProviderId = (typeof BUILT_IN_PROVIDER_IDS)[number];

/** A built-in id or the id of an admin-defined OpenAI-compatible provider. */
export type ProviderId = string;

/** Lowercase slug; keeps ids safe as object keys, env-var stems and URL segments. */
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

export function isBuiltInProviderId(id: string): id is BuiltInProviderId {
  return (BUILT_IN_PROVIDER_IDS as readonly string[]).includes(id);
}

/** The wire protocol a provider speaks, which decides the client that talks to it. */
export const PROVIDER_FAMILIES = ['openai', 'anthropic', 'gemini', 'openai-compatible'] as const;
export type ProviderFamily = (typeof PROVIDER_FAMILIES)[number];

/** What a model id may look like for one family: the pattern, and the rule in words for error messages. */
export interface ModelIdRule {
  readonly pattern: RegExp;
  readonly rule: string;
}

/**
 * Model ids as each family names them. Gemini puts the id into the URL path
 * (`models/{id}:streamGenerateContent`), so its ids allow no `/`, `?`, `#`, `%` or `:` that
 * could cut the path or reach another method; the others carry it in the JSON body, where
 * OpenAI-compatible servers use `/`, `:` and `@` (`meta-llama/llama-3.1-8b:free`, `llama3.1:8b`).
 */
export const MODEL_ID_RULES: Readonly<Record<ProviderFamily, ModelIdRule>> = {
  openai: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    rule: 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  },
  anthropic: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    rule: 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  },
  gemini: {
    pattern: /^(?:models\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/,
    rule: 'must be 1-121 letters, digits, ".", "_" or "-", starting with a letter or digit, optionally after "models/"',
  },
  'openai-compatible': {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,127}$/,
    rule: 'must be 1-128 letters, digits, ".", "_", ":", "@", "+", "/" or "-", starting with a letter or digit',
  },
};

/**
 * Whether a family's current API takes a sampling temperature. Anthropic's Messages API at the
 * version its SDK speaks (2026-10-21) refuses `temperature` on every model, so a request that
 * sets one is refused before it is sent rather than failing there or being quietly changed.
 */
export const ACCEPTS_TEMPERATURE: Readonly<Record<ProviderFamily, boolean>> = {
  openai: true,
  anthropic: false,
  gemini: true,
  'openai-compatible': true,
};
