const { join } = require('node:path');

/** What every Jest project of the workspace shares (apps/api composes the same in its own config). */
module.exports = {
  testEnvironment: 'node',
  // In band: the global teardown then runs in the process the tests ran in and sees what they left open.
  maxWorkers: 1,
  // The run fails if anything a test started is still open at the end; --detectOpenHandles says where it came from.
  globalSetup: join(__dirname, 'tools/jest/global-setup.ts'),
  globalTeardown: join(__dirname, 'tools/jest/global-teardown.ts'),
};
