import { type Locator, type Page, expect } from '@playwright/test';
import { API_ROUTES, type ProviderKeyStatus, type ProviderKeysResponse } from '@byok/contracts';
import { textOf } from './browser';

/** What a user does in the app, in the app's own terms (its data-testid hooks). */

/** Opens the app and waits until the chat page has the providers. */
export async function openApp(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await expect(page.getByTestId('provider-select')).toBeVisible();
}

export function settingsDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Settings' });
}

/** Waits for the Settings dialog to show the keys panel's rows. */
export async function settingsLoaded(page: Page): Promise<Locator> {
  const dialog = settingsDialog(page);
  await expect(dialog.getByTestId('provider-row-openai')).toBeVisible();
  return dialog;
}

/** Opens Settings from the toolbar. */
export async function openSettings(page: Page): Promise<Locator> {
  await page.getByTestId('open-settings').click();
  return settingsLoaded(page);
}

export async function closeSettings(page: Page): Promise<void> {
  await settingsDialog(page).getByTestId('close-settings').click();
  await expect(settingsDialog(page)).toHaveCount(0);
}

/** Types a key into a provider's row and presses Set, without waiting for the outcome. */
export async function submitKey(dialog: Locator, provider: string, apiKey: string): Promise<void> {
  await dialog.getByTestId(`key-input-${provider}`).fill(apiKey);
  await dialog.getByTestId(`set-key-${provider}`).click();
}

/** Sets a key through the panel and waits until its row says SESSION. */
export async function setKey(dialog: Locator, provider: string, apiKey: string): Promise<void> {
  await submitKey(dialog, provider, apiKey);
  await expect(dialog.getByTestId(`key-source-${provider}`)).toHaveText('SESSION');
}

/** The server's view of this browser's keys, asked from inside the page with its cookies. */
export async function keysSeenByServer(page: Page): Promise<Record<string, ProviderKeyStatus>> {
  const response = await page.evaluate(async (path) => {
    const answer = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    return (await answer.json()) as ProviderKeysResponse;
  }, API_ROUTES.providerKeys);
  return Object.fromEntries(response.providers.map((provider) => [provider.id, provider]));
}

/** Picks a provider in the chat page's select; returns the option's text. */
export async function chooseProvider(page: Page, provider: string): Promise<string> {
  await page.getByTestId('provider-select').click();
  const option = page.getByTestId(`provider-option-${provider}`);
  const text = await textOf(option);
  await option.click();
  await expect(option).toHaveCount(0);
  return text;
}

/** Waits for the model field to be filled from the provider's model list, and returns the model. */
export async function listedModel(page: Page): Promise<string> {
  const input = page.getByTestId('model-input');
  await expect(input).not.toHaveValue('');
  return input.inputValue();
}

/** Types a model id, for providers whose list cannot be loaded. */
export async function typeModel(page: Page, model: string): Promise<void> {
  const input = page.getByTestId('model-input');
  await input.fill(model);
  // The autocomplete panel would otherwise cover the composer.
  await input.press('Escape');
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('chat-input');
  await input.fill(text);
  await input.press('Enter');
}

export function assistantTurns(page: Page): Locator {
  return page.locator('li.turn.assistant');
}

export function lastAnswer(page: Page): Locator {
  return assistantTurns(page).last();
}
