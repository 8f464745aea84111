import { parseArgs } from 'node:util';
import { identityText } from '../auth/person';
import { loadConfig } from '../config/app-config';
import { ConfigError } from '../config/config-error';
import type { Env } from '../config/config-parsers';
import { RedisKeyringStore } from '../keys/keyring/redis-keyring-store';
import { becomesReady, createRedisClient } from '../redis/redis.module';
import { revokePersonKeys } from './revoke-keys';

const USAGE = `Usage: npm run admin -- revoke-keys --user <id>

  revoke-keys   Delete every API key the person stored (all lifetimes, all browsers), at once for
                every instance. <id> is the id the identity provider gives them (OIDC "sub"),
                or the value the auth proxy sends in AUTH_PROXY_USER_HEADER.

Reads the API's own settings (REDIS_URL and the rest) from the environment.`;

const REDIS_WAIT_MS = 5000;

/** What the command writes to: the process's stdout and stderr, or a test's capture. */
export interface AdminOutput {
  out(text: string): void;
  error(text: string): void;
}

/** Runs one admin command. Exit codes: 0 done, 1 the store failed, 2 the command or the settings are wrong. */
export async function runAdminCommand(argv: string[], env: Env, output: AdminOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { user: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    output.error(`${error instanceof Error ? error.message : 'bad arguments'}\n\n${USAGE}\n`);
    return 2;
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help || command !== 'revoke-keys' || extra.length > 0) {
    output.error(`${USAGE}\n`);
    return parsed.values.help ? 0 : 2;
  }
  const personId = identityText(parsed.values.user);
  if (!personId) {
    output.error(`--user: give the person's id (printable text, at most 256 characters).\n\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.error(`${error.message}\n`);
    return 2;
  }
  if (!config.redis.topology) {
    output.error('No Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): without Redis the keys live inside the API process, and ending it (or the person signing out) is how they go.\n');
    return 2;
  }
  const redis = createRedisClient(config.redis.topology);
  try {
    // The client sends nothing before it is connected (no offline queue), so wait for that first.
    if (!(await becomesReady(redis, REDIS_WAIT_MS))) throw new Error('Redis not ready');
    const providers = (await revokePersonKeys(new RedisKeyringStore(redis), personId)).sort();
    output.out(
      providers.length === 0
        ? 'That person had no stored keys.\n'
        : `Deleted ${providers.length} stored key${providers.length === 1 ? '' : 's'} (${providers.join(', ')}) of that person.\n`,
    );
    return 0;
  } catch {
    output.error('The key store (Redis) could not be reached; nothing was deleted. Try again when it is up.\n');
    return 1;
  } finally {
    redis.disconnect();
  }
}

if (require.main === module) {
  const output: AdminOutput = { out: (text) => process.stdout.write(text), error: (text) => process.stderr.write(text) };
  runAdminCommand(process.argv.slice(2), process.env, output).then(
    (code) => process.exit(code),
    () => {
      output.error('The command failed unexpectedly.\n');
      process.exit(1);
    },
  );
}
