import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { chooseProvider, closeSettings, lastAnswer, listedModel, openSettings, sendMessage, setKey, typeModel } from './support/app';
import { expect, test } from './support/fixtures';
import { USER_KEYS } from './support/stack';

const WORKSPACE_ROOT = resolve(__dirname, '../../..');
/** The component tests' corpus: every payload, delivered here as one model's answer. */
const XSS_CORPUS: ReadonlyArray<{ name: string; markdown: string }> = JSON.parse(
  readFileSync(join(WORKSPACE_ROOT, 'apps/web/src/app/features/chat/markdown/xss-corpus.json'), 'utf8'),
);

const CODE = 'const answer = 42;\nconsole.log(`the answer is ${answer}`);';
const MARKDOWN_ANSWER = [
  '## A small example',
  '',
  'Run **this** in a terminal, then read [the guide](https://example.com/guide):',
  '',
  '```typescript',
  CODE,
  '```',
  '',
  '| Setting | Default |',
  '| --- | --- |',
  '| `TIMEOUT` | 30 s |',
  '',
  '- one',
  '- two',
].join('\n');

/** OpenAI has the server's key in this stack: no Settings step before asking. */
async function askOpenAi(page: Page, question: string): Promise<void> {
  await chooseProvider(page, 'openai');
  await listedModel(page);
  await sendMessage(page, question);
}

async function answerDone(page: Page): Promise<void> {
  await expect(lastAnswer(page).getByTestId('answer-duration')).toBeVisible();
}

test.describe('answers in the browser', () => {
  test('renders a markdown answer with a highlighted code block, and Copy puts exactly the code on the clipboard', async ({ fake, page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    fake.configure({ text: MARKDOWN_ANSWER, chunkCount: 40 });

    await askOpenAi(page, 'Show me an example');
    await answerDone(page);
    const message = lastAnswer(page).getByTestId('assistant-message');
    await expect(message.locator('h2')).toHaveText('A small example');
    await expect(message.locator('table td').first()).toHaveText('TIMEOUT');
    await expect(message.locator('li')).toHaveText(['one', 'two']);
    const link = message.locator('a', { hasText: 'the guide' });
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(link).toHaveAttribute('target', '_blank');
    // highlight.js arrives lazily and colours the finished block.
    await expect(message.locator('pre code .hljs-keyword').first()).toBeVisible();
    await expect(lastAnswer(page).getByTestId('answer-usage')).toHaveText(/\d+ tokens in · \d+ out/);
    await expect(lastAnswer(page).getByTestId('credential-source')).toHaveText('via server key');

    await message.getByTestId('copy-code').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(CODE);
    await lastAnswer(page).getByTestId('copy-answer').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(MARKDOWN_ANSWER);
  });

  test('an answer made of XSS payloads executes nothing, opens no dialog and loads nothing remote', async ({ fake, page }) => {
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const offSite: string[] = [];
    const apiOrigin = new URL(page.url()).origin;
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== apiOrigin) offSite.push(request.url());
    });
    expect(XSS_CORPUS.length).toBeGreaterThanOrEqual(30);
    const answer = XSS_CORPUS.map((entry) => entry.markdown).join('\n\n---\n\n');
    // Small chunks a few milliseconds apart, so payloads arrive split across frames of the streaming render too.
    fake.configure({ text: answer, chunkCount: Math.ceil(answer.length / 7), chunkDelayMs: 2 });

    await askOpenAi(page, 'Say something dangerous');
    await answerDone(page);
    const message = lastAnswer(page).getByTestId('assistant-message');
    await expect(message).not.toBeEmpty();

    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(offSite).toEqual([]);
    expect(await message.locator('script, iframe, object, embed, svg, math, style, form, img, meta, base, link').count()).toBe(0);
    const unsafe = await message.evaluate((root) =>
      Array.from(root.querySelectorAll('*')).flatMap((element) =>
        Array.from(element.attributes)
          .filter((attribute) => attribute.name.startsWith('on') || (/^(href|src|action|formaction|xlink:href)$/.test(attribute.name) && !/^(https?:|mailto:)/i.test(attribute.value.trim())))
          .map((attribute) => `${element.tagName} ${attribute.name}`),
      ),
    );
    expect(unsafe).toEqual([]);
  });

  test('Retry after key_rejected succeeds once a correct key is set', async ({ fake, page }) => {
    const wrongKey = `${USER_KEYS.anthropic.slice(0, -6)}wrong0`;
    await setKey(await openSettings(page), 'anthropic', wrongKey);
    await closeSettings(page);
    await chooseProvider(page, 'anthropic');
    // The provider refuses to list models for the wrong key too; the id can still be typed.
    await typeModel(page, 'claude-sonnet-4-6');
    await sendMessage(page, 'Hello?');
    const failed = lastAnswer(page);
    await expect(failed.getByTestId('chat-error')).toContainText('rejected');

    await failed.getByTestId('open-settings-from-error').click();
    await setKey(page.getByRole('dialog'), 'anthropic', USER_KEYS.anthropic);
    await closeSettings(page);
    await failed.getByTestId('retry-answer').click();

    await expect(lastAnswer(page).getByTestId('assistant-message')).toHaveText(fake.expectedText());
    await expect(lastAnswer(page).getByTestId('chat-error')).toHaveCount(0);
    await expect(page.getByTestId('chat-input')).toBeFocused();
    const chats = fake.requestsFor('anthropic').filter((request) => request.endpoint === 'chat');
    expect(chats.map((request) => request.key === USER_KEYS.anthropic)).toEqual([false, true]);
  });

  test('a reload keeps the conversation in this tab, with nothing of a key in the browser, and New chat forgets it', async ({ fake, page }) => {
    await setKey(await openSettings(page), 'anthropic', USER_KEYS.anthropic);
    await closeSettings(page);
    await chooseProvider(page, 'anthropic');
    await listedModel(page);
    await sendMessage(page, 'Remember me');
    await answerDone(page);
    const before = await lastAnswer(page).getByTestId('answer-meta').textContent();

    await page.reload();

    await expect(page.getByTestId('user-message')).toHaveText('Remember me');
    await expect(lastAnswer(page).getByTestId('assistant-message')).toHaveText(fake.expectedText());
    await expect(lastAnswer(page).getByTestId('answer-meta')).toHaveText(before ?? '');
    const storage = await page.evaluate(() => ({
      session: JSON.stringify({ ...sessionStorage }),
      local: JSON.stringify({ ...localStorage }),
    }));
    expect(storage.session).toContain('Remember me');
    expect(storage.local).not.toContain('Remember me');
    expect(storage.session).not.toContain(USER_KEYS.anthropic);
    expect(storage.local).not.toContain(USER_KEYS.anthropic);

    await page.getByTestId('new-chat').click();
    await expect(page.getByTestId('chat-empty')).toBeVisible();
    await page.reload();
    await expect(page.getByTestId('chat-empty')).toBeVisible();
  });

  test('a reload mid-answer keeps the text received so far, marked interrupted, and Retry asks again', async ({ fake, page }) => {
    fake.configure({ chunkDelayMs: 100, chunkCount: 200 });
    await askOpenAi(page, 'Tell me a long story');
    const streaming = lastAnswer(page).getByTestId('assistant-message');
    await expect(streaming).toContainText('Chunk 3 of 200');

    await page.reload();

    const interrupted = lastAnswer(page);
    await expect(interrupted.getByTestId('chat-error')).toHaveText('The page was reloaded while this answer was being written. Retry to ask again.');
    await expect(interrupted.getByTestId('assistant-message')).toContainText('Chunk 3 of 200');
    const closed = await fake.waitForRequest((request) => request.endpoint === 'chat' && request.closedAt !== null, 10_000);
    expect(closed.outcome).toBe('closed-by-client');

    fake.configure({ chunkDelayMs: 0, chunkCount: 3 });
    await interrupted.getByTestId('retry-answer').click();
    await expect(lastAnswer(page).getByTestId('assistant-message')).toHaveText(fake.expectedText());
    await expect(page.getByTestId('user-message')).toHaveText('Tell me a long story');
  });

  test('keyboard only: Enter sends, Escape stops the answer, and focus stays in the message box', async ({ fake, page }) => {
    fake.configure({ chunkDelayMs: 100, chunkCount: 200 });
    await chooseProvider(page, 'openai');
    await listedModel(page);
    const input = page.getByTestId('chat-input');
    await input.focus();
    await page.keyboard.type('First line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');

    await expect(page.getByTestId('user-message')).toHaveText('First line\nsecond line');
    await expect(lastAnswer(page).getByTestId('assistant-message')).not.toBeEmpty();
    await expect(input).toBeFocused();
    await page.keyboard.press('Escape');

    await expect(lastAnswer(page).getByTestId('answer-stopped')).toHaveText('Stopped');
    const closed = await fake.waitForRequest((request) => request.endpoint === 'chat' && request.closedAt !== null, 10_000);
    expect(closed.outcome).toBe('closed-by-client');
    await expect(input).toBeFocused();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`meets WCAG AA (contrast included) with a rendered answer in the ${colorScheme} theme`, async ({ fake, page }, testInfo) => {
      await page.emulateMedia({ colorScheme });
      // A fixed clock: the answer's time reads the same in every picture.
      await page.clock.setFixedTime(new Date('2026-12-01T12:00:00Z'));
      await page.reload();
      fake.configure({ text: MARKDOWN_ANSWER, chunkCount: 40 });
      await askOpenAi(page, 'Show me an example');
      await answerDone(page);
      await expect(lastAnswer(page).locator('pre code .hljs-keyword').first()).toBeVisible();

      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      expect(results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
      // The contrast rule did look at the answer's text, code tokens included, and found it readable.
      const contrast = results.passes.find((rule) => rule.id === 'color-contrast');
      expect(contrast?.nodes.some((node) => node.target.join(' ').includes('hljs'))).toBe(true);

      // Written to docs/ only with UPDATE_SCREENSHOTS=1, so a test run never changes a tracked file.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.mouse.move(640, 890);
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      const name = `byok-chat-${colorScheme}.png`;
      const path = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(WORKSPACE_ROOT, 'docs/_static', name) : testInfo.outputPath(name);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
      expect(statSync(path).size).toBeGreaterThan(10_000);
    });
  }
});
