import { LiveAnnouncer } from '@angular/cdk/a11y';
import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { Clipboard } from '@angular/cdk/clipboard';
import { MatDialog } from '@angular/material/dialog';
import {
  API_ROUTES,
  BUILT_IN_KEY_FORMATS,
  type ApiErrorBody,
  type KeyLifetimeOption,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type ProviderModelsResponse,
} from '@byok/contracts';
import { ChatSocket, Clock } from '@byok/web/data-access';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { FakeChatSocket } from '../../testing/fake-chat-socket';
import { SettingsDialog } from '../settings/settings-dialog';
import { ChatPage } from './chat-page';

function provider(overrides: Partial<ProviderKeyStatus> & Pick<ProviderKeyStatus, 'id' | 'name'>): ProviderKeyStatus {
  return {
    source: 'none',
    masked: null,
    editable: true,
    lockedReason: null,
    policy: 'env-first',
    expiresAt: null,
    lifetime: null,
    keyRequired: true,
    keyFormat: BUILT_IN_KEY_FORMATS.openai,
    ...overrides,
  };
}

const SESSION_ONLY: KeyLifetimeOption[] = [{ id: 'session', label: 'This session only' }];

const openai = provider({ id: 'openai', name: 'OpenAI', source: 'session', masked: 'sk-…Y6hJ' });
const anthropic = provider({ id: 'anthropic', name: 'Anthropic', source: 'env' });
const gemini = provider({ id: 'gemini', name: 'Google Gemini', source: 'none' });

const modelsPath = (id: string): string => API_ROUTES.providerModels.replace(':id', id);

describe('ChatPage', () => {
  let fixture: ComponentFixture<ChatPage>;
  let http: HttpTestingController;
  let socket: FakeChatSocket;
  let now: number;

  function element(): HTMLElement {
    return fixture.nativeElement as HTMLElement;
  }

  function byTestId<T extends HTMLElement = HTMLElement>(id: string): T | null {
    return element().querySelector<T>(`[data-testid="${id}"]`);
  }

  function allText(id: string): string[] {
    return Array.from(element().querySelectorAll(`[data-testid="${id}"]`), (node) => node.textContent?.trim() ?? '');
  }

  async function stable(): Promise<void> {
    await fixture.whenStable();
  }

  async function loadPage(
    providers: ProviderKeyStatus[] = [openai, anthropic, gemini],
    models: ProviderModelsResponse['models'] = [
      { id: 'gpt-4o', name: 'GPT-4o' },
      { id: 'gpt-4o-mini', name: 'GPT-4o mini' },
    ],
  ): Promise<void> {
    await stable();
    http.expectOne(API_ROUTES.providerKeys).flush({ providers, lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);
    await stable();
    const first = providers.find((candidate) => candidate.source !== 'none') ?? providers[0];
    if (first) {
      http.expectOne(modelsPath(first.id)).flush({ provider: first.id, models } satisfies ProviderModelsResponse);
      await stable();
    }
  }

  async function typeMessage(text: string): Promise<HTMLTextAreaElement> {
    const input = byTestId<HTMLTextAreaElement>('chat-input');
    if (!input) {
      throw new Error('no chat input');
    }
    input.value = text;
    input.dispatchEvent(new Event('input'));
    await stable();
    return input;
  }

  async function pressEnter(input: HTMLElement, init: KeyboardEventInit = {}): Promise<KeyboardEvent> {
    const event = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init });
    input.dispatchEvent(event);
    await stable();
    return event;
  }

  async function ask(text: string): Promise<void> {
    await typeMessage(text);
    byTestId('send-button')?.click();
    await stable();
  }

  beforeEach(() => {
    // The page keeps its conversation in the tab's storage; each test starts with a new tab.
    sessionStorage.clear();
    socket = new FakeChatSocket();
    now = Date.UTC(2026, 11, 1, 12);
    configure();
  });

  function configure(): void {
    TestBed.configureTestingModule({
      imports: [ChatPage],
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: ChatSocket, useValue: socket },
        { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
        { provide: Clock, useValue: { now: () => new Date(now) } satisfies Clock },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ChatPage);
  }

  /** The page loaded again in the same tab: a new app over the same sessionStorage. */
  async function reloadPage(): Promise<void> {
    http.verify();
    TestBed.resetTestingModule();
    configure();
    await loadPage();
  }

  /** Answers the quiet key refresh that follows each completed answer. */
  function flushKeysRefresh(): void {
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai, anthropic, gemini], lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);
  }

  /** Asks, and the server answers in one delta with the session key. */
  async function askAnswered(question: string, answer: string): Promise<void> {
    await ask(question);
    socket.delta(answer);
    socket.done('session');
    await stable();
    flushKeysRefresh();
  }

  afterEach(() => {
    sessionStorage.clear();
    http.verify();
  });

  it('shows a loading state while the providers are requested', async () => {
    await stable();

    expect(byTestId('providers-loading')?.textContent).toContain('Loading providers');
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [], lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);
    await stable();

    expect(byTestId('providers-empty')?.textContent).toContain('No providers are configured');
  });

  it("shows the API's error message when the providers cannot be loaded", async () => {
    await stable();
    const body: ApiErrorBody = { statusCode: 503, code: 'store_unavailable', message: 'The session store is unavailable.' };
    http.expectOne(API_ROUTES.providerKeys).flush(body, { status: 503, statusText: 'Service Unavailable' });
    await stable();

    expect(byTestId('providers-error')?.getAttribute('role')).toBe('alert');
    expect(byTestId('providers-error')?.textContent).toContain('The session store is unavailable.');
  });

  it('offers every provider with its key source, and picks the first with a key', async () => {
    await loadPage();

    expect(byTestId('provider-select')?.textContent).toContain('OpenAI · your session key');
    expect(byTestId('provider-key-source')?.textContent?.trim()).toBe('Uses your session key.');

    byTestId<HTMLElement>('provider-select')?.click();
    await stable();
    const options = Array.from(document.querySelectorAll('mat-option[data-testid^="provider-option-"]'), (option) =>
      option.textContent?.trim(),
    );
    expect(options).toEqual(['OpenAI · your session key', 'Anthropic · server key', 'Google Gemini · no key']);
  });

  it("loads the provider's models and fills the model field with the first one", async () => {
    await loadPage();

    expect(byTestId<HTMLInputElement>('model-input')?.value).toBe('gpt-4o');
  });

  it('shows why the model list failed and still lets the user type a model id', async () => {
    await stable();
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [gemini], lifetimes: SESSION_ONLY });
    await stable();
    const body: ApiErrorBody = { statusCode: 400, code: 'no_key', message: 'Google Gemini needs an API key.' };
    http.expectOne(modelsPath('gemini')).flush(body, { status: 400, statusText: 'Bad Request' });
    await stable();

    expect(byTestId('models-error')?.textContent).toContain('Google Gemini needs an API key.');
    expect(byTestId('add-key')).not.toBeNull();
    const model = byTestId<HTMLInputElement>('model-input');
    expect(model?.disabled).toBe(false);
    if (model) {
      model.value = 'gemini-2.0-flash';
      model.dispatchEvent(new Event('input'));
    }
    await ask('Hello');

    expect(socket.started.at(-1)).toMatchObject({ provider: 'gemini', model: 'gemini-2.0-flash' });
  });

  it('renders the streamed deltas in order as they arrive, then the credential source', async () => {
    const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce');
    await loadPage();

    await ask('Say hello');
    expect(socket.started).toEqual([
      { id: expect.any(String), provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] },
    ]);
    expect(allText('user-message')).toEqual(['Say hello']);
    expect(byTestId('assistant-message')?.getAttribute('aria-busy')).toBe('true');

    socket.delta('Hel');
    await stable();
    expect(allText('assistant-message')).toEqual(['Hel']);

    socket.delta('lo, ');
    socket.delta('world!');
    await stable();
    expect(allText('assistant-message')).toEqual(['Hello, world!']);
    expect(byTestId('credential-source')).toBeNull();

    socket.done('session');
    await stable();
    expect(byTestId('credential-source')?.textContent?.trim()).toBe('via session key');
    expect(byTestId('assistant-message')?.getAttribute('aria-busy')).toBe('false');
    // Read out once, finished, as the page shows it; nothing was announced while it grew.
    expect(announce.mock.calls).toEqual([['OpenAI: Hello, world!', 'polite']]);
    // The socket cannot renew the session cookie; a quiet HTTP refresh after each answer does.
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai, anthropic, gemini], lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);
  });

  it('says "via server key" for an answer served with the server key', async () => {
    await loadPage();
    await ask('Hi');
    socket.delta('Hi!');
    socket.done('env');
    await stable();

    expect(byTestId('credential-source')?.textContent?.trim()).toBe('via server key');
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai, anthropic, gemini], lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);
  });

  it("names a key kept with the signed-in person's account in the picker, its hint and the answer", async () => {
    const openaiAccount = { ...openai, source: 'user', lifetime: '30d' } as const;
    await loadPage([openaiAccount, anthropic]);

    expect(byTestId('provider-select')?.textContent).toContain('OpenAI · your account key');
    expect(byTestId('provider-key-source')?.textContent?.trim()).toBe('Uses the key you keep with your account.');
    await ask('Hi');
    socket.delta('Hi!');
    socket.done('user');
    await stable();

    expect(byTestId('credential-source')?.textContent?.trim()).toBe('via account key');
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openaiAccount, anthropic], lifetimes: SESSION_ONLY });
  });

  it('sends on Enter but not on Shift+Enter', async () => {
    await loadPage();
    const input = await typeMessage('first line');

    const shifted = await pressEnter(input, { shiftKey: true });
    expect(shifted.defaultPrevented).toBe(false);
    expect(socket.started).toEqual([]);

    const plain = await pressEnter(input);
    expect(plain.defaultPrevented).toBe(true);
    expect(socket.started.map((request) => request.messages)).toEqual([[{ role: 'user', content: 'first line' }]]);
    expect(input.value).toBe('');
  });

  it('sends the conversation so far with the next question', async () => {
    await loadPage();
    await ask('One?');
    socket.delta('1');
    socket.done('session');
    await stable();
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai, anthropic, gemini], lifetimes: SESSION_ONLY } satisfies ProviderKeysResponse);

    await ask('Two?');

    expect(socket.started.at(-1)?.messages).toEqual([
      { role: 'user', content: 'One?' },
      { role: 'assistant', content: '1' },
      { role: 'user', content: 'Two?' },
    ]);
  });

  it('offers Stop while streaming; Stop cancels the stream and keeps the partial answer', async () => {
    await loadPage();
    expect(byTestId('stop-button')).toBeNull();

    await ask('Tell me a long story');
    socket.delta('Once upon');
    await stable();
    expect(byTestId('send-button')?.getAttribute('aria-disabled')).toBe('true');

    byTestId('stop-button')?.click();
    await stable();

    expect(socket.cancelled).toEqual([socket.latestId()]);
    expect(socket.isOpen()).toBe(false);
    expect(byTestId('stop-button')).toBeNull();
    expect(allText('assistant-message')).toEqual(['Once upon']);
    expect(byTestId('answer-stopped')?.textContent?.trim()).toBe('Stopped');
    expect(document.activeElement).toBe(byTestId('chat-input'));
  });

  it('shows a no_key error as an alert with an Open settings button for that provider', async () => {
    const open = vi.spyOn(TestBed.inject(MatDialog), 'open');
    await loadPage();
    await ask('Hello');

    socket.fail('no_key', 'There is no OpenAI key. Add one in Settings.');
    await stable();

    const error = byTestId('chat-error');
    expect(error?.textContent?.trim()).toBe('There is no OpenAI key. Add one in Settings.');
    expect(error?.closest('[role="alert"]')).not.toBeNull();

    byTestId('open-settings-from-error')?.click();
    await stable();
    expect(open).toHaveBeenCalledWith(SettingsDialog, expect.objectContaining({ data: { focusProvider: 'openai' } }));
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai, anthropic, gemini], lifetimes: SESSION_ONLY });
  });

  it('does not offer settings for errors a key cannot fix', async () => {
    await loadPage();
    await ask('Hello');
    socket.fail('upstream_unreachable', 'OpenAI could not be reached.');
    await stable();

    expect(byTestId('chat-error')).not.toBeNull();
    expect(byTestId('open-settings-from-error')).toBeNull();
  });

  it('offers Retry after upstream_unreachable, which asks the same question again', async () => {
    await loadPage();
    await ask('Hello');
    const first = socket.latestId();
    socket.fail('upstream_unreachable', 'OpenAI could not be reached; try again.');
    await stable();

    byTestId('retry-answer')?.click();
    await stable();

    expect(socket.started).toHaveLength(2);
    expect(socket.latestId()).not.toBe(first);
    expect(socket.started[1]?.messages).toEqual(socket.started[0]?.messages);
    expect(byTestId('chat-error')).toBeNull();
    socket.delta('Hi again');
    await stable();
    expect(allText('assistant-message')).toEqual(['Hi again']);
  });

  it('tells the socket the keys changed, without reconnecting it, and reloads the models', async () => {
    await loadPage();

    TestBed.inject(ProviderKeysStore).keysChanged([openai, anthropic, { ...gemini, source: 'session' }]);
    await stable();

    expect(socket.calls).toEqual(['keysChanged']);
    http.expectOne(modelsPath('openai')).flush({ provider: 'openai', models: [] });
  });

  it('disconnects the socket when the page goes away', async () => {
    await loadPage();
    fixture.destroy();

    expect(socket.calls).toEqual(['disconnect']);
  });

  it('shows the tokens in and out, how long it took and the key used, once the answer is done', async () => {
    await loadPage();
    await ask('Hello');
    now += 2_345;
    socket.delta('Hi!');
    socket.done('env', socket.latestId(), { inputTokens: 1234, outputTokens: 56 });
    await stable();

    expect(byTestId('answer-model')?.textContent?.trim()).toBe('OpenAI · gpt-4o');
    expect(byTestId('answer-usage')?.textContent?.trim()).toBe('1,234 tokens in · 56 out');
    expect(byTestId('answer-duration')?.textContent?.trim()).toBe('2.3 s');
    expect(byTestId('credential-source')?.textContent?.trim()).toBe('via server key');
    flushKeysRefresh();
  });

  it('shows no usage when the provider reported none', async () => {
    await loadPage();
    await ask('Hello');
    socket.delta('Hi!');
    socket.done('session');
    await stable();

    expect(byTestId('answer-usage')).toBeNull();
    expect(byTestId('answer-duration')?.textContent?.trim()).toBe('0.0 s');
    flushKeysRefresh();
  });

  it("offers Stop on the answer while it streams, and Escape stops it from the composer", async () => {
    await loadPage();
    await ask('Tell me a long story');
    socket.delta('Once upon');
    await stable();
    expect(byTestId('retry-answer')).toBeNull();

    byTestId('stop-answer')?.click();
    await stable();
    expect(socket.cancelled).toEqual([socket.latestId()]);
    expect(byTestId('stop-answer')).toBeNull();
    expect(byTestId('answer-stopped')?.textContent?.trim()).toBe('Stopped');

    byTestId('retry-answer')?.click();
    await stable();
    expect(socket.started).toHaveLength(2);
    expect(document.activeElement).toBe(byTestId('chat-input'));

    const escape = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    byTestId('chat-input')?.dispatchEvent(escape);
    await stable();
    expect(escape.defaultPrevented).toBe(true);
    expect(socket.cancelled).toEqual([socket.started[0]?.id, socket.started[1]?.id]);
    expect(byTestId('answer-stopped')).not.toBeNull();
  });

  it('leaves Escape alone when nothing is streaming', async () => {
    await loadPage();
    const escape = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    byTestId('chat-input')?.dispatchEvent(escape);

    expect(escape.defaultPrevented).toBe(false);
  });

  it('Retry on a done answer asks the same conversation again, in its place', async () => {
    await loadPage();
    await askAnswered('One?', '1');

    byTestId('retry-answer')?.click();
    await stable();

    expect(socket.started.map((request) => request.messages)).toEqual([
      [{ role: 'user', content: 'One?' }],
      [{ role: 'user', content: 'One?' }],
    ]);
    expect(allText('user-message')).toEqual(['One?']);
    expect(element().querySelectorAll('[data-testid="assistant-turn"]')).toHaveLength(1);
  });

  it('Copy puts the answer, as written, on the clipboard and says so', async () => {
    const copy = vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(true);
    const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce');
    await loadPage();
    await askAnswered('Code?', 'Use `npm ci`.');

    byTestId('copy-answer')?.click();
    await stable();

    expect(copy).toHaveBeenCalledWith('Use `npm ci`.');
    expect(announce).toHaveBeenCalledWith('Answer copied.', 'polite');
    expect(byTestId('copy-answer')?.textContent).toContain('Copied');
  });

  it('keeps the conversation over a reload of the tab, and an answer cut off by it can be asked again', async () => {
    await loadPage();
    await askAnswered('One?', '1');
    await ask('Two?');
    socket.delta('Half');
    await stable();
    window.dispatchEvent(new Event('pagehide'));

    await reloadPage();

    expect(allText('user-message')).toEqual(['One?', 'Two?']);
    expect(allText('assistant-message')).toEqual(['1', 'Half']);
    expect(allText('chat-error')).toEqual(['The page was reloaded while this answer was being written. Retry to ask again.']);
    expect(byTestId('stop-button')).toBeNull();
    const retries = element().querySelectorAll<HTMLElement>('[data-testid="retry-answer"]');
    retries[1]?.click();
    await stable();
    expect(socket.started.at(-1)?.messages).toEqual([
      { role: 'user', content: 'One?' },
      { role: 'assistant', content: '1' },
      { role: 'user', content: 'Two?' },
    ]);
  });

  it('New chat forgets the conversation, for a reload too, and puts focus in the composer', async () => {
    await loadPage();
    expect(byTestId<HTMLButtonElement>('new-chat')?.disabled).toBe(true);
    await ask('Hello');
    socket.delta('Hi');
    await stable();

    byTestId('new-chat')?.click();
    await stable();

    expect(socket.cancelled).toEqual([socket.latestId()]);
    expect(byTestId('chat-empty')).not.toBeNull();
    expect(document.activeElement).toBe(byTestId('chat-input'));
    await reloadPage();
    expect(byTestId('chat-empty')).not.toBeNull();
  });

  it('leaves Escape to the provider select and the model field, which close their lists with it', async () => {
    await loadPage();
    await ask('Tell me a long story');
    socket.delta('Once upon');
    await stable();

    for (const id of ['provider-select', 'model-input']) {
      const escape = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
      byTestId(id)?.dispatchEvent(escape);
      await stable();
    }

    expect(socket.cancelled).toEqual([]);
    expect(byTestId('stop-answer')).not.toBeNull();
  });

  it('leaves Escape to an IME composition, which it cancels', async () => {
    await loadPage();
    await ask('Tell me a long story');
    const escape = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true, isComposing: true });
    byTestId('chat-input')?.dispatchEvent(escape);
    await stable();

    expect(socket.cancelled).toEqual([]);
  });

  it("puts focus in the composer after the answer's own Stop, and when the answer ends while its Stop has focus", async () => {
    await loadPage();
    await ask('One?');
    byTestId('stop-answer')?.click();
    await stable();
    expect(document.activeElement).toBe(byTestId('chat-input'));

    byTestId('retry-answer')?.click();
    await stable();
    byTestId('stop-answer')?.focus();
    expect(document.activeElement).toBe(byTestId('stop-answer'));
    socket.delta('1');
    socket.done('session');
    await stable();
    flushKeysRefresh();

    expect(byTestId('stop-answer')).toBeNull();
    expect(document.activeElement).toBe(byTestId('chat-input'));
  });

  it('does not read out again the answers of a conversation restored after a reload', async () => {
    await loadPage();
    await askAnswered('One?', '1');
    http.verify();
    TestBed.resetTestingModule();
    configure();
    // Watched from before the reloaded page first renders.
    const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce');
    await loadPage();

    expect(allText('assistant-message')).toEqual(['1']);
    expect(announce).not.toHaveBeenCalled();
  });
});
