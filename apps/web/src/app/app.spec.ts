import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import {
  API_ROUTES,
  type ApiErrorBody,
  type AuthSessionResponse,
  type SignOutResponse,
} from '@byok/contracts';
import { BrowserLocation } from '@byok/web/data-access';
import { App } from './app';
import { appConfig } from './app.config';

const CURRENT_PAGE = '/?provider=openai';

const noSignIn: AuthSessionResponse = { mode: 'none', person: null, signInUrl: null, canSignOut: false };
const signedOut: AuthSessionResponse = { mode: 'oidc', person: null, signInUrl: API_ROUTES.signIn, canSignOut: true };
const signedIn: AuthSessionResponse = {
  ...signedOut,
  person: { displayName: 'Ada Lovelace', email: 'ada@example.com' },
};

describe('App', () => {
  let fixture: ComponentFixture<App>;
  let http: HttpTestingController;
  let visited: string[];

  function byTestId<T extends HTMLElement = HTMLElement>(id: string): T | null {
    return (fixture.nativeElement as HTMLElement).querySelector<T>(`[data-testid="${id}"]`);
  }

  /** Starts the app and answers its session request with `session`. */
  async function start(session: AuthSessionResponse): Promise<void> {
    fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    http.expectOne(API_ROUTES.authSession).flush(session);
    await fixture.whenStable();
  }

  /** The dialog's code is loaded on demand, which can take longer than waitFor's default second. */
  async function settingsOpened(): Promise<void> {
    await vi.waitFor(() => expect(document.querySelector('app-settings-dialog byok-keys-panel')).not.toBeNull(), {
      timeout: 5000,
    });
    await fixture.whenStable();
  }

  beforeEach(() => {
    visited = [];
    TestBed.configureTestingModule({
      imports: [App],
      // The app's own providers, so the interceptor under test is the one the app is built with.
      providers: [
        ...appConfig.providers,
        provideHttpClientTesting(),
        { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    const location = TestBed.inject(BrowserLocation);
    vi.spyOn(location, 'pathAndQuery').mockReturnValue(CURRENT_PAGE);
    vi.spyOn(location, 'assign').mockImplementation((url) => visited.push(url));
  });

  afterEach(() => http.verify());

  it('shows the product name in the toolbar', async () => {
    await start(noSignIn);

    const toolbar = (fixture.nativeElement as HTMLElement).querySelector('mat-toolbar');
    expect(toolbar?.textContent).toContain('BYOK Chat');
  });

  it('opens the settings from the toolbar and gives focus back to the button on close', async () => {
    await start(noSignIn);
    const button = byTestId<HTMLButtonElement>('open-settings');
    expect(button?.getAttribute('aria-label')).toBe('Settings');

    button?.focus();
    button?.click();
    await settingsOpened();
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [], lifetimes: [{ id: 'session', label: 'This session only' }] });
    await fixture.whenStable();
    expect(document.querySelector('[role="dialog"]')?.textContent).toContain('Settings');

    document.querySelector<HTMLButtonElement>('[data-testid="close-settings"]')?.click();
    await fixture.whenStable();
    await vi.waitFor(() => expect(document.querySelector('app-settings-dialog')).toBeNull());

    expect(document.activeElement).toBe(button);
  });

  it('in mode none shows no one, offers no sign-out and stays on the page', async () => {
    await start(noSignIn);

    expect(byTestId('signed-in-person')).toBeNull();
    expect(byTestId('sign-out')).toBeNull();
    expect(byTestId('signing-in')).toBeNull();
    expect(fixture.nativeElement.querySelector('router-outlet')).not.toBeNull();
    expect(visited).toEqual([]);
  });

  it('shows who is signed in, with their email, and a Sign out action', async () => {
    await start(signedIn);

    const person = byTestId('signed-in-person');
    expect(person?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Signed in as Ada Lovelace ada@example.com');
    expect(person?.querySelector('.visually-hidden')?.textContent).toBe('Signed in as');
    expect(byTestId('sign-out')?.textContent?.trim()).toBe('Sign out');
    expect(visited).toEqual([]);
  });

  it('does not repeat the email when it is the name shown', async () => {
    await start({ ...signedIn, person: { displayName: 'ada@example.com', email: 'ada@example.com' } });

    expect(byTestId('signed-in-person')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Signed in as ada@example.com');
  });

  it('signs out through the API, then goes where the server said', async () => {
    await start(signedIn);

    byTestId('sign-out')?.click();
    await fixture.whenStable();
    const request = http.expectOne(API_ROUTES.signOut);
    expect(request.request.method).toBe('POST');
    expect(byTestId<HTMLButtonElement>('sign-out')?.disabled).toBe(true);
    expect(visited).toEqual([]);

    request.flush({ redirectTo: 'https://idp.example.com/logout' } satisfies SignOutResponse);
    await fixture.whenStable();

    expect(visited).toEqual(['https://idp.example.com/logout']);
    expect(byTestId<HTMLButtonElement>('sign-out')?.disabled).toBe(true);
  });

  it('says why signing out failed and lets the person try again', async () => {
    await start(signedIn);

    byTestId('sign-out')?.click();
    await fixture.whenStable();
    const body: ApiErrorBody = { statusCode: 503, code: 'idp_unavailable', message: 'The sign-in service is down.' };
    http.expectOne(API_ROUTES.signOut).flush(body, { status: 503, statusText: 'Service Unavailable' });
    await fixture.whenStable();

    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'Could not sign out. The sign-in service is down.',
    );
    expect(byTestId<HTMLButtonElement>('sign-out')?.disabled).toBe(false);
    expect(visited).toEqual([]);
  });

  it('sends a signed-out visitor to sign in at start, coming back to this page, and says so', async () => {
    await start(signedOut);

    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=${encodeURIComponent(CURRENT_PAGE)}`]);
    expect(byTestId('signing-in')?.textContent?.trim()).toBe('Taking you to sign in…');
    expect(byTestId('signing-in')?.getAttribute('role')).toBe('status');
    expect(byTestId('signed-in-person')).toBeNull();
    expect(fixture.nativeElement.querySelector('router-outlet')).toBeNull();
  });

  it('shows no one and sends no one anywhere when the session cannot be read', async () => {
    fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    http.expectOne(API_ROUTES.authSession).error(new ProgressEvent('error'));
    await fixture.whenStable();

    expect(byTestId('signed-in-person')).toBeNull();
    expect(byTestId('signing-in')).toBeNull();
    expect(visited).toEqual([]);
  });

  it('sends the browser to sign in, once, when the session ended and the key list is refused as unauthenticated', async () => {
    await start(signedIn);
    byTestId('open-settings')?.click();
    await settingsOpened();

    const refusal: ApiErrorBody = { statusCode: 401, code: 'unauthenticated', message: 'Sign in to continue.' };
    http.expectOne(API_ROUTES.providerKeys).flush(refusal, { status: 401, statusText: 'Unauthorized' });
    http.expectOne(API_ROUTES.authSession).flush(signedOut);
    await fixture.whenStable();

    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=${encodeURIComponent(CURRENT_PAGE)}`]);
    expect(byTestId('signing-in')).not.toBeNull();
    expect(byTestId('signed-in-person')).toBeNull();

    const retry = Array.from(document.querySelectorAll<HTMLButtonElement>('app-settings-dialog button')).find((button) =>
      button.textContent?.includes('Try again'),
    );
    retry?.click();
    await fixture.whenStable();
    http.expectOne(API_ROUTES.providerKeys).flush(refusal, { status: 401, statusText: 'Unauthorized' });
    await fixture.whenStable();

    http.expectNone(API_ROUTES.authSession);
    expect(visited).toHaveLength(1);
  });
});
