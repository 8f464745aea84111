import { execFile } from 'node:child_process';
import { join } from 'node:path';

const FIXTURES = join(__dirname, 'fixtures');
const JEST = require.resolve('jest/bin/jest');

interface JestRun {
  exitCode: number | null;
  output: string;
}

/** One Jest run of a fixture file under the workspace preset, as `npm test` would run it. */
function runFixture(fixture: string, ...flags: string[]): Promise<JestRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [JEST, '--config', join(FIXTURES, 'jest.config.js'), '--ci', '--colors=false', ...flags, `${fixture}.fixture.ts`],
      // A run the check fails must still end: the bound is on the run, not on the check's speed.
      { cwd: FIXTURES, timeout: 100_000, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ exitCode, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the workspace Jest preset fails a run that leaves a handle open', () => {
  it('passes a run that closes its server, timer and child process', async () => {
    const run = await runFixture('closes-everything');
    expect(run.output).not.toContain('Open handles');
    expect(run.exitCode).toBe(0);
  });

  it.each([
    ['leaks-a-timer', 'Timeout', 'Timeout, created'],
    ['leaks-a-server', 'TCPServerWrap', 'TCPSERVERWRAP, created'],
    ['leaks-a-child-process', 'ProcessWrap', 'PROCESSWRAP, created'],
  ])('%s: the run fails, names the handle, and with --detectOpenHandles says which line made it', async (fixture, handle, traced) => {
    const plain = await runFixture(fixture);
    expect(plain.exitCode).toBe(1);
    expect(plain.output).toContain('Open handles after the test run:');
    expect(plain.output).toContain(handle);
    expect(plain.output).toContain('Run the same command with --detectOpenHandles');

    const detected = await runFixture(fixture, '--detectOpenHandles');
    expect(detected.exitCode).toBe(1);
    expect(detected.output).toContain(traced);
    // The fixture's line that made the handle, the one marked "the leak the run must report".
    expect(detected.output).toMatch(new RegExp(`${fixture}\\.fixture\\.ts:\\d+:\\d+`));
  });
});
