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
