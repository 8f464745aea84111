import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILT_IN_PROVIDER_IDS } from '@byok/contracts';
import { parse } from 'yaml';

export const ROOT = resolve(__dirname, '..', '..', '..', '..');

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

interface SettingDoc {
  name: string;
  default: string | null;
}

interface SettingsModule {
  SETTINGS: readonly SettingDoc[];
  PER_PROVIDER_SETTINGS: readonly SettingDoc[];
  providerEnvStem(providerId: string): string;
}

/**
 * The API's own settings schema. Nx forbids importing an app's source from another project, so
 * the module is loaded at run time by path (ts-jest compiles it and the config schemas it reads).
 */
export function apiSettings(): SettingsModule {
  return require(join(ROOT, 'apps', 'api', 'src', 'config', 'settings.ts')) as SettingsModule;
}

interface MetricNamesModule {
  METRIC_NAMES: Readonly<Record<string, string>>;
  EVENT_LOOP_LAG_METRIC: string;
}

/** The series the API exports (apps/api/src/metrics/metric-names.ts), loaded by path like the settings. */
export function apiMetricNames(): MetricNamesModule {
  return require(join(ROOT, 'apps', 'api', 'src', 'metrics', 'metric-names.ts')) as MetricNamesModule;
}

/** Whether the API reads `name`: a listed setting, or a per-provider one of a known provider. */
export function isApiSetting(name: string, providerIds: readonly string[] = BUILT_IN_PROVIDER_IDS): boolean {
  const { SETTINGS, PER_PROVIDER_SETTINGS, providerEnvStem } = apiSettings();
  if (SETTINGS.some((setting) => setting.name === name)) return true;
  return providerIds.some((id) =>
    PER_PROVIDER_SETTINGS.some((setting) => setting.name.replace('<PROVIDER>', providerEnvStem(id)) === name),
  );
}

export interface ComposeService {
  image?: string;
  entrypoint?: string[] | string;
  working_dir?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

export interface ComposeNetwork {
  internal?: boolean;
  ipam?: { config?: { subnet?: string; ip_range?: string }[] };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, ComposeNetwork | null>;
  [key: string]: unknown;
}

export const COMPOSE_FILE = 'docker-compose.yml';
/** Sign-in variants, each used on top of COMPOSE_FILE (`docker-compose -f … -f …`). */
export const OAUTH2_PROXY_COMPOSE_FILE = 'docker-compose.oauth2-proxy.yml';
export const OIDC_COMPOSE_FILE = 'docker-compose.oidc.yml';
/** Redis under Sentinel, used on top of COMPOSE_FILE (and optionally the other overrides). */
export const SENTINEL_COMPOSE_FILE = 'docker-compose.sentinel.yml';
/** Prometheus and Grafana, used on top of COMPOSE_FILE (and optionally the other overrides). */
export const OBSERVABILITY_COMPOSE_FILE = 'docker-compose.observability.yml';
/** The nginx template of the oauth2-proxy variant, mounted over the proxy image's own. */
export const OAUTH2_PROXY_TEMPLATE = 'docker/nginx-oauth2-proxy.conf.template';

/** A compose file with YAML merge keys (`<<: *api`) resolved, as Compose reads it. */
/** The API instances of a compose file (api-1, api-2, …), in file order. */
export function apiServiceNames(compose: ComposeFile): string[] {
  return Object.keys(compose.services).filter((name) => /^api-\d+$/.test(name));
}

export function loadCompose(path = COMPOSE_FILE): ComposeFile {
  return parse(readText(path), { merge: true }) as ComposeFile;
}

/** A service's environment as strings (Compose passes every value as one). */
export function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value ?? '')]));
}

/** Names interpolated as ${NAME}, ${NAME:-x} or ${NAME:?x}; `$$` is a literal dollar. */
export function interpolatedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?-][^}]*)?\}/g)) {
    names.add(match[1]);
  }
  return names;
}

/** KEY=value lines of an env file, comments and blank lines skipped. */
export function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const separator = trimmed.indexOf('=');
    if (separator <= 0) throw new Error(`not a KEY=value line: ${line}`);
    entries.set(trimmed.slice(0, separator), trimmed.slice(separator + 1));
  }
  return entries;
}

/**
 * A compose value with `${NAME}`, `${NAME:-default}` and `${NAME:?message}` replaced as Compose
 * does (blank counts as unset for `:-` and `:?`); throws on a missing required one.
 */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}|\$\$/g, (match, name?: string, kind?: string, rest?: string) => {
    if (name === undefined) return '$';
    const value = env[name] ?? '';
    if (value !== '' || kind === undefined) return value;
    if (kind === '-') return rest ?? '';
    throw new Error(`${name}: ${rest}`);
  });
}
