import { z } from 'zod';
import { Secret } from '../common/secret';
import { ConfigError } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** What docs/configuration.md states of a setting. */
export interface SettingDoc {
  name: string;
  default: string | null;
  description: string;
}

/** The documentation of each setting's schema; settings.ts lists them for the docs check. */
export const SETTING_DOCS = z.registry<Omit<SettingDoc, 'name'>>();

/** Reads a setting's text; absence is decided by the wrappers below, never by the parser. */
type Parser<T> = z.ZodType<T, string>;

/** The docs state the same text the parser is given when the variable is absent. */
export function withDefault<T>(fallback: string, parser: Parser<T>, description: string) {
  return parser.prefault(fallback).register(SETTING_DOCS, { default: fallback, description });
}

/** Absent is allowed; `documentedDefault` says what absence means when the code decides it. */
export function optional<T>(parser: Parser<T>, description: string, documentedDefault: string | null = null) {
  return parser.optional().register(SETTING_DOCS, { default: documentedDefault, description });
}

/** Absent is an error, `reason` saying when the setting is needed. */
export function required<T>(reason: string, parser: Parser<T>, description: string) {
  return z.string({ error: reason }).pipe(parser).register(SETTING_DOCS, { default: null, description });
}

/** An unset or blank variable counts as absent, as shells and compose files often leave `FOO=`. */
function presentSettings(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).flatMap(([name, value]) => (value?.trim() ? [[name, value.trim()]] : [])));
}

/**
 * Parses `env` with `schema`, whose keys are setting names (or keys that `names` maps to them).
 * The first problem becomes the ConfigError; it says where inside a list or JSON setting
 * (`(entry #2 "id")`) rather than quoting the value, which may be a secret.
 */
export function parseSettings<T>(schema: z.ZodType<T>, env: Env, names: Readonly<Record<string, string>> = {}): T {
  const result = schema.safeParse(presentSettings(env));
  if (result.success) return result.data;
  const [{ path, message }] = result.error.issues;
  const [key, ...inside] = path;
  const where = inside.map((step) => (typeof step === 'number' ? `entry #${step + 1}` : `"${String(step)}"`)).join(' ');
  throw new ConfigError(names[String(key)] ?? String(key), where ? `${message} (${where})` : message);
}

/** Records the problem of a rule spanning several settings, on the setting that must change. */
export function refuse(ctx: z.RefinementCtx, setting: string, message: string): never {
  ctx.addIssue({ code: 'custom', path: [setting], message });
  return z.NEVER;
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** A comma-separated setting, its entries checked by `entries`. */
export function list<T>(entries: z.ZodType<T, string[]>) {
  return z.string().transform(parseList).pipe(entries);
}

export function integer(min: number, max: number) {
  const range = `expected a number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, { error: 'expected a whole number', abort: true })
    .transform(Number)
    .pipe(z.number().min(min, range).max(max, range));
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations as `90s`, `30m`, `12h`, `7d` or plain seconds; gives milliseconds. */
export function duration(minMs: number) {
  return z
    .string()
    .transform((value, ctx) => {
      const match = DURATION.exec(value);
      if (!match) {
        ctx.addIssue('expected a duration such as 30m, 12h or 7d');
        return z.NEVER;
      }
      return Number(match[1]) * DURATION_UNITS[match[2] ?? 's'];
    })
    .pipe(z.number().min(minMs, `must be at least ${minMs / 1000}s`));
}

export const HTTP_PROTOCOLS = ['http:', 'https:'] as const;

/** A URL with one of `protocols`, kept as the admin wrote it. */
export function url(protocols: readonly string[]) {
  return z
    .string()
    .refine((value) => URL.canParse(value), { error: 'expected a URL', abort: true })
    .refine((value) => protocols.includes(new URL(value).protocol), `expected a ${protocols.join(' or ')} URL`);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, `expected one of ${values.join(', ')}`);
}

/** Text that may be a credential, wrapped so that no log line or message can print it. */
export const SECRET = z.string().transform((value) => new Secret(value));

export const BOOLEAN = z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive', error: 'expected true or false' });

/** One ALLOWED_HOSTS entry: a host name or IP literal, optionally a port, or `.domain` for it and its subdomains. */
export interface HostRule {
  hostname: string;
  port?: number;
  subdomains: boolean;
}

/** host, [IPv6], either with :port. Lowercase letters only once normalised; anything else is not a host. */
const HOST_SYNTAX = /^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*)(?::(\d{1,5}))?$/;

/** A Host header or an ALLOWED_HOSTS entry split into name and port; null when it is not one. */
export function parseHost(text: string): { hostname: string; port?: number } | null {
  // A trailing dot names the same host (an absolute DNS name); browsers may send either form.
  const match = HOST_SYNTAX.exec(text.toLowerCase().replace(/\.(?=:\d+$|$)/, ''));
  if (!match) return null;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return port === undefined ? { hostname: match[1] } : { hostname: match[1], port };
}
