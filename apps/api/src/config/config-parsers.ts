import { ConfigError } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** An unset or blank variable counts as absent, as shells and compose files often leave `FOO=`. */
export function readSetting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function parseInteger(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) {
    throw new ConfigError(name, `expected a whole number, got "${value}"`);
  }
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${parsed}`);
  }
  return parsed;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations as `90s`, `30m`, `12h`, `7d` or plain seconds; returns milliseconds. */
export function parseDuration(name: string, value: string, minMs: number): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value);
  if (!match) {
    throw new ConfigError(name, `expected a duration such as 30m, 12h or 7d, got "${value}"`);
  }
  const ms = Number(match[1]) * DURATION_UNITS[match[2] ?? 's'];
  if (ms < minMs) {
    throw new ConfigError(name, `must be at least ${minMs / 1000}s, got "${value}"`);
  }
  return ms;
}

/** `secret`: the value may hold a password (REDIS_URL), so errors must not quote it. */
export function parseUrl(name: string, value: string, protocols: readonly string[], secret = false): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, secret ? 'expected a URL' : `expected a URL, got "${value}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${url.protocol}"`);
  }
  return url;
}

export function parseOrigin(name: string, value: string): string {
  const url = parseUrl(name, value, ['http:', 'https:']);
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new ConfigError(name, `an origin is scheme://host[:port] only, got "${value}"`);
  }
  return url.origin;
}

export function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

export function parseEnum<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

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
