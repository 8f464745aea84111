import type { BrowserContextOptions } from '@playwright/test';

/**
 * When set, the suite runs against an app already deployed there (e.g. an HTTPS cluster) and
 * starts nothing; tests that need the in-process fake upstream or the test IdP are skipped.
 */
export const EXTERNAL_BASE_URL = process.env['E2E_BASE_URL']?.replace(/\/+$/, '') || null;

// Under CI the tests that drive the fake upstream must run, so an external app there is a setup
// error rather than a quieter suite. Thrown while the config loads: nothing runs at all.
if (EXTERNAL_BASE_URL !== null && process.env['CI'] === 'true') {
  throw new Error('E2E_BASE_URL is set under CI=true: the tests that drive the fake upstream would be skipped');
}

/** Debian's Chromium; the suite never downloads a browser of its own. */
export const CHROMIUM_PATH = process.env['E2E_CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Every browser profile of the suite, the config's own and the sign-in tests' extra ones: the
 * screenshot's size, English dates in UTC, no animations. Against E2E_BASE_URL the target may be
 * an HTTPS cluster with a self-signed certificate.
 */
export const CONTEXT_OPTIONS = {
  viewport: { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  ignoreHTTPSErrors: EXTERNAL_BASE_URL !== null,
  reducedMotion: 'reduce',
  locale: 'en-US',
  timezoneId: 'UTC',
} satisfies BrowserContextOptions;
