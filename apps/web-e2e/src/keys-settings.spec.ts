import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { API_ROUTES, BUILT_IN_KEY_FORMATS, maskKey } from '@byok/contracts';
import {
  chooseProvider,
  closeSettings,
  keysSeenByServer,
  openSettings,
  setKey,
  settingsDialog,
  submitKey,
} from './support/app';
import { expect, test } from './support/fixtures';
import { USER_KEYS } from './support/stack';

const SCREENSHOT = resolve(__dirname, '../../../docs/_static/byok-settings.png');
const ANTHROPIC_KEY = USER_KEYS.anthropic;
const ANTHROPIC_MASK = maskKey(ANTHROPIC_KEY, BUILT_IN_KEY_FORMATS.anthropic);
const MINUTE = 60_000;
/** The browser's time for the screenshot when the key has no expiry to be relative to. */
const SCREENSHOT_TIME = Date.UTC(2026, 0, 15, 9, 30);

/**
 * A browser time that makes the panel say the same about a key's expiry on every run: the server
 * sets `expiresAt` from its own clock, so the browser's "now" is put the key's whole lifetime
 * (rounded to the minute, which absorbs the seconds since the key was set) before it.
 */
function screenshotClock(expiresAt: string | null): number {
  if (expiresAt === null) return SCREENSHOT_TIME;
  const end = Date.parse(expiresAt);
  return end - Math.round((end - Date.now()) / MINUTE) * MINUTE;
}

test.describe('API keys in the Settings dialog', () => {
  test('opens from the toolbar with the API keys panel expanded and explaining ENV, SESSION and none', async ({ page }) => {
    const dialog = await openSettings(page);
    const header = dialog.locator('mat-expansion-panel-header');
    await expect(header).toHaveAttribute('aria-expanded', 'true');
    await expect(header).toContainText('API keys');
    const info = dialog.getByTestId('keys-info');
    await expect(info).toHaveText(/ENV is the server's key.*SESSION is a key you entered.*none means there is no key/s);
    await expect(info).toContainText("The server's key takes precedence over yours");
    for (const provider of ['openai', 'anthropic', 'gemini', 'ollama']) {
      await expect(dialog.getByTestId(`provider-row-${provider}`)).toBeVisible();
    }
    await expect(dialog.getByTestId('key-source-anthropic')).toHaveText('none');
  });

  test('setting an Anthropic key shows SESSION and the masked key, and empties the field', async ({ page }) => {
    const dialog = await openSettings(page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);

    await expect(dialog.getByTestId('masked-key-anthropic')).toHaveText(ANTHROPIC_MASK);
    await expect(dialog.getByTestId('key-input-anthropic')).toHaveValue('');
    expect(await page.content()).not.toContain(ANTHROPIC_KEY);
    const server = await keysSeenByServer(page);
    expect(server['anthropic']).toMatchObject({ source: 'session', masked: ANTHROPIC_MASK });
  });

  test('a session key is still SESSION after the page is reloaded', async ({ page }) => {
    await setKey(await openSettings(page), 'anthropic', ANTHROPIC_KEY);

    await page.reload();
    const dialog = await openSettings(page);
    await expect(dialog.getByTestId('key-source-anthropic')).toHaveText('SESSION');
    await expect(dialog.getByTestId('masked-key-anthropic')).toHaveText(ANTHROPIC_MASK);
  });

  test('Clear asks for confirmation: Cancel keeps the key; confirming removes it, the chip shows none and the chat page knows', async ({ page }) => {
    const dialog = await openSettings(page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);

    await dialog.getByTestId('clear-key-anthropic').click();
    const confirm = page.getByRole('alertdialog');
    await expect(confirm.locator('h2')).toHaveText('Clear your Anthropic key?');
    await confirm.getByTestId('cancel-clear').click();
    await expect(confirm).toHaveCount(0);
    await expect(dialog.getByTestId('key-source-anthropic')).toHaveText('SESSION');
    expect((await keysSeenByServer(page))['anthropic']?.source).toBe('session');

    await dialog.getByTestId('clear-key-anthropic').click();
    await confirm.getByTestId('confirm-clear').click();
    await expect(dialog.getByTestId('key-source-anthropic')).toHaveText('none');
    await expect(dialog.getByTestId('masked-key-anthropic')).toHaveCount(0);
    await expect(dialog.getByTestId('clear-key-anthropic')).toHaveCount(0);
    expect((await keysSeenByServer(page))['anthropic']).toMatchObject({ source: 'none', masked: null });
    // The chat page shares the change without a reload.
    await closeSettings(page);
    expect(await chooseProvider(page, 'anthropic')).toBe('Anthropic · no key');
    await expect(page.getByTestId('add-key')).toBeVisible();
  });

  test('OpenAI, configured with a server key, shows ENV, is locked with its reason and offers no Set or Clear', async ({ page }) => {
    const dialog = await openSettings(page);
    await expect(dialog.getByTestId('key-source-openai')).toHaveText('ENV');
    await expect(dialog.getByTestId('locked-reason-openai')).toHaveText(
      'The server provides its own key for OpenAI, which takes precedence; a personal key would not be used.',
    );
    await expect(dialog.getByTestId('key-input-openai')).toBeDisabled();
    await expect(dialog.getByTestId('set-key-openai')).toHaveCount(0);
    await expect(dialog.getByTestId('clear-key-openai')).toHaveCount(0);
    await expect(dialog.getByTestId('masked-key-openai')).toHaveCount(0);
  });

  test('a malformed key shows the format error and nothing is sent or stored', async ({ page }) => {
    const setRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(API_ROUTES.setProviderKey)) setRequests.push(request.method());
    });
    const dialog = await openSettings(page);
    // An OpenAI-style key in the Anthropic field: a plausible paste mistake.
    await submitKey(dialog, 'anthropic', 'sk-proj-0123456789abcdefghijklmnop');

    const error = dialog.getByTestId('key-error-anthropic');
    await expect(error).toHaveText('Anthropic API keys start with "sk-ant-"; check that the key is for Anthropic.');
    await expect(dialog.getByTestId('key-input-anthropic')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByTestId('key-source-anthropic')).toHaveText('none');
    expect(setRequests).toEqual([]);
    expect((await keysSeenByServer(page))['anthropic']).toMatchObject({ source: 'none', masked: null });

    await page.reload();
    await expect((await openSettings(page)).getByTestId('key-source-anthropic')).toHaveText('none');
  });

  // Written to docs/ only with UPDATE_SCREENSHOTS=1, so a test run never changes a tracked file.
  test('draws the settings screenshot with an ENV and a SESSION provider in view', async ({ page, stack }, testInfo) => {
    test.skip(stack.external, 'drawn only from the local stack, so the documentation always shows the same setup');
    const dialog = await openSettings(page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);
    // The "key saved" snack bar would cover the bottom of the picture.
    const notice = page.locator('mat-snack-bar-container');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await expect(notice).toHaveCount(0);
    await closeSettings(page);

    // The picture may change only when the UI does: the reloaded page reads a fixed clock.
    await page.clock.setFixedTime(screenshotClock((await keysSeenByServer(page))['anthropic']?.expiresAt ?? null));
    await page.reload();
    const shown = await openSettings(page);
    await shown.locator('mat-dialog-content').evaluate((content) => content.scrollTo(0, 0));
    // Focus rings and the tooltip of the Settings button are noise in a picture. The dialog moves
    // focus into itself once it has opened; taken away before that, focus would come back.
    await expect.poll(() => shown.evaluate((dialog) => dialog.contains(document.activeElement))).toBe(true);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(640, 890);
    await page.evaluate(() => document.fonts.ready.then(() => undefined));

    for (const [provider, label] of [['openai', 'ENV'], ['anthropic', 'SESSION']]) {
      const chip = shown.getByTestId(`key-source-${provider}`);
      await expect(chip).toHaveText(label);
      const box = await chip.boundingBox();
      expect(box).not.toBeNull();
      expect((box?.y ?? 900) + (box?.height ?? 0)).toBeLessThanOrEqual(900);
    }
    const path = process.env['UPDATE_SCREENSHOTS'] === '1' ? SCREENSHOT : testInfo.outputPath('byok-settings.png');
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
    expect(statSync(path).size).toBeGreaterThan(10_000);
    await expect(settingsDialog(page)).toBeVisible();
  });
});
