import { LiveAnnouncer } from '@angular/cdk/a11y';
import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import {
  API_ROUTES,
  BUILT_IN_KEY_FORMATS,
  type ApiErrorBody,
  type KeyLifetimeOption,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type ValidateProviderKeyResponse,
} from '@byok/contracts';
import { Clock } from '@byok/web/data-access';
import { KeysPanel } from './keys-panel';

const OPENAI_KEY = 'sk-proj-Q7xW2mPz9LkT4vR8nB3cY6hJ';

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

const openaiNone = provider({ id: 'openai', name: 'OpenAI' });
const openaiSession = provider({
  id: 'openai',
  name: 'OpenAI',
  source: 'session',
  masked: 'sk-…Y6hJ',
  expiresAt: '2026-11-25T20:00:00.000Z',
  lifetime: 'session',
});
/** Without sign-in the server offers the session only. */
const SESSION_ONLY: KeyLifetimeOption[] = [{ id: 'session', label: 'This session only' }];
/** A signed-in person's choice, the administrator's default first. */
const SIGNED_IN_LIFETIMES: KeyLifetimeOption[] = [
  { id: '7d', label: '7 days' },
  { id: 'session', label: 'This session only' },
  { id: '30d', label: '30 days' },
];

const NOW = new Date('2026-11-20T12:00:00.000Z');
const HOUR = 3_600_000;

function keysResponse(providers: ProviderKeyStatus[], lifetimes = SESSION_ONLY): ProviderKeysResponse {
  return { providers, lifetimes };
}

const anthropicEnvLocked = provider({
  id: 'anthropic',
  name: 'Anthropic',
  source: 'env',
  editable: false,
  policy: 'env-only',
  lockedReason: 'Your administrator provides the Anthropic key; it cannot be changed here.',
  keyFormat: BUILT_IN_KEY_FORMATS.anthropic,
});

describe('KeysPanel', () => {
  let fixture: ComponentFixture<KeysPanel>;
  let http: HttpTestingController;
  let changes: ProviderKeyStatus[][];

  function byTestId<T extends HTMLElement = HTMLElement>(id: string): T | null {
    return (fixture.nativeElement as HTMLElement).querySelector<T>(`[data-testid="${id}"]`);
  }

  function inDocument<T extends HTMLElement = HTMLElement>(id: string): T | null {
    return document.querySelector<T>(`[data-testid="${id}"]`);
  }

  function text(id: string): string | undefined {
    return byTestId(id)?.textContent?.trim();
  }

  async function render(
    providers: ProviderKeyStatus[],
    inputs: Record<string, unknown> = {},
    lifetimes = SESSION_ONLY,
  ): Promise<void> {
    fixture = TestBed.createComponent(KeysPanel);
    for (const [name, value] of Object.entries(inputs)) {
      fixture.componentRef.setInput(name, value);
    }
    fixture.componentInstance.keysChanged.subscribe((list) => changes.push(list));
    await fixture.whenStable();
    http.expectOne(API_ROUTES.providerKeys).flush(keysResponse(providers, lifetimes));
    await fixture.whenStable();
  }

  async function type(id: string, value: string): Promise<void> {
    const input = byTestId<HTMLInputElement>(`key-input-${id}`);
    if (!input) {
      throw new Error(`no key input for ${id}`);
    }
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await fixture.whenStable();
  }

  async function click(element: HTMLElement | null): Promise<void> {
    if (!element) {
      throw new Error('nothing to click');
    }
    element.click();
    await fixture.whenStable();
  }

  beforeEach(() => {
    changes = [];
    TestBed.configureTestingModule({
      imports: [KeysPanel],
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
        { provide: Clock, useValue: { now: () => NOW } satisfies Clock },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('shows a loading state until the key status arrives', async () => {
    fixture = TestBed.createComponent(KeysPanel);
    await fixture.whenStable();

    expect(text('keys-loading')).toContain('Loading API keys');
    expect(byTestId('keys-loading')?.getAttribute('role')).toBe('status');
    expect(byTestId('provider-row-openai')).toBeNull();

    http.expectOne(API_ROUTES.providerKeys).flush(keysResponse([openaiNone]));
    await fixture.whenStable();

    expect(byTestId('keys-loading')).toBeNull();
    expect(byTestId('provider-row-openai')).not.toBeNull();
  });

  it('is a collapsible panel titled "API keys", expanded unless told otherwise', async () => {
    await render([openaiNone], { expanded: false });
    const panel = byTestId('keys-panel');
    const header = panel?.querySelector<HTMLElement>('mat-expansion-panel-header');

    expect(header?.textContent).toContain('API keys');
    expect(header?.getAttribute('aria-expanded')).toBe('false');

    await click(header ?? null);
    expect(header?.getAttribute('aria-expanded')).toBe('true');
  });

  it('explains where keys come from, the precedence and how long a key is kept', async () => {
    await render([openaiSession]);
    const info = text('keys-info') ?? '';

    expect(info).toContain("The server's key takes precedence over yours, unless the administrator's policy");
    expect(info).toContain('kept only in your session on the server, encrypted');
    expect(info).toContain('deleted when the session ends');
    expect(text('provider-row-openai')).toContain('Your key expires');
  });

  it('shows a provider locked by policy as disabled, with its reason, no Set, and no Clear without a stored key', async () => {
    await render([anthropicEnvLocked]);

    expect(text('key-source-anthropic')).toBe('ENV');
    expect(text('locked-reason-anthropic')).toBe(anthropicEnvLocked.lockedReason);
    expect(byTestId<HTMLInputElement>('key-input-anthropic')?.disabled).toBe(true);
    expect(byTestId('set-key-anthropic')).toBeNull();
    expect(byTestId('clear-key-anthropic')).toBeNull();
    expect(byTestId('masked-key-anthropic')).toBeNull();
  });

  it('offers Clear for a stored key an ENV key wins over, says it is not in use, and keeps Set disabled', async () => {
    const anthropicStoredEnvWins = { ...anthropicEnvLocked, masked: 'sk-ant-…n7Bc' };
    await render([anthropicStoredEnvWins]);

    expect(text('key-source-anthropic')).toBe('ENV');
    expect(text('masked-key-anthropic')).toBe('sk-ant-…n7Bc');
    expect(text('key-unused-anthropic')).toBe(
      "Your stored key is not in use: the server's key takes precedence for this provider.",
    );
    expect(byTestId<HTMLInputElement>('key-input-anthropic')?.disabled).toBe(true);
    expect(byTestId('set-key-anthropic')).toBeNull();
    const clear = byTestId<HTMLButtonElement>('clear-key-anthropic');
    expect(clear?.disabled).toBe(false);
    expect(clear?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Clear Anthropic key');

    await click(clear);
    await click(inDocument('confirm-clear'));
    const request = http.expectOne(API_ROUTES.clearProviderKey);
    expect(request.request.body).toEqual({ provider: 'anthropic' });
    request.flush(keysResponse([anthropicEnvLocked]));
    await fixture.whenStable();

    expect(byTestId('masked-key-anthropic')).toBeNull();
    expect(byTestId('clear-key-anthropic')).toBeNull();
    expect(byTestId('key-unused-anthropic')).toBeNull();
    expect(changes).toEqual([[anthropicEnvLocked]]);
  });

  it("offers Clear for a stored key the admin's policy now locks, with the lock as the reason it is not used", async () => {
    const lockedReason = 'Your administrator no longer allows your own OpenAI key.';
    const openaiStoredLocked = provider({
      id: 'openai',
      name: 'OpenAI',
      source: 'none',
      masked: 'sk-…Y6hJ',
      editable: false,
      policy: 'env-only',
      lockedReason,
    });
    await render([openaiStoredLocked]);

    expect(text('key-unused-openai')).toBe(`Your stored key is not in use: ${lockedReason}`);
    expect(text('locked-reason-openai')).toBe(lockedReason);
    expect(byTestId('set-key-openai')).toBeNull();
    expect(byTestId<HTMLInputElement>('key-input-openai')?.disabled).toBe(true);
    expect(byTestId<HTMLButtonElement>('clear-key-openai')?.disabled).toBe(false);
  });

  it('says nothing about an unused key when the stored key is the one in use', async () => {
    await render([openaiSession]);

    expect(byTestId('key-unused-openai')).toBeNull();
  });

  it('labels the source chip for screen readers and shows the masked session key', async () => {
    await render([openaiSession]);
    const row = byTestId('provider-row-openai');

    expect(text('key-source-openai')).toBe('SESSION');
    expect(row?.querySelector('.visually-hidden')?.textContent).toBe('Key source:');
    expect(text('masked-key-openai')).toBe('sk-…Y6hJ');
    expect(byTestId('clear-key-openai')).not.toBeNull();
  });

  it('clears a session key after confirmation, then shows none and reports the change', async () => {
    await render([openaiSession]);

    await click(byTestId('clear-key-openai'));
    http.expectNone(API_ROUTES.clearProviderKey);
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain('Clear your OpenAI key?');

    await click(inDocument('confirm-clear'));
    const request = http.expectOne(API_ROUTES.clearProviderKey);
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ provider: 'openai' });
    expect(byTestId('key-busy-openai')).not.toBeNull();
    expect(byTestId<HTMLButtonElement>('validate-key-openai')?.disabled).toBe(true);

    request.flush(keysResponse([openaiNone]));
    await fixture.whenStable();

    expect(text('key-source-openai')).toBe('none');
    expect(byTestId('masked-key-openai')).toBeNull();
    expect(byTestId('clear-key-openai')).toBeNull();
    expect(byTestId('key-busy-openai')).toBeNull();
    expect(changes).toEqual([[openaiNone]]);
  });

  it('keeps the key when the confirmation is cancelled', async () => {
    await render([openaiSession]);

    await click(byTestId('clear-key-openai'));
    await click(inDocument('cancel-clear'));

    http.expectNone(API_ROUTES.clearProviderKey);
    expect(text('key-source-openai')).toBe('SESSION');
  });

  it('catches a malformed key in the form and sends no request', async () => {
    await render([openaiNone]);

    await type('openai', 'sk-ant-api03-Zr5Tq8Wm2Xv9Kp4Ln7Bc');
    await click(byTestId('set-key-openai'));

    http.expectNone(API_ROUTES.setProviderKey);
    expect(text('key-error-openai')).toBe("This looks like another provider's key, not a key for OpenAI.");
    expect(byTestId('key-input-openai')?.getAttribute('aria-invalid')).toBe('true');

    await type('openai', OPENAI_KEY);
    expect(byTestId('key-error-openai')).toBeNull();
  });

  it('sets a valid key: posts it, shows SESSION with the masked key, empties the field and announces it', async () => {
    const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce');
    await render([openaiNone, anthropicEnvLocked]);

    await type('openai', OPENAI_KEY);
    await click(byTestId('set-key-openai'));

    const request = http.expectOne(API_ROUTES.setProviderKey);
    expect(request.request.body).toEqual({ provider: 'openai', apiKey: OPENAI_KEY });
    expect(byTestId<HTMLButtonElement>('set-key-openai')?.disabled).toBe(true);
    expect(byTestId('provider-row-openai')?.getAttribute('aria-busy')).toBe('true');

    request.flush(openaiSession);
    await fixture.whenStable();

    expect(text('key-source-openai')).toBe('SESSION');
    expect(text('masked-key-openai')).toBe('sk-…Y6hJ');
    expect(byTestId<HTMLInputElement>('key-input-openai')?.value).toBe('');
    expect(byTestId<HTMLButtonElement>('set-key-openai')?.disabled).toBe(false);
    expect(changes).toEqual([[openaiSession, anthropicEnvLocked]]);
    expect(announce).toHaveBeenCalledWith('OpenAI key saved. Your key expires when the session ends.', 'polite');
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain('OpenAI key saved');
  });

  it("shows the API's error message inline and keeps the typed key (409 policy)", async () => {
    await render([openaiNone]);

    await type('openai', OPENAI_KEY);
    await click(byTestId('set-key-openai'));
    const body: ApiErrorBody = {
      statusCode: 409,
      code: 'policy_forbids_user_key',
      message: 'The administrator does not allow your own OpenAI key.',
    };
    http.expectOne(API_ROUTES.setProviderKey).flush(body, { status: 409, statusText: 'Conflict' });
    await fixture.whenStable();

    expect(byTestId('key-error-openai')?.closest('[role="alert"]')).not.toBeNull();
    expect(text('key-error-openai')).toBe('The administrator does not allow your own OpenAI key.');
    expect(text('key-source-openai')).toBe('none');
    expect(byTestId<HTMLInputElement>('key-input-openai')?.value).toBe(OPENAI_KEY);
    expect(changes).toEqual([]);
  });

  it('validates the typed key and says "Key works"', async () => {
    await render([openaiNone]);

    await type('openai', OPENAI_KEY);
    await click(byTestId('validate-key-openai'));
    const request = http.expectOne(API_ROUTES.validateProviderKey);
    expect(request.request.body).toEqual({ provider: 'openai', apiKey: OPENAI_KEY });
    request.flush({ valid: true } satisfies ValidateProviderKeyResponse);
    await fixture.whenStable();

    expect(text('validation-result-openai')).toContain('Key works');
    expect(byTestId('validation-result-openai')?.closest('[role="status"]')).not.toBeNull();
  });

  it.each([
    ['invalid', 'The provider rejected this key.'],
    ['rate_limited', 'The provider is limiting requests right now'],
    ['unreachable', 'The provider could not be reached'],
    ['timeout', 'The provider took too long to answer'],
  ] as const)('explains a failed validation (%s) in a sentence', async (reason, sentence) => {
    await render([anthropicEnvLocked]);

    await click(byTestId('validate-key-anthropic'));
    const request = http.expectOne(API_ROUTES.validateProviderKey);
    expect(request.request.body).toEqual({ provider: 'anthropic' });
    request.flush({ valid: false, reason } satisfies ValidateProviderKeyResponse);
    await fixture.whenStable();

    expect(text('validation-result-anthropic')).toContain(sentence);
  });

  it('asks for a key before validating when there is none to check', async () => {
    await render([openaiNone]);

    await click(byTestId('validate-key-openai'));

    http.expectNone(API_ROUTES.validateProviderKey);
    expect(text('key-error-openai')).toBe('Enter an API key for OpenAI to check it.');
  });

  it('shows and hides the typed key with a labelled toggle button', async () => {
    await render([openaiNone]);
    const input = byTestId<HTMLInputElement>('key-input-openai');
    const toggle = byTestId('toggle-key-visibility-openai');

    expect(input?.type).toBe('password');
    expect(toggle?.getAttribute('aria-label')).toBe('Show OpenAI key');
    expect(toggle?.getAttribute('aria-pressed')).toBe('false');

    await click(toggle);
    expect(input?.type).toBe('text');
    expect(toggle?.getAttribute('aria-pressed')).toBe('true');
  });

  it('focuses the key field of the provider named by focusProvider', async () => {
    await render([anthropicEnvLocked, openaiNone], { focusProvider: 'openai', expanded: false });

    expect(byTestId('keys-panel')?.querySelector('mat-expansion-panel-header')?.getAttribute('aria-expanded')).toBe(
      'true',
    );
    expect(document.activeElement).toBe(byTestId('key-input-openai'));
  });

  it('sends its requests to apiBaseUrl when given', async () => {
    fixture = TestBed.createComponent(KeysPanel);
    fixture.componentRef.setInput('apiBaseUrl', '/byok');
    await fixture.whenStable();

    http.expectOne(`/byok${API_ROUTES.providerKeys}`).flush(keysResponse([]));
    await fixture.whenStable();
    expect(text('keys-empty')).toContain('No providers');
  });

  it('shows why the keys could not be loaded, and loads again on retry', async () => {
    fixture = TestBed.createComponent(KeysPanel);
    await fixture.whenStable();
    const body: ApiErrorBody = { statusCode: 503, code: 'store_unavailable', message: 'The session store is unavailable.' };
    http.expectOne(API_ROUTES.providerKeys).flush(body, { status: 503, statusText: 'Service Unavailable' });
    await fixture.whenStable();

    expect(byTestId('keys-load-error')?.getAttribute('role')).toBe('alert');
    expect(text('keys-load-error')).toContain('The session store is unavailable.');

    const retry = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('button')).find((button) =>
      button.textContent?.includes('Try again'),
    );
    await click(retry ?? null);
    http.expectOne(API_ROUTES.providerKeys).flush(keysResponse([openaiNone]));
    await fixture.whenStable();

    expect(text('key-source-openai')).toBe('none');
  });

  it('offers Clear all whenever one key is stored, even one that is locked and not in use', async () => {
    const anthropicStoredEnvWins = { ...anthropicEnvLocked, masked: 'sk-ant-…n7Bc' };
    await render([openaiNone, anthropicStoredEnvWins]);

    expect(byTestId('clear-all-keys')?.textContent?.trim()).toBe('Clear all my keys');

    await click(byTestId('clear-all-keys'));
    await click(inDocument('confirm-clear'));
    const request = http.expectOne(API_ROUTES.clearProviderKey);
    expect(request.request.body).toEqual({ all: true });
    request.flush(keysResponse([openaiNone, anthropicEnvLocked]));
    await fixture.whenStable();

    expect(byTestId('clear-all-keys')).toBeNull();
  });

  it('offers no Clear all when no key is stored', async () => {
    await render([openaiNone, anthropicEnvLocked]);

    expect(byTestId('clear-all-keys')).toBeNull();
  });

  it('clears every session key at once after confirmation', async () => {
    const anthropicSession = provider({
      id: 'anthropic',
      name: 'Anthropic',
      source: 'session',
      masked: 'sk-ant-…n7Bc',
      keyFormat: BUILT_IN_KEY_FORMATS.anthropic,
    });
    await render([openaiSession, anthropicSession]);

    await click(byTestId('clear-all-keys'));
    await click(inDocument('confirm-clear'));
    const request = http.expectOne(API_ROUTES.clearProviderKey);
    expect(request.request.body).toEqual({ all: true });
    const cleared = [openaiNone, provider({ id: 'anthropic', name: 'Anthropic' })];
    request.flush(keysResponse(cleared));
    await fixture.whenStable();

    expect(text('key-source-openai')).toBe('none');
    expect(text('key-source-anthropic')).toBe('none');
    expect(changes).toEqual([cleared]);
  });

  describe('key lifetimes', () => {
    async function setOpenAiKey(): Promise<ReturnType<HttpTestingController['expectOne']>> {
      await type('openai', OPENAI_KEY);
      await click(byTestId('set-key-openai'));
      return http.expectOne(API_ROUTES.setProviderKey);
    }

    it('offers no lifetime picker when the session is the only lifetime, and sets the key without one', async () => {
      await render([openaiNone]);

      expect(byTestId('key-lifetime-openai')).toBeNull();
      const request = await setOpenAiKey();
      expect(Object.keys(request.request.body ?? {})).not.toContain('lifetime');
      request.flush(openaiSession);
      await fixture.whenStable();
    });

    it('gives each editable row a labelled, explained picker that starts at the first lifetime and is sent with Set', async () => {
      await render([openaiNone, anthropicEnvLocked], {}, SIGNED_IN_LIFETIMES);
      const picker = byTestId('key-lifetime-openai');

      expect(byTestId('key-lifetime-anthropic')).toBeNull();
      expect(picker?.textContent).toContain('7 days');
      const labelIds = picker?.getAttribute('aria-labelledby')?.split(' ') ?? [];
      const label = labelIds.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
      expect(label.replace(/\s+/g, ' ')).toContain('Keep your OpenAI key for');
      const hintId = 'byok-key-lifetime-hint-openai';
      expect(picker?.getAttribute('aria-describedby')?.split(' ')).toContain(hintId);
      expect(document.getElementById(hintId)?.textContent?.trim()).toBe(
        '“This session only” keys are forgotten when you sign out; longer ones stay until they expire and follow you to any browser where you sign in.',
      );

      const request = await setOpenAiKey();
      expect(request.request.body).toEqual({ provider: 'openai', apiKey: OPENAI_KEY, lifetime: '7d' });
      request.flush({ ...openaiSession, source: 'user', lifetime: '7d', expiresAt: new Date(NOW.getTime() + 168 * HOUR).toISOString() });
      await fixture.whenStable();
    });

    it('sends the lifetime chosen, and says when the new key expires', async () => {
      const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce');
      await render([openaiNone], {}, SIGNED_IN_LIFETIMES);

      await click(byTestId('key-lifetime-openai'));
      const options = Array.from(document.querySelectorAll<HTMLElement>('mat-option'));
      expect(options.map((option) => option.textContent?.trim())).toEqual(['7 days', 'This session only', '30 days']);
      await click(options.find((option) => option.textContent?.includes('30 days')) ?? null);
      expect(byTestId('key-lifetime-openai')?.textContent).toContain('30 days');

      const request = await setOpenAiKey();
      expect(request.request.body).toEqual({ provider: 'openai', apiKey: OPENAI_KEY, lifetime: '30d' });
      const expiresAt = new Date(NOW.getTime() + 30 * 24 * HOUR - 2_000).toISOString();
      request.flush({ ...openaiSession, source: 'user', lifetime: '30d', expiresAt });
      await fixture.whenStable();

      expect(text('key-source-openai')).toBe('ACCOUNT');
      expect(text('key-expiry-openai')).toBe('Your key expires in 30 days.');
      expect(announce).toHaveBeenCalledWith('OpenAI key saved. Your key expires in 30 days.', 'polite');
    });

    it.each([
      ['7d', 6 * 24 + 1, SIGNED_IN_LIFETIMES, 'Your key expires in 6 days.'],
      ['12h', 5, SIGNED_IN_LIFETIMES, 'Your key expires in 5 hours.'],
      ['1d', 0.5, SIGNED_IN_LIFETIMES, 'Your key expires in 30 minutes.'],
      ['1d', -1, SIGNED_IN_LIFETIMES, 'Your key has expired.'],
      ['session', 8, SIGNED_IN_LIFETIMES, 'Your key expires when you sign out or the session ends.'],
      ['session', 8, SESSION_ONLY, 'Your key expires when the session ends.'],
    ])('says a key set for %s with %d hours left lapses: "%s"', async (lifetime, hoursLeft, lifetimes, sentence) => {
      const expiresAt = new Date(NOW.getTime() + hoursLeft * HOUR).toISOString();
      const stored = { ...openaiSession, source: lifetime === 'session' ? 'session' : 'user', lifetime, expiresAt } as const;
      await render([stored], {}, lifetimes);

      expect(text('key-expiry-openai')).toBe(sentence);
    });

    it('says nothing about expiry without a stored key', async () => {
      await render([openaiNone, anthropicEnvLocked], {}, SIGNED_IN_LIFETIMES);

      expect(byTestId('key-expiry-openai')).toBeNull();
      expect(byTestId('key-expiry-anthropic')).toBeNull();
    });

    it('shows a key kept beyond the session as ACCOUNT, in use, and explains ACCOUNT once sign-in offers it', async () => {
      const openaiAccount = provider({
        id: 'openai',
        name: 'OpenAI',
        source: 'user',
        masked: 'sk-…Y6hJ',
        lifetime: '30d',
        expiresAt: new Date(NOW.getTime() + 72 * HOUR).toISOString(),
      });
      await render([openaiAccount], {}, SIGNED_IN_LIFETIMES);

      expect(text('key-source-openai')).toBe('ACCOUNT');
      expect(byTestId('key-unused-openai')).toBeNull();
      const info = (text('keys-info') ?? '').replace(/\s+/g, ' ');
      expect(info).toContain('SESSION is a key you entered for this session only; ACCOUNT is one you keep beyond it');
      expect(info).toContain('for as long as you choose');
    });

    it('keeps the explanation of sources as it was without sign-in', async () => {
      await render([openaiNone]);

      const info = (text('keys-info') ?? '').replace(/\s+/g, ' ');
      expect(info).toContain('SESSION is a key you entered; none means there is no key yet.');
      expect(info).not.toContain('ACCOUNT');
    });
  });
});
