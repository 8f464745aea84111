import { parseArgs } from 'node:util';
import type { FailureKind, FailureSpec } from './failures';
import { asObject } from './json-body';
import type { FakeUpstreamOptions, KeyTable } from './options';

export interface StandaloneConfig {
  port: number;
  options: FakeUpstreamOptions;
  failures: FailureSpec[];
}

export const DEFAULT_STANDALONE_PORT = 4010;

/** Each setting as an environment variable and as the command-line flag that overrides it. */
const SETTINGS = {
  port: { env: 'FAKE_UPSTREAM_PORT', flag: 'port' },
  host: { env: 'FAKE_UPSTREAM_HOST', flag: 'host' },
  keys: { env: 'FAKE_UPSTREAM_KEYS', flag: 'keys' },
  acceptTestKeys: { env: 'FAKE_UPSTREAM_ACCEPT_TEST_KEYS', flag: 'accept-test-keys' },
  models: { env: 'FAKE_UPSTREAM_MODELS', flag: 'models' },
  text: { env: 'FAKE_UPSTREAM_TEXT', flag: 'text' },
  chunkCount: { env: 'FAKE_UPSTREAM_CHUNK_COUNT', flag: 'chunk-count' },
  firstChunkDelayMs: { env: 'FAKE_UPSTREAM_FIRST_CHUNK_DELAY_MS', flag: 'first-chunk-delay-ms' },
  chunkDelayMs: { env: 'FAKE_UPSTREAM_CHUNK_DELAY_MS', flag: 'chunk-delay-ms' },
  failures: { env: 'FAKE_UPSTREAM_FAILURES', flag: 'failures' },
} as const;
type Setting = keyof typeof SETTINGS;

const FAILURE_KINDS: ReadonlySet<string> = new Set<FailureKind>([
  'status429',
  'status500',
  'dropMidStream',
  'errorMidStream',
  'neverAnswer',
  'slowTrickle',
]);

export const USAGE = [
  'Usage: fake-upstream [--port N] [--host H] [--accept-test-keys] [--keys JSON] [--models JSON]',
  '                     [--text T] [--chunk-count N] [--first-chunk-delay-ms N] [--chunk-delay-ms N]',
  '                     [--failures JSON]',
  ...Object.values(SETTINGS).map(({ env, flag }) => `  --${flag.padEnd(22)} or ${env}`),
].join('\n');

/** Reads the standalone server's settings; flags win over environment variables. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv, argv: readonly string[] = []): StandaloneConfig {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: Object.fromEntries(
      Object.values(SETTINGS).map(({ flag }) => [flag, { type: flag === 'accept-test-keys' ? 'boolean' : 'string' }]),
    ) as Record<string, { type: 'string' | 'boolean' }>,
  });
  const raw = (setting: Setting): string | undefined => {
    const fromFlag = values[SETTINGS[setting].flag];
    if (typeof fromFlag === 'boolean') return fromFlag ? '1' : undefined;
    return fromFlag ?? (env[SETTINGS[setting].env] || undefined);
  };

  const options: FakeUpstreamOptions = {};
  const host = raw('host');
  if (host !== undefined) options.host = host;
  const keys = raw('keys');
  if (keys !== undefined) options.keys = keyTable(parseJsonSetting('keys', keys));
  const models = raw('models');
  if (models !== undefined) options.models = modelTable(parseJsonSetting('models', models));
  options.acceptTestKeys = isTruthy(raw('acceptTestKeys'));
  const text = raw('text');
  if (text !== undefined) options.text = text;
  for (const setting of ['chunkCount', 'firstChunkDelayMs', 'chunkDelayMs'] as const) {
    const value = raw(setting);
    if (value !== undefined) options[setting] = nonNegativeInteger(setting, value);
  }
  const port = raw('port');
  const failures = raw('failures');
  return {
    port: port === undefined ? DEFAULT_STANDALONE_PORT : nonNegativeInteger('port', port),
    options,
    failures: failures === undefined ? [] : failureList(parseJsonSetting('failures', failures)),
  };
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

function settingError(setting: Setting, problem: string): Error {
  return new Error(`${SETTINGS[setting].env} / --${SETTINGS[setting].flag}: ${problem}`);
}

function nonNegativeInteger(setting: Setting, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw settingError(setting, `expected a non-negative integer, got "${value}"`);
  }
  return number;
}

function parseJsonSetting(setting: Setting, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw settingError(setting, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function keyTable(value: unknown): KeyTable {
  const table = asObject(value);
  if (table === null) throw settingError('keys', 'expected an object of provider → [keys] or null');
  const keys: KeyTable = {};
  for (const [provider, list] of Object.entries(table)) {
    if (list !== null && !isStringList(list)) {
      throw settingError('keys', `"${provider}" must be a list of strings or null`);
    }
    keys[provider] = list;
  }
  return keys;
}

function modelTable(value: unknown): Record<string, readonly string[]> {
  const table = asObject(value);
  if (table === null) throw settingError('models', 'expected an object of provider → [model ids]');
  const models: Record<string, readonly string[]> = {};
  for (const [provider, list] of Object.entries(table)) {
    if (!isStringList(list)) throw settingError('models', `"${provider}" must be a list of strings`);
    models[provider] = list;
  }
  return models;
}

function failureList(value: unknown): FailureSpec[] {
  if (!Array.isArray(value)) throw settingError('failures', 'expected a list of failure objects');
  return value.map((item, index) => {
    const spec = asObject(item);
    const kind = spec?.['kind'];
    if (spec === null || typeof kind !== 'string' || !FAILURE_KINDS.has(kind)) {
      throw settingError('failures', `item ${index} needs a "kind" of ${[...FAILURE_KINDS].join(', ')}`);
    }
    return spec as unknown as FailureSpec;
  });
}
