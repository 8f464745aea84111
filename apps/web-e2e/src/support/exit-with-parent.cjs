// Runs a command and ends it when the test process goes away, however that happens.
// A Playwright worker killed outright (SIGKILL, a crash, the runner giving up on it) runs no
// fixture teardown, so it cannot stop what it started by itself. This wrapper's stdin is a pipe
// from the test process: the pipe closes when that process ends.
//
// Usage: node exit-with-parent.cjs <command> [args...]
const { spawn } = require('node:child_process');

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

function stop(signal) {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

process.stdin.on('data', () => undefined);
process.stdin.on('close', () => stop('SIGKILL'));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => stop(signal));
}
child.on('error', (error) => {
  process.stderr.write(`${command}: ${error.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
