import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FakeUpstreamOptions } from '@byok/fake-upstream';
import { openApp } from './app';
import { PageProblems, launchChromium, newUserContext } from './browser';
import { E2eStack } from './stack';

export interface BrowserSuite {
  readonly stack: E2eStack;
  readonly browser: Browser;
  /** A fresh browser profile per test, so every test starts with a new server session. */
  readonly context: BrowserContext;
  /** A page of `context` with the app open. */
  readonly page: Page;
  readonly problems: PageProblems;
}

/**
 * Registers the hooks of a browser test file: the stack and Chromium for the file, a new
 * context with the app open for each test, and teardown of everything even when a test or a
 * start-up step fails.
 */
export function useBrowserSuite(fakeOptions: FakeUpstreamOptions = {}): BrowserSuite {
  let stack: E2eStack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let problems: PageProblems | undefined;

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([E2eStack.start({ fake: fakeOptions }), launchChromium()]);
    if (started.status === 'fulfilled') stack = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 20_000);

  beforeEach(async () => {
    if (!stack || !browser) throw new Error('the stack or the browser did not start');
    stack.fake?.reset();
    context = await newUserContext(browser);
    page = await context.newPage();
    problems = new PageProblems(page);
    await openApp(page, stack.baseUrl);
  });

  afterEach(async () => {
    const seen = problems;
    await context?.close();
    context = undefined;
    page = undefined;
    // An uncaught exception in the app is a bug even when the test's assertions passed.
    if (seen && seen.uncaught.length > 0) {
      throw new Error(
        `The page threw:\n${seen.uncaught.join('\n')}\nConsole errors:\n${seen.console.join('\n')}` +
          (stack && !stack.external ? `\nAPI output:\n${stack.apiOutput}` : ''),
      );
    }
  });

  const required = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} is only available inside a test`);
    return value;
  };
  return {
    get stack() {
      return required(stack, 'stack');
    },
    get browser() {
      return required(browser, 'browser');
    },
    get context() {
      return required(context, 'context');
    },
    get page() {
      return required(page, 'page');
    },
    get problems() {
      return required(problems, 'problems');
    },
  };
}
