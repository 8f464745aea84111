import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The entrypoint of the Redis nodes and sentinels of docker-compose.sentinel.yml. */
export const RENDER_ONCE = 'docker/redis-sentinel/render-once.sh';

/** `name args…` lines of a redis.conf or sentinel.conf, with Redis's quoting; comments and blanks skipped. */
export function parseRedisConf(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => match[1] ?? match[2]));
}

/** The lines of `name` (case-insensitive, as Redis reads it) whose first arguments are `prefix`. */
export function directives(conf: readonly string[][], name: string, ...prefix: string[]): string[][] {
  return conf.filter(
    ([first, ...args]) => first.toLowerCase() === name && prefix.every((word, index) => args[index]?.toLowerCase() === word),
  );
}

/**
 * A bin directory holding a stand-in for the redis image's docker-entrypoint.sh. The image's
 * drops root and then runs its arguments; `record` writes them to a file instead, `exec` runs them.
 */
export function entrypointStub(dir: string, mode: 'record' | 'exec'): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const body = mode === 'exec' ? 'exec "$@"' : 'printf \'%s\\n\' "$@" > "$BYOK_TEST_EXEC_ARGS"';
  writeFileSync(join(bin, 'docker-entrypoint.sh'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, 'docker-entrypoint.sh'), 0o755);
  return bin;
}
