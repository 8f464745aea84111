import type { BrowserContext, Locator } from '@playwright/test';

/** Uncaught exceptions and console errors of every page of a browser profile. */
export class PageProblems {
  readonly uncaught: string[] = [];
  readonly console: string[] = [];

  constructor(context: BrowserContext) {
    context.on('weberror', (webError) => {
      const error = webError.error();
      this.uncaught.push(error.stack ?? error.message);
    });
    context.on('console', (message) => {
      if (message.type() === 'error') this.console.push(message.text());
    });
  }

  /** An uncaught exception in the app is a bug even when the test's assertions passed. */
  static assertNone(all: readonly PageProblems[], apiOutput: string | null): void {
    const uncaught = all.flatMap((problems) => problems.uncaught);
    if (uncaught.length === 0) return;
    const consoleErrors = all.flatMap((problems) => problems.console);
    throw new Error(
      `The page threw:\n${uncaught.join('\n')}\nConsole errors:\n${consoleErrors.join('\n')}` +
        (apiOutput === null ? '' : `\nAPI output:\n${apiOutput}`),
    );
  }
}

/** The trimmed text of an element, for helpers that return what they picked. */
export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim();
}
