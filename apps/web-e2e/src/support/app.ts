import type { Locator, Page } from 'playwright-core';
import { API_ROUTES, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { byTestId, eventually, textOf } from './browser';

/** What a user does in the app, in the app's own terms (its data-testid hooks). */

/** Opens the app and waits until the chat page has the providers. */
export async function openApp(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await byTestId(page, 'provider-select').waitFor();
}

export function settingsDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Settings' });
}

/** Waits for the Settings dialog to show the keys panel's rows. */
export async function settingsLoaded(page: Page): Promise<Locator> {
  const dialog = settingsDialog(page);
  await byTestId(dialog, 'provider-row-openai').waitFor();
  return dialog;
}

/** Opens Settings from the toolbar. */
export async function openSettings(page: Page): Promise<Locator> {
  await byTestId(page, 'open-settings').click();
  return settingsLoaded(page);
}

export async function closeSettings(page: Page): Promise<void> {
  await byTestId(settingsDialog(page), 'close-settings').click();
  await settingsDialog(page).waitFor({ state: 'detached' });
}

/** Types a key into a provider's row and presses Set, without waiting for the outcome. */
export async function submitKey(dialog: Locator, provider: string, apiKey: string): Promise<void> {
  await byTestId(dialog, `key-input-${provider}`).fill(apiKey);
  await byTestId(dialog, `set-key-${provider}`).click();
}

/** Sets a key through the panel and waits until its row says SESSION. */
export async function setKey(dialog: Locator, provider: string, apiKey: string): Promise<void> {
  await submitKey(dialog, provider, apiKey);
  await eventually(async () => expect(await textOf(byTestId(dialog, `key-source-${provider}`))).toBe('SESSION'));
}

/** The server's view of this browser's keys, asked from inside the page with its cookies. */
export async function keysSeenByServer(page: Page): Promise<Record<string, ProviderKeyStatus>> {
  const response = await page.evaluate(async (path) => {
    const answer = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    return (await answer.json()) as ProviderKeysResponse;
  }, API_ROUTES.providerKeys);
  return Object.fromEntries(response.providers.map((provider) => [provider.id, provider]));
}

/** The data-testid of the focused element. */
export function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** Picks a provider in the chat page's select; returns the option's text. */
export async function chooseProvider(page: Page, provider: string): Promise<string> {
  await byTestId(page, 'provider-select').click();
  const option = byTestId(page, `provider-option-${provider}`);
  const text = await textOf(option);
  await option.click();
  await option.waitFor({ state: 'detached' });
  return text;
}

/** Waits for the model field to be filled from the provider's model list. */
export async function listedModel(page: Page): Promise<string> {
  const input = byTestId(page, 'model-input');
  let model = '';
  await eventually(async () => {
    model = await input.inputValue();
    expect(model).not.toBe('');
  });
  return model;
}

/** Types a model id, for providers whose list cannot be loaded. */
export async function typeModel(page: Page, model: string): Promise<void> {
  const input = byTestId(page, 'model-input');
  await input.fill(model);
  // The autocomplete panel would otherwise cover the composer.
  await input.press('Escape');
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const input = byTestId(page, 'chat-input');
  await input.fill(text);
  await input.press('Enter');
}

export function lastAnswer(page: Page): Locator {
  return page.locator('li.turn.assistant').last();
}
