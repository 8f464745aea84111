/**
 * `describe` for checks that need a tool on the machine. Without the tool, a local run skips
 * them with a warning; under CI (`CI=true`) they fail instead, so a missing tool can never turn
 * a passing run into one that quietly checked less.
 */
export function describeWithTool(tool: string, available: boolean, install: string): (name: string, body: () => void) => void {
  if (available) return (name, body) => describe(name, body);
  if (process.env['CI'] === 'true') {
    return (name) =>
      describe(name, () => {
        it(`needs ${tool}, which this machine lacks (${install})`, () => {
          throw new Error(`${tool} is not installed; CI installs it in .ci/run (${install})`);
        });
      });
  }
  console.warn(`${tool} is not installed: its checks are skipped (${install})`);
  return (name, body) => describe.skip(name, body);
}
