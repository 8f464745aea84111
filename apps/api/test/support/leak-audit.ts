import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The run-wide leak audit: support code hands it everything a key could leak into (log lines,
 * Redis contents, payloads clients received) and every key the tests send; the global teardown
 * (test/reliability/leak-audit.global-teardown.ts) then searches all of it for every key.
 *
 * Material is written to files as it arrives, not at the end of a test, so a test that fails
 * before its cleanup still has its logs scanned.
 */
export const LEAK_AUDIT_DIR_ENV = 'BYOK_LEAK_AUDIT_DIR';

/** What looks like a provider key in a request or a source file; shorter literals are prefixes, not keys. */
export const KEY_LIKE = /(?:sk-ant-|sk-|AIza)[A-Za-z0-9_-]{12,}/g;

export type PayloadChannel = 'http' | 'sse' | 'socket';

export interface AuditEvent {
  type: 'api-start' | 'redis-start' | 'redis-audited' | 'redis-audit-failed';
  label: string;
  testPath: string;
  detail?: string;
}

/** Open for the rest of the run (appends are frequent); the process exit closes them. */
const openFiles = new Map<string, number>();

function auditDir(): string | null {
  return process.env[LEAK_AUDIT_DIR_ENV] || null;
}

function currentTestPath(): string {
  // Set by Jest in the test environment; absent when support code runs elsewhere.
  const state = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect?.getState?.();
  return state?.testPath ?? '';
}

function append(relative: string, text: string): void {
  const dir = auditDir();
  if (!dir) return;
  const path = join(dir, relative);
  let fd = openFiles.get(path);
  if (fd === undefined) {
    mkdirSync(join(path, '..'), { recursive: true });
    fd = openSync(path, 'a');
    openFiles.set(path, fd);
  }
  writeSync(fd, text);
}

/** A unique name for one API instance or Redis server within the run. */
export function auditLabel(kind: string): string {
  return `${kind}-${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

export const leakAudit = {
  get enabled(): boolean {
    return auditDir() !== null;
  },

  /** A key the tests use; only key-like text is kept, so fuzzed garbage does not become a needle. */
  registerKey(text: unknown): void {
    if (typeof text !== 'string') return;
    for (const match of text.match(KEY_LIKE) ?? []) append(`keys/${process.pid}.txt`, `${match}\n`);
  },

  /** A secret that is not key-shaped (an OIDC client secret, an authorization code): searched for everywhere, like a key. */
  registerSecret(text: string): void {
    append(`keys/${process.pid}.txt`, `${text}\n`);
  },

  /**
   * What identifies a person (an email, a display name): the API shows it to the person
   * themselves, so it may be in responses, but never in a log line or a Redis value.
   */
  registerPersonal(text: string): void {
    append(`personal/${process.pid}.txt`, `${text}\n`);
  },

  /** Key-like text anywhere in a request body the tests send, registered before the request leaves. */
  registerKeysInBody(body: string | undefined): void {
    if (body) this.registerKey(body);
  },

  log(label: string, chunk: string): void {
    append(`material/logs/${label}.log`, chunk);
  },

  payload(channel: PayloadChannel, text: string): void {
    append(`material/payloads/${process.pid}.jsonl`, `${JSON.stringify({ channel, text })}\n`);
  },

  redis(label: string, values: ReadonlyMap<string, string>, rawFiles: ReadonlyMap<string, string>): void {
    const dir = auditDir();
    if (!dir) return;
    mkdirSync(join(dir, 'material/redis'), { recursive: true });
    writeFileSync(join(dir, 'material/redis', `${label}.json`), JSON.stringify(Object.fromEntries(values)));
    for (const [name, text] of rawFiles) {
      writeFileSync(join(dir, 'material/redis', `${label}.${name.replace(/[^\w.-]/g, '_')}.raw`), text, 'latin1');
    }
  },

  event(event: Omit<AuditEvent, 'testPath'>): void {
    const dir = auditDir();
    if (!dir) return;
    mkdirSync(join(dir, 'events'), { recursive: true });
    appendFileSync(join(dir, 'events', `${process.pid}.jsonl`), `${JSON.stringify({ ...event, testPath: currentTestPath() })}\n`);
  },
};
