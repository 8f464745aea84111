import type { Page } from 'playwright-core';
import {
  chooseProvider,
  closeSettings,
  focusedTestId,
  lastAnswer,
  listedModel,
  openSettings,
  sendMessage,
  setKey,
  settingsLoaded,
  typeModel,
} from './support/app';
import { byTestId, eventually, textOf } from './support/browser';
import { USER_KEYS, itWithFake } from './support/stack';
import { useBrowserSuite } from './support/suite';

describe('chat in the browser', () => {
  const suite = useBrowserSuite();

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
    await byTestId(lastAnswer(page), 'chat-error').waitFor();
  }

  itWithFake('streams the fake upstream answer with the session key and shows that the session key was used', async () => {
    const { page } = suite;
    const fake = suite.stack.upstream;
    const { option, model } = await chatWithAnthropic(page);
    expect(option).toBe('Anthropic · your session key');
    expect(await textOf(byTestId(page, 'provider-key-source'))).toBe('Uses your session key.');

    await sendMessage(page, 'Say hello');
    const answer = lastAnswer(page);
    await eventually(async () => expect(await textOf(byTestId(answer, 'credential-source'))).toBe('via session key'));
    expect(await byTestId(answer, 'assistant-message').textContent()).toBe(fake.expectedText());
    expect(await textOf(byTestId(page, 'user-message'))).toBe('Say hello');

    const chats = fake.requestsFor('anthropic').filter((request) => request.endpoint === 'chat');
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ key: USER_KEYS.anthropic, model, outcome: 'completed' });
  });

  itWithFake('Stop cancels a slow answer: the upstream sees the client close and the text stops growing', async () => {
    const { page } = suite;
    const fake = suite.stack.upstream;
    fake.configure({ chunkDelayMs: 100, chunkCount: 200 });
    await chatWithAnthropic(page);

    await sendMessage(page, 'Tell me a long story');
    const stoppedAnswer = page.locator('li.turn.assistant').first();
    const text = byTestId(stoppedAnswer, 'assistant-message');
    await eventually(async () => expect((await text.textContent())?.length ?? 0).toBeGreaterThan(0));
    await byTestId(page, 'stop-button').click();

    const closed = await fake.waitForRequest((request) => request.endpoint === 'chat' && request.closedAt !== null, 5_000);
    expect(closed.outcome).toBe('closed-by-client');
    expect(closed.chunksSent).toBeLessThan(fake.expectedChunks().length);
    expect(fake.stats().openStreams).toBe(0);
    // The upstream can see the close before the browser has rendered the stopped state.
    await byTestId(stoppedAnswer, 'answer-stopped').waitFor();
    await eventually(async () => expect(await byTestId(page, 'stop-button').count()).toBe(0));

    const stoppedAt = (await text.textContent()) ?? '';
    const wholeAnswer = fake.expectedText();
    expect(wholeAnswer.startsWith(stoppedAt)).toBe(true);
    expect(stoppedAt.length).toBeLessThan(wholeAnswer.length);
    // A later answer on the same socket comes after anything the stopped stream could still have
    // sent, so once it is complete the stopped text has had every chance to grow.
    fake.configure({ chunkDelayMs: 0, chunkCount: 3 });
    await sendMessage(page, 'And now a short one');
    await eventually(async () => expect(await textOf(byTestId(lastAnswer(page), 'credential-source'))).toBe('via session key'));
    expect(await page.locator('li.turn.assistant').count()).toBe(2);
    expect(await text.textContent()).toBe(stoppedAt);
  });

  it('no_key: Gemini without a key shows the error, and its button opens Settings focused on Gemini', async () => {
    const { page } = suite;
    await askGeminiWithoutKey(page);

    const answer = lastAnswer(page);
    expect(await textOf(byTestId(answer, 'chat-error'))).toMatch(/Google Gemini.*Settings|Settings.*Google Gemini/);
    await byTestId(answer, 'open-settings-from-error').click();
    const dialog = await settingsLoaded(page);
    await eventually(async () => expect(await focusedTestId(page)).toBe('key-input-gemini'));
    expect(await byTestId(dialog, 'key-input-gemini').isVisible()).toBe(true);
  });

  itWithFake('after adding the missing key from the error, Retry streams the answer with that key', async () => {
    const { page } = suite;
    const fake = suite.stack.upstream;
    await askGeminiWithoutKey(page);
    await byTestId(lastAnswer(page), 'open-settings-from-error').click();
    const dialog = await settingsLoaded(page);
    await eventually(async () => expect(await focusedTestId(page)).toBe('key-input-gemini'));
    await page.keyboard.type(USER_KEYS.gemini);
    await page.keyboard.press('Enter');
    await eventually(async () => expect(await textOf(byTestId(dialog, 'key-source-gemini'))).toBe('SESSION'));
    await closeSettings(page);

    // The key regenerated the session; the answer must come through the socket's new handshake.
    await byTestId(lastAnswer(page), 'retry-answer').click();
    const answer = lastAnswer(page);
    await eventually(async () => expect(await textOf(byTestId(answer, 'credential-source'))).toBe('via session key'));
    expect(await byTestId(answer, 'assistant-message').textContent()).toBe(fake.expectedText());
    expect(await byTestId(answer, 'chat-error').count()).toBe(0);
    const chat = fake.requestsFor('gemini').find((request) => request.endpoint === 'chat');
    expect(chat?.key).toBe(USER_KEYS.gemini);
  });
});
