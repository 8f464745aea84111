import { defineConfig } from '@playwright/test';
import { CHROMIUM_PATH, CONTEXT_OPTIONS, EXTERNAL_BASE_URL } from './src/support/environment';

/**
 * One worker, one test at a time: a worker's stack (Redis, the fake upstream, the API) is shared
 * by its tests, each in a new browser profile, and the fake is one per stack. No retries: a test
 * that passes only sometimes is a failing test.
 */
export default defineConfig({
  testDir: './src',
  testMatch: '**/*.spec.ts',
  outputDir: '../../dist/.playwright/apps/web-e2e/test-output',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Never met without retries; should someone add them, a test that needed one still fails the run.
  failOnFlakyTests: true,
  forbidOnly: !!process.env['CI'],
  // The list reporter's closing counts ("  12 passed (1.2m)") are what .ci/run adds up.
  reporter: [['list']],
  // A loaded 2-core machine: generous, but a wait that can never end still fails in seconds.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    ...CONTEXT_OPTIONS,
    browserName: 'chromium',
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        ...(EXTERNAL_BASE_URL !== null ? ['--ignore-certificate-errors'] : []),
      ],
    },
  },
});
