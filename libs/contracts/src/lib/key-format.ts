import type { BuiltInProviderId } from './providers';

/** What a provider's API keys look like; checked on the server and, before sending, in forms. */
export interface KeyFormatRule {
  /** The key must start with one of these; empty means any start. */
  prefixes: readonly string[];
  /** Keys of other providers that share our prefix (Anthropic's `sk-ant-` starts with `sk-`). */
  foreignPrefixes: readonly string[];
  minLength: number;
  maxLength: number;
}

/** Characters seen in real provider keys (base64, base64url, separators); nothing else is accepted. */
export const KEY_CHARACTERS = /^[A-Za-z0-9\-_.~+/=:]+$/;

export const GENERIC_KEY_FORMAT: KeyFormatRule = {
  prefixes: [],
  foreignPrefixes: [],
  minLength: 8,
  maxLength: 512,
};

export const BUILT_IN_KEY_FORMATS: Record<BuiltInProviderId, KeyFormatRule> = {
  openai: { prefixes: ['sk-'], foreignPrefixes: ['sk-ant-'], minLength: 20, maxLength: 256 },
  anthropic: { prefixes: ['sk-ant-'], foreignPrefixes: [], minLength: 24, maxLength: 256 },
  gemini: { prefixes: ['AIza'], foreignPrefixes: [], minLength: 30, maxLength: 64 },
  ollama: GENERIC_KEY_FORMAT,
};

export const KEY_FORMAT_PROBLEMS = [
  'empty',
  'too_short',
  'too_long',
  'whitespace',
  'control_character',
  'invalid_character',
  'wrong_prefix',
  'foreign_prefix',
] as const;
export type KeyFormatProblemCode = (typeof KEY_FORMAT_PROBLEMS)[number];

export interface KeyFormatProblem {
  code: KeyFormatProblemCode;
  message: string;
}

// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;

/**
 * Checks a key against a provider's rule. The message never quotes the key, since it may be
 * logged or shown; it names the provider and the problem.
 */
export function checkKeyFormat(
  key: string,
  rule: KeyFormatRule,
  providerName: string,
): KeyFormatProblem | null {
  if (key.length === 0) {
    return { code: 'empty', message: `The ${providerName} API key is empty.` };
  }
  if (WHITESPACE.test(key)) {
    return {
      code: 'whitespace',
      message: `The ${providerName} API key contains whitespace; paste the key without spaces or line breaks.`,
    };
  }
  if (CONTROL_CHARACTER.test(key)) {
    return {
      code: 'control_character',
      message: `The ${providerName} API key contains a control character; paste the key alone.`,
    };
  }
  if (key.length < rule.minLength) {
    return {
      code: 'too_short',
      message: `The ${providerName} API key is too short (at least ${rule.minLength} characters).`,
    };
  }
  if (key.length > rule.maxLength) {
    return {
      code: 'too_long',
      message: `The ${providerName} API key is too long (at most ${rule.maxLength} characters).`,
    };
  }
  if (!KEY_CHARACTERS.test(key)) {
    return {
      code: 'invalid_character',
      message: `The ${providerName} API key contains a character API keys never have (allowed: letters, digits and - _ . ~ + / = :).`,
    };
  }
  if (rule.foreignPrefixes.some((prefix) => key.startsWith(prefix))) {
    return {
      code: 'foreign_prefix',
      message: `This looks like another provider's key, not a key for ${providerName}.`,
    };
  }
  if (rule.prefixes.length > 0 && !rule.prefixes.some((prefix) => key.startsWith(prefix))) {
    const expected = rule.prefixes.map((prefix) => `"${prefix}"`).join(' or ');
    return {
      code: 'wrong_prefix',
      message: `${providerName} API keys start with ${expected}; check that the key is for ${providerName}.`,
    };
  }
  return null;
}

/**
 * The only form in which a key leaves the server: the provider's known prefix (at most 7
 * characters) and the last 4 characters. Short keys show fewer (2, or none) so that most of
 * what follows the prefix always stays hidden.
 */
export function maskKey(key: string, rule: KeyFormatRule): string {
  const prefix = rule.prefixes.find((candidate) => key.startsWith(candidate)) ?? '';
  const hiddenLength = key.length - prefix.length;
  const tailLength = hiddenLength >= 16 ? 4 : hiddenLength >= 8 ? 2 : 0;
  return `${prefix.slice(0, 7)}…${tailLength > 0 ? key.slice(-tailLength) : ''}`;
}
