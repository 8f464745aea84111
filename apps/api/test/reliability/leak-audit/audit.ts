import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { KEY_LIKE, type AuditEvent } from '../../support/leak-audit';
import { findNeedles, type Hit, maskForReport, needlesFor } from './needles';

/**
 * Where key literals of the test suite live, besides the keys support code registered as sent:
 * the API's tests, and the fake upstream's default keys. (Swagger examples in the API's own
 * source are documentation, served on purpose, so they are not searched for.)
 */
const KEY_SOURCES: ReadonlyArray<{ dir: string; accept: (path: string) => boolean }> = [
  { dir: 'apps/api/test', accept: (path) => path.endsWith('.ts') },
  { dir: 'apps/api/src', accept: (path) => path.endsWith('.spec.ts') },
  { dir: 'tools/fake-upstream/src', accept: (path) => path.endsWith('options.ts') },
];

/**
 * Below these a full run has not captured what it should: some hook stopped writing, and a clean
 * result would mean nothing. A measured full run captures about twice these.
 */
export const FULL_RUN_MINIMUM = { logLines: 1500, payloads: 1500, redisServers: 10, redisValues: 40, keys: 20 };

export interface AuditReport {
  fullRun: boolean;
  keys: number;
  /** Emails and names of test people: searched in logs and Redis, not in the responses they are shown in. */
  personal: number;
  needles: number;
  material: { logFiles: number; logLines: number; payloads: number; redisServers: number; redisValues: number; otherFiles: number; bytes: number };
  hits: Array<{ key: string; form: string; source: string; line: number }>;
  failures: string[];
}

export function runAudit(dir: string, workspaceRoot: string): AuditReport {
  const failures: string[] = [];
  const events = readEvents(join(dir, 'events'));
  const keys = collectKeys(dir, workspaceRoot);
  const needles = [...keys].flatMap(needlesFor);
  const personal = readLines(join(dir, 'personal'));
  const personalNeedles = [...personal].flatMap(needlesFor);

  const canary = `sk-canary-${Date.now().toString(36)}0123456789abcdef`;
  const canaryNeedles = needlesFor(canary);
  const planted = `{"log":"${canary}"}\n` + `{"value":"x${Buffer.from(`ab${canary}`).toString('base64')}"}\n` + `y${Buffer.from(`z${canary}`).toString('base64url')}`;
  if (findNeedles(planted, canaryNeedles, 'canary').length !== 3) {
    failures.push('the scanner did not find a planted key in plain, base64 and base64url form; the audit cannot be trusted');
  }

  const material: AuditReport['material'] = { logFiles: 0, logLines: 0, payloads: 0, redisServers: 0, redisValues: 0, otherFiles: 0, bytes: 0 };
  const hits: Hit[] = [];
  for (const path of filesUnder(join(dir, 'material'))) {
    const text = readFileSync(path, path.endsWith('.raw') ? 'latin1' : 'utf8');
    const kind = relative(join(dir, 'material'), path).split(/[\\/]/)[0];
    material.bytes += text.length;
    if (kind === 'logs') {
      material.logFiles += 1;
      material.logLines += countLines(text);
    } else if (kind === 'payloads') {
      material.payloads += countLines(text);
    } else if (kind === 'redis' && path.endsWith('.json')) {
      material.redisServers += 1;
      material.redisValues += Object.keys(JSON.parse(text) as object).length;
    } else {
      material.otherFiles += 1;
    }
    hits.push(...findNeedles(text, kind === 'payloads' ? needles : [...needles, ...personalNeedles], relative(dir, path)));
  }

  for (const hit of hits) {
    failures.push(`${maskForReport(hit.needle.key)} found (${hit.needle.form}) in ${hit.source}:${hit.line}`);
  }

  const started = (type: AuditEvent['type']) => events.filter((event) => event.type === type);
  const audited = new Set(started('redis-audited').map((event) => event.label));
  for (const event of started('redis-audit-failed')) {
    failures.push(`Redis server ${event.label} (${basename(event.testPath)}) could not be dumped: ${event.detail ?? ''}`);
  }
  for (const event of started('redis-start')) {
    if (!audited.has(event.label)) {
      failures.push(`Redis server ${event.label} started by ${basename(event.testPath)} was never destroyed, so its contents were not scanned`);
    }
  }
  for (const event of started('api-start')) {
    const log = join(dir, 'material/logs', `${event.label}.log`);
    if (!existsSync(log) || statSync(log).size === 0) {
      failures.push(`API instance ${event.label} started by ${basename(event.testPath)} wrote no captured log line`);
    }
  }

  const specsWithServers = new Set(events.map((event) => event.testPath));
  const integrationSpecs = filesUnder(join(workspaceRoot, 'apps/api/test')).filter((path) => path.endsWith('.integration.spec.ts'));
  const fullRun = integrationSpecs.length > 0 && integrationSpecs.every((path) => specsWithServers.has(path));
  if (fullRun) {
    const counts = { logLines: material.logLines, payloads: material.payloads, redisServers: material.redisServers, redisValues: material.redisValues, keys: keys.size };
    for (const [name, minimum] of Object.entries(FULL_RUN_MINIMUM)) {
      const count = counts[name as keyof typeof counts];
      if (count < minimum) failures.push(`only ${count} ${name} were audited (a full run has at least ${minimum}); a capture hook is not working`);
    }
  } else if (events.length > 0 && (material.logLines === 0 || material.payloads === 0 || keys.size === 0)) {
    failures.push(`servers were started but the audit captured ${material.logLines} log lines, ${material.payloads} payloads and ${keys.size} keys`);
  }

  return {
    fullRun,
    keys: keys.size,
    personal: personal.size,
    needles: needles.length,
    material,
    hits: hits.map((hit) => ({ key: maskForReport(hit.needle.key), form: hit.needle.form, source: hit.source, line: hit.line })),
    failures,
  };
}

function readLines(folder: string): Set<string> {
  const lines = new Set<string>();
  for (const path of filesUnder(folder)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) if (line) lines.add(line);
  }
  return lines;
}

function collectKeys(dir: string, workspaceRoot: string): Set<string> {
  const keys = readLines(join(dir, 'keys'));
  for (const { dir: sourceDir, accept } of KEY_SOURCES) {
    for (const path of filesUnder(join(workspaceRoot, sourceDir))) {
      if (!accept(path)) continue;
      for (const match of readFileSync(path, 'utf8').match(KEY_LIKE) ?? []) keys.add(match);
    }
  }
  return keys;
}

function readEvents(dir: string): AuditEvent[] {
  return filesUnder(dir).flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as AuditEvent),
  );
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function countLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}
