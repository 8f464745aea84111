import type { Page } from '@playwright/test';
import {
  assistantTurns,
  chooseProvider,
  closeSettings,
  lastAnswer,
  listedModel,
  openSettings,
  sendMessage,
  setKey,
  settingsLoaded,
  typeModel,
} from './support/app';
import { expect, test } from './support/fixtures';
import { USER_KEYS } from './support/stack';

/** Sets the user's Anthropic key in Settings and picks Anthropic for the chat. */
async function chatWithAnthropic(page: Page): Promise<{ option: string; model: string }> {
  await setKey(await openSettings(page), 'anthropic', USER_KEYS.anthropic);
  await closeSettings(page);
  const option = await chooseProvider(page, 'anthropic');
  return { option, model: await listedModel(page) };
}

/** Asks Gemini, which has no key, and waits for the error. */
async function askGeminiWithoutKey(page: Page): Promise<void> {
  await chooseProvider(page, 'gemini');
  await typeModel(page, 'gemini-2.5-flash');
  await sendMessage(page, 'Hello?');
  await expect(lastAnswer(page).getByTestId('chat-error')).toBeVisible();
}

test.describe('chat in the browser', () => {
  test('streams the fake upstream answer with the session key and shows that the session key was used', async ({ fake, page }) => {
    const { option, model } = await chatWithAnthropic(page);
    expect(option).toBe('Anthropic · your session key');
    await expect(page.getByTestId('provider-key-source')).toHaveText('Uses your session key.');

    await sendMessage(page, 'Say hello');
    const answer = lastAnswer(page);
    await expect(answer.getByTestId('credential-source')).toHaveText('via session key');
    await expect(answer.getByTestId('assistant-message')).toHaveText(fake.expectedText());
    await expect(page.getByTestId('user-message')).toHaveText('Say hello');

    const chats = fake.requestsFor('anthropic').filter((request) => request.endpoint === 'chat');
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ key: USER_KEYS.anthropic, model, outcome: 'completed' });
  });

  test('Stop cancels a slow answer: the upstream sees the client close and the text stops growing', async ({ fake, page }) => {
    fake.configure({ chunkDelayMs: 100, chunkCount: 200 });
    await chatWithAnthropic(page);

    await sendMessage(page, 'Tell me a long story');
    const stoppedAnswer = assistantTurns(page).first();
    const text = stoppedAnswer.getByTestId('assistant-message');
    await expect(text).not.toBeEmpty();
    await page.getByTestId('stop-button').click();

    const closed = await fake.waitForRequest((request) => request.endpoint === 'chat' && request.closedAt !== null, 5_000);
    expect(closed.outcome).toBe('closed-by-client');
    expect(closed.chunksSent).toBeLessThan(fake.expectedChunks().length);
    expect(fake.stats().openStreams).toBe(0);
    // The upstream can see the close before the browser has rendered the stopped state.
    await expect(stoppedAnswer.getByTestId('answer-stopped')).toBeVisible();
    await expect(page.getByTestId('stop-button')).toHaveCount(0);

    // The answer is rendered markdown: a paragraph whose text ends with the block's line break.
    const stoppedAt = (await text.textContent())?.trim() ?? '';
    const wholeAnswer = fake.expectedText();
    expect(wholeAnswer.startsWith(stoppedAt)).toBe(true);
    expect(stoppedAt.length).toBeLessThan(wholeAnswer.length);
    // A later answer on the same socket comes after anything the stopped stream could still have
    // sent, so once it is complete the stopped text has had every chance to grow.
    fake.configure({ chunkDelayMs: 0, chunkCount: 3 });
    await sendMessage(page, 'And now a short one');
    await expect(lastAnswer(page).getByTestId('credential-source')).toHaveText('via session key');
    await expect(assistantTurns(page)).toHaveCount(2);
    expect((await text.textContent())?.trim()).toBe(stoppedAt);
  });

  test('no_key: Gemini without a key shows the error, and its button opens Settings focused on Gemini', async ({ page }) => {
    await askGeminiWithoutKey(page);

    const answer = lastAnswer(page);
    await expect(answer.getByTestId('chat-error')).toHaveText(/Google Gemini.*Settings|Settings.*Google Gemini/);
    await answer.getByTestId('open-settings-from-error').click();
    const dialog = await settingsLoaded(page);
    const geminiKey = dialog.getByTestId('key-input-gemini');
    await expect(geminiKey).toBeFocused();
    await expect(geminiKey).toBeVisible();
  });

  test('after adding the missing key from the error, Retry streams the answer with that key', async ({ fake, page }) => {
    await askGeminiWithoutKey(page);
    await lastAnswer(page).getByTestId('open-settings-from-error').click();
    const dialog = await settingsLoaded(page);
    await expect(dialog.getByTestId('key-input-gemini')).toBeFocused();
    await page.keyboard.type(USER_KEYS.gemini);
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('key-source-gemini')).toHaveText('SESSION');
    await closeSettings(page);

    // The key regenerated the session; the answer must come through the socket's new handshake.
    await lastAnswer(page).getByTestId('retry-answer').click();
    const answer = lastAnswer(page);
    await expect(answer.getByTestId('credential-source')).toHaveText('via session key');
    await expect(answer.getByTestId('assistant-message')).toHaveText(fake.expectedText());
    await expect(answer.getByTestId('chat-error')).toHaveCount(0);
    const chat = fake.requestsFor('gemini').find((request) => request.endpoint === 'chat');
    expect(chat?.key).toBe(USER_KEYS.gemini);
  });
});
