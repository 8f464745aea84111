import { readFileSync } from 'node:fs';
import { Command } from 'ioredis';

/**
 * ioredis before 5.9.0 leaves a command's `commandTimeout` timer running when the command is
 * rejected rather than answered (redis/ioredis#1535): an error reply (Redis 7.0 answers the
 * CLIENT SETINFO every connection sends with one), or a connection lost with commands in flight.
 * Each such timer holds the process for up to 2 s after app.close(). The API process exits once
 * closed, so only a process that hosts API instances, this one, waits on them. This is the fix
 * 5.9.0 made (Command#_clearTimers on reject), for the tests' process only.
 */
const { version } = JSON.parse(readFileSync(require.resolve('ioredis/package.json'), 'utf8')) as { version: string };
const [major, minor] = version.split('.').map(Number);
if (major > 5 || (major === 5 && minor >= 9)) {
  throw new Error(`ioredis ${version} clears rejected commands' timers itself: delete ${__filename} and its setupFiles entry`);
}

interface TimedCommand {
  reject: (error: Error) => void;
  _commandTimeoutTimer?: NodeJS.Timeout;
}

const setTimeoutOf = Command.prototype.setTimeout;
Command.prototype.setTimeout = function setTimeout(this: Command, ms: number): void {
  setTimeoutOf.call(this, ms);
  const command = this as unknown as TimedCommand;
  const reject = command.reject;
  command.reject = (error: Error) => {
    clearTimeout(command._commandTimeoutTimer);
    reject(error);
  };
};
