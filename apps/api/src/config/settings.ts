import type { z } from 'zod';
import { BASE_SETTINGS } from './app-config';
import { AUTH_SETTINGS } from './auth-config';
import { SETTING_DOCS, type SettingDoc } from './config-parsers';
import { PROVIDER_SETTINGS, providerSettingNames } from './provider-catalog';

export type { SettingDoc } from './config-parsers';
export { providerEnvStem } from './provider-catalog';

/** The docs of the schemas in `shape`, each under its setting name (its key, unless `names` renames it). */
function documented(shape: Readonly<Record<string, z.ZodType>>, names: Readonly<Record<string, string>> = {}): SettingDoc[] {
  return Object.entries(shape).map(([key, schema]) => {
    const doc = SETTING_DOCS.get(schema);
    if (!doc) throw new Error(`the setting ${key} has no documentation in its schema`);
    return { name: names[key] ?? key, ...doc };
  });
}

/**
 * Every environment setting the API reads, from the schemas that read them. docs/configuration.md
 * is checked against this list, so a setting cannot be added without being documented there.
 */
export const SETTINGS: readonly SettingDoc[] = documented({ ...BASE_SETTINGS, ...AUTH_SETTINGS });

/**
 * Settings repeated for each provider; `<PROVIDER>` is its id in capitals with `-` as `_`
 * (OPENAI, ANTHROPIC, GEMINI, OLLAMA, or an admin-defined id).
 */
export const PER_PROVIDER_SETTINGS: readonly SettingDoc[] = documented(PROVIDER_SETTINGS, providerSettingNames('<PROVIDER>'));
