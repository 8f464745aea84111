import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { EXTERNAL_BASE_URL } from './stack';

/** Debian's Chromium; the suite never downloads a browser of its own. */
export const CHROMIUM_PATH = process.env['E2E_CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const VIEWPORT = { width: 1280, height: 900 };

/**
 * Headless Chromium with a fresh temporary profile (Playwright creates and removes it). Against
 * E2E_BASE_URL the target may be an HTTPS cluster with a self-signed certificate.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
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
  });
}

/** A new browser profile's worth of state: no cookies, so a new server session. */
export async function newUserContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    ignoreHTTPSErrors: EXTERNAL_BASE_URL !== null,
    reducedMotion: 'reduce',
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  // Fail in seconds with the locator named, rather than at Jest's test timeout.
  context.setDefaultTimeout(7_000);
  return context;
}

/** Uncaught exceptions and console errors of a page, for asserting and for failure messages. */
export class PageProblems {
  readonly uncaught: string[] = [];
  readonly console: string[] = [];

  constructor(page: Page) {
    page.on('pageerror', (error) => this.uncaught.push(error.stack ?? error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') this.console.push(message.text());
    });
  }
}

export function byTestId(scope: Page | Locator, id: string): Locator {
  return scope.locator(`[data-testid="${id}"]`);
}

export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim();
}

/**
 * Retries `check` (which throws, e.g. a failed `expect`) until it passes. Playwright's
 * auto-waiting assertions belong to @playwright/test, which this Jest suite does not use.
 */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 7_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
