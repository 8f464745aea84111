import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
import { byTestId, eventually, textOf } from './support/browser';
import { USER_KEYS, itWithFake } from './support/stack';
import { useBrowserSuite } from './support/suite';

const SCREENSHOT = resolve(__dirname, '../../../docs/_static/byok-settings.png');
const ANTHROPIC_KEY = USER_KEYS.anthropic;
const ANTHROPIC_MASK = maskKey(ANTHROPIC_KEY, BUILT_IN_KEY_FORMATS.anthropic);

describe('API keys in the Settings dialog', () => {
  const suite = useBrowserSuite();

  it('opens from the toolbar with the API keys panel expanded and explaining ENV, SESSION and none', async () => {
    const dialog = await openSettings(suite.page);
    const header = dialog.locator('mat-expansion-panel-header');
    expect(await header.getAttribute('aria-expanded')).toBe('true');
    expect(await textOf(header)).toContain('API keys');
    const info = await textOf(byTestId(dialog, 'keys-info'));
    expect(info).toMatch(/ENV is the server's key.*SESSION is a key you entered.*none means there is no key/s);
    expect(info).toContain("The server's key takes precedence over yours");
    for (const provider of ['openai', 'anthropic', 'gemini', 'ollama']) {
      expect(await byTestId(dialog, `provider-row-${provider}`).isVisible()).toBe(true);
    }
    expect(await textOf(byTestId(dialog, 'key-source-anthropic'))).toBe('none');
  });

  it('setting an Anthropic key shows SESSION and the masked key, and empties the field', async () => {
    const dialog = await openSettings(suite.page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);

    expect(await textOf(byTestId(dialog, 'masked-key-anthropic'))).toBe(ANTHROPIC_MASK);
    expect(await byTestId(dialog, 'key-input-anthropic').inputValue()).toBe('');
    expect(await suite.page.content()).not.toContain(ANTHROPIC_KEY);
    const server = await keysSeenByServer(suite.page);
    expect(server['anthropic']).toMatchObject({ source: 'session', masked: ANTHROPIC_MASK });
  });

  it('a session key is still SESSION after the page is reloaded', async () => {
    const { page } = suite;
    await setKey(await openSettings(page), 'anthropic', ANTHROPIC_KEY);

    await page.reload();
    const dialog = await openSettings(page);
    expect(await textOf(byTestId(dialog, 'key-source-anthropic'))).toBe('SESSION');
    expect(await textOf(byTestId(dialog, 'masked-key-anthropic'))).toBe(ANTHROPIC_MASK);
  });

  it('Clear asks for confirmation: Cancel keeps the key; confirming removes it, the chip shows none and the chat page knows', async () => {
    const { page } = suite;
    const dialog = await openSettings(page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);

    await byTestId(dialog, 'clear-key-anthropic').click();
    const confirm = page.getByRole('alertdialog');
    expect(await textOf(confirm.locator('h2'))).toBe('Clear your Anthropic key?');
    await byTestId(confirm, 'cancel-clear').click();
    await confirm.waitFor({ state: 'detached' });
    expect(await textOf(byTestId(dialog, 'key-source-anthropic'))).toBe('SESSION');
    expect((await keysSeenByServer(page))['anthropic']?.source).toBe('session');

    await byTestId(dialog, 'clear-key-anthropic').click();
    await byTestId(confirm, 'confirm-clear').click();
    await eventually(async () => expect(await textOf(byTestId(dialog, 'key-source-anthropic'))).toBe('none'));
    expect(await byTestId(dialog, 'masked-key-anthropic').count()).toBe(0);
    expect(await byTestId(dialog, 'clear-key-anthropic').count()).toBe(0);
    expect((await keysSeenByServer(page))['anthropic']).toMatchObject({ source: 'none', masked: null });
    // The chat page shares the change without a reload.
    await closeSettings(page);
    expect(await chooseProvider(page, 'anthropic')).toBe('Anthropic · no key');
    expect(await byTestId(page, 'add-key').isVisible()).toBe(true);
  });

  it('OpenAI, configured with a server key, shows ENV, is locked with its reason and offers no Set or Clear', async () => {
    const dialog = await openSettings(suite.page);
    expect(await textOf(byTestId(dialog, 'key-source-openai'))).toBe('ENV');
    expect(await textOf(byTestId(dialog, 'locked-reason-openai'))).toBe(
      'The server provides its own key for OpenAI, which takes precedence; a personal key would not be used.',
    );
    expect(await byTestId(dialog, 'key-input-openai').isDisabled()).toBe(true);
    expect(await byTestId(dialog, 'set-key-openai').count()).toBe(0);
    expect(await byTestId(dialog, 'clear-key-openai').count()).toBe(0);
    expect(await byTestId(dialog, 'masked-key-openai').count()).toBe(0);
  });

  it('a malformed key shows the format error and nothing is sent or stored', async () => {
    const { page } = suite;
    const setRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(API_ROUTES.setProviderKey)) setRequests.push(request.method());
    });
    const dialog = await openSettings(page);
    // An OpenAI-style key in the Anthropic field: a plausible paste mistake.
    await submitKey(dialog, 'anthropic', 'sk-proj-0123456789abcdefghijklmnop');

    const error = byTestId(dialog, 'key-error-anthropic');
    await error.waitFor();
    expect(await textOf(error)).toBe('Anthropic API keys start with "sk-ant-"; check that the key is for Anthropic.');
    expect(await byTestId(dialog, 'key-input-anthropic').getAttribute('aria-invalid')).toBe('true');
    expect(await textOf(byTestId(dialog, 'key-source-anthropic'))).toBe('none');
    expect(setRequests).toEqual([]);
    expect((await keysSeenByServer(page))['anthropic']).toMatchObject({ source: 'none', masked: null });

    await page.reload();
    expect(await textOf(byTestId(await openSettings(page), 'key-source-anthropic'))).toBe('none');
  });

  // Drawn only from the local stack, so the documentation always shows the same setup; written to
  // docs/ only with UPDATE_SCREENSHOTS=1, so a test run never changes a tracked file.
  itWithFake('draws the settings screenshot with an ENV and a SESSION provider in view', async () => {
    const { page } = suite;
    const dialog = await openSettings(page);
    await setKey(dialog, 'anthropic', ANTHROPIC_KEY);
    // The "key saved" snack bar would cover the bottom of the picture.
    await page.locator('mat-snack-bar-container').getByRole('button', { name: 'Dismiss' }).click();
    await page.locator('mat-snack-bar-container').waitFor({ state: 'detached' });
    await closeSettings(page);
    await page.reload();

    const shown = await openSettings(page);
    await shown.locator('mat-dialog-content').evaluate((content) => content.scrollTo(0, 0));
    // Focus rings and the tooltip of the Settings button are noise in a picture.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(640, 890);
    await page.evaluate(() => document.fonts.ready.then(() => undefined));

    for (const [provider, label] of [['openai', 'ENV'], ['anthropic', 'SESSION']]) {
      const chip = byTestId(shown, `key-source-${provider}`);
      expect(await textOf(chip)).toBe(label);
      const box = await chip.boundingBox();
      expect(box).not.toBeNull();
      expect((box?.y ?? 900) + (box?.height ?? 0)).toBeLessThanOrEqual(900);
    }
    const path = process.env['UPDATE_SCREENSHOTS'] === '1' ? SCREENSHOT : join(mkdtempSync(join(tmpdir(), 'byok-e2e-')), 'byok-settings.png');
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
    expect(statSync(path).size).toBeGreaterThan(10_000);
    expect(await settingsDialog(page).isVisible()).toBe(true);
  });
});
