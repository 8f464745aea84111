import { test as base, type Page } from '@playwright/test';
import type { FakeUpstream, FakeUpstreamOptions } from '@byok/fake-upstream';
import { openApp } from './app';
import { PageProblems } from './browser';
import { E2eStack } from './stack';

export { expect } from '@playwright/test';

interface StackFixtures {
  /** How the worker's fake upstream starts; `test.use({ fakeOptions })` in a file changes it (and gets its own worker). */
  fakeOptions: FakeUpstreamOptions;
  /**
   * Redis, the fake upstream and the built API (or E2E_BASE_URL), started once per worker and
   * stopped when it ends. A failed test ends its worker, so the tests after it get a new stack.
   */
  stack: E2eStack;
}

interface AppFixtures {
  /**
   * The test's own page in a new browser profile (Playwright's per-test context: no cookies, so a
   * new server session), with the fake upstream reset and the app open. After the test, an
   * uncaught exception in any of the profile's pages fails it.
   */
  page: Page;
  /** The stack's fake upstream. A test that asks for it is skipped (and listed so) against E2E_BASE_URL. */
  fake: FakeUpstream;
}

export const test = base.extend<AppFixtures, StackFixtures>({
  fakeOptions: [{}, { scope: 'worker', option: true }],

  stack: [
    async ({ fakeOptions }, use) => {
      const stack = await E2eStack.start({ fake: fakeOptions });
      try {
        await use(stack);
      } finally {
        await stack.stop();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  page: async ({ page, context, stack }, use) => {
    // Requests, injected failures and pacing a previous test left on the shared fake.
    stack.fake?.reset();
    const problems = new PageProblems(context);
    await openApp(page, stack.baseUrl);
    await use(page);
    PageProblems.assertNone([problems], stack.external ? null : stack.apiOutput);
  },

  fake: async ({ stack }, use, testInfo) => {
    testInfo.skip(stack.external, 'drives the in-process fake upstream, which E2E_BASE_URL leaves out');
    await use(stack.upstream);
  },
});
