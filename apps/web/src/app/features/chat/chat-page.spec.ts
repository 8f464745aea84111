import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import {
  API_ROUTES,
  type ApiErrorBody,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
} from '@byok/contracts';
import { ChatPage } from './chat-page';

function provider(
  overrides: Partial<ProviderKeyStatus> & Pick<ProviderKeyStatus, 'id' | 'name'>,
): ProviderKeyStatus {
  return {
    source: 'none',
    masked: null,
    editable: true,
    lockedReason: null,
    policy: 'env-first',
    expiresAt: null,
    keyRequired: true,
    keyFormat: { prefixes: [], foreignPrefixes: [], minLength: 8, maxLength: 512 },
    ...overrides,
  };
}

describe('ChatPage', () => {
  let fixture: ComponentFixture<ChatPage>;
  let http: HttpTestingController;

  function element(): HTMLElement {
    return fixture.nativeElement as HTMLElement;
  }

  function byTestId(id: string): HTMLElement | null {
    return element().querySelector(`[data-testid="${id}"]`);
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      imports: [ChatPage],
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    fixture = TestBed.createComponent(ChatPage);
    http = TestBed.inject(HttpTestingController);
    await fixture.whenStable();
  });

  afterEach(() => {
    http.verify();
  });

  it('shows a loading state while the provider keys are requested', () => {
    const request = http.expectOne(API_ROUTES.providerKeys);
    expect(request.request.method).toBe('GET');

    expect(byTestId('providers-loading')?.textContent).toContain('Loading providers');
    expect(byTestId('providers-list')).toBeNull();
    expect(byTestId('providers-error')).toBeNull();

    request.flush({ providers: [] } satisfies ProviderKeysResponse);
  });

  it('lists each provider with its key source as chip text (ENV, SESSION, none)', async () => {
    http.expectOne(API_ROUTES.providerKeys).flush({
      providers: [
        provider({ id: 'openai', name: 'OpenAI', source: 'env' }),
        provider({ id: 'anthropic', name: 'Anthropic', source: 'session', masked: 'sk-ant-…abcd' }),
        provider({ id: 'gemini', name: 'Google Gemini', source: 'none' }),
      ],
    } satisfies ProviderKeysResponse);
    await fixture.whenStable();

    expect(byTestId('providers-loading')).toBeNull();
    const rows = Array.from(element().querySelectorAll<HTMLElement>('[data-provider]'));
    expect(
      rows.map((row) => ({
        id: row.dataset['provider'],
        name: row.querySelector('.provider-name')?.textContent?.trim(),
        source: row.querySelector('[data-testid="key-source"]')?.textContent?.trim(),
      })),
    ).toEqual([
      { id: 'openai', name: 'OpenAI', source: 'ENV' },
      { id: 'anthropic', name: 'Anthropic', source: 'SESSION' },
      { id: 'gemini', name: 'Google Gemini', source: 'none' },
    ]);
  });

  it('says so when the server has no providers', async () => {
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [] } satisfies ProviderKeysResponse);
    await fixture.whenStable();

    expect(byTestId('providers-empty')?.textContent).toContain('No providers are configured');
    expect(byTestId('providers-list')).toBeNull();
  });

  it("shows the API's error message when the request fails", async () => {
    const body: ApiErrorBody = {
      statusCode: 503,
      code: 'store_unavailable',
      message: 'The session store is unavailable.',
    };
    http
      .expectOne(API_ROUTES.providerKeys)
      .flush(body, { status: 503, statusText: 'Service Unavailable' });
    await fixture.whenStable();

    const error = byTestId('providers-error');
    expect(error?.getAttribute('role')).toBe('alert');
    expect(error?.textContent).toContain('Could not load providers.');
    expect(error?.textContent).toContain('The session store is unavailable.');
    expect(byTestId('providers-loading')).toBeNull();
    expect(byTestId('providers-list')).toBeNull();
  });

  it('says the server could not be reached on a network error, and loads again on retry', async () => {
    http
      .expectOne(API_ROUTES.providerKeys)
      .error(new ProgressEvent('error'), { status: 0, statusText: 'Unknown Error' });
    await fixture.whenStable();

    expect(byTestId('providers-error')?.textContent).toContain('could not be reached');

    const retry = Array.from(element().querySelectorAll('button')).find((button) =>
      button.textContent?.includes('Try again'),
    );
    expect(retry).toBeDefined();
    retry?.click();
    await fixture.whenStable();

    expect(byTestId('providers-loading')).not.toBeNull();
    expect(byTestId('providers-error')).toBeNull();
    http
      .expectOne(API_ROUTES.providerKeys)
      .flush({ providers: [provider({ id: 'openai', name: 'OpenAI', source: 'env' })] });
    await fixture.whenStable();

    expect(byTestId('key-source')?.textContent?.trim()).toBe('ENV');
  });
});
