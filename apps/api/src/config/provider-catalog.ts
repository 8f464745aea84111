import {
  BUILT_IN_KEY_FORMATS,
  BUILT_IN_PROVIDER_IDS,
  type BuiltInProviderId,
  DEFAULT_KEY_POLICY,
  GENERIC_KEY_FORMAT,
  KEY_POLICIES,
  type KeyFormatRule,
  type KeyPolicy,
  PROVIDER_ID_PATTERN,
  type ProviderFamily,
} from '@byok/contracts';
import { z } from 'zod';
import { Secret } from '../common/secret';
import type { AuthConfig } from './auth-config';
import { type Env, HTTP_PROTOCOLS, list, oneOf, optional, parseSettings, refuse, SECRET, url, withDefault } from './config-parsers';

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

export interface ProviderConfig extends ProviderCatalogEntry {
  baseUrl: string;
  envKeyVar: string;
  envKey: Secret | null;
  /** Only members of one of these groups may use the ENV key; null when every caller may. */
  envKeyGroups: string[] | null;
  policy: KeyPolicy;
}

/** A catalog entry, and where an admin-defined one reads its ENV key when not at <PROVIDER>_API_KEY. */
export type CatalogEntry = ProviderCatalogEntry & { apiKeyEnv?: string };

const ID_RULE = `must match ${PROVIDER_ID_PATTERN}`;
const NAME_RULE = 'must be a non-empty string of at most 64 characters';
const ENV_NAME_RULE = 'must be an environment variable name in capitals';
const PREFIX_RULE = 'must be 1-12 letters, digits, - or _';

const COMPATIBLE_PROVIDER = z.object(
  {
    id: z.string(ID_RULE).regex(PROVIDER_ID_PATTERN, ID_RULE),
    name: z
      .string(NAME_RULE)
      .refine((name) => name.trim().length > 0 && name.length <= 64, NAME_RULE)
      .transform((name) => name.trim()),
    baseUrl: z.string('must be a URL string').pipe(url(HTTP_PROTOCOLS)),
    apiKeyEnv: z.string(ENV_NAME_RULE).regex(/^[A-Z][A-Z0-9_]{0,63}$/, ENV_NAME_RULE).optional(),
    keyPrefix: z.string(PREFIX_RULE).regex(/^[A-Za-z0-9_-]{1,12}$/, PREFIX_RULE).optional(),
    keyRequired: z.boolean('must be true or false').default(true),
  },
  'must be an object',
);

const json = z.string().transform((text, ctx): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    ctx.addIssue('is not valid JSON');
    return z.NEVER;
  }
});

export const OPENAI_COMPATIBLE_PROVIDERS = withDefault(
  '[]',
  json.pipe(z.array(COMPATIBLE_PROVIDER, 'must be a JSON array of provider objects')).transform((entries, ctx) => {
    const taken = new Set<string>(BUILT_IN_PROVIDER_IDS);
    return entries.map(({ id, name, baseUrl, apiKeyEnv, keyPrefix, keyRequired }, index): CatalogEntry => {
      if (taken.has(id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: 'is already taken' });
      taken.add(id);
      const keyFormat = { ...GENERIC_KEY_FORMAT, prefixes: keyPrefix ? [keyPrefix] : [] };
      return { id, name, family: 'openai-compatible', defaultBaseUrl: baseUrl, keyRequired, keyFormat, apiKeyEnv };
    });
  }),
  'JSON array of admin-defined OpenAI-compatible providers: {"id","name","baseUrl","apiKeyEnv"?,"keyPrefix"?,"keyRequired"?}.',
);

/** Settings repeated for each provider, by role; providerSettingNames gives their names. */
export const PROVIDER_SETTINGS = {
  envKey: optional(SECRET, "The server's key for the provider (an ENV key)."),
  baseUrl: optional(url(HTTP_PROTOCOLS), 'Where requests to the provider go.', "the provider's public API"),
  policy: withDefault(DEFAULT_KEY_POLICY, oneOf(KEY_POLICIES), 'env-only, env-first, user-first or user-only: how the ENV key and a user key combine.'),
  envKeyGroups: optional(
    list(z.array(z.string())),
    'Comma-separated groups whose members may use the ENV key (needs AUTH_MODE proxy or oidc); anyone else sees the provider as if it had no ENV key and may bring their own under its policy.',
  ),
};

export function providerEnvStem(providerId: string): string {
  return providerId.toUpperCase().replace(/-/g, '_');
}

/** `stem` is the provider id in capitals with `-` as `_` (OPENAI, or MY_LLM for my-llm). */
export function providerSettingNames(stem: string, envKeyVar = `${stem}_API_KEY`): Readonly<Record<keyof typeof PROVIDER_SETTINGS, string>> {
  return { envKey: envKeyVar, baseUrl: `${stem}_BASE_URL`, policy: `KEY_POLICY_${stem}`, envKeyGroups: `KEY_ENV_GROUPS_${stem}` };
}

function providerSchema(authMode: AuthConfig['mode']) {
  return z.object(PROVIDER_SETTINGS).transform((settings, ctx) => {
    if (settings.envKeyGroups && authMode === 'none') {
      return refuse(ctx, 'envKeyGroups', 'needs sign-in to know anyone’s groups: set AUTH_MODE to proxy or oidc');
    }
    return settings;
  });
}

export function readProvider({ apiKeyEnv, ...entry }: CatalogEntry, authMode: AuthConfig['mode'], env: Env): ProviderConfig {
  const names = providerSettingNames(providerEnvStem(entry.id), apiKeyEnv);
  const settings = parseSettings(
    providerSchema(authMode),
    Object.fromEntries(Object.entries(names).map(([role, name]) => [role, env[name]])),
    names,
  );
  return {
    ...entry,
    baseUrl: (settings.baseUrl ?? entry.defaultBaseUrl).replace(/\/+$/, ''),
    envKeyVar: names.envKey,
    envKey: settings.envKey ?? null,
    envKeyGroups: settings.envKeyGroups ?? null,
    policy: settings.policy,
  };
}
