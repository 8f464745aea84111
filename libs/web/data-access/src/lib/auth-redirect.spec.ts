import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { API_ROUTES, type ApiErrorBody, type AuthSessionResponse } from '@byok/contracts';
import { firstValueFrom } from 'rxjs';
import { AuthRedirect, signInTarget } from './auth-redirect';
import { BrowserLocation } from './browser-location';
import { ProviderKeysClient } from './provider-keys-client';
import { unauthenticatedInterceptor } from './unauthenticated-interceptor';

const CURRENT_PAGE = '/?provider=openai&model=gpt 4o';
const RETURN_TO = encodeURIComponent(CURRENT_PAGE);

const signedOut: AuthSessionResponse = { mode: 'oidc', person: null, signInUrl: API_ROUTES.signIn, canSignOut: true };
const signedIn: AuthSessionResponse = {
  ...signedOut,
  person: { displayName: 'Ada Lovelace', email: 'ada@example.com' },
};
const noSignIn: AuthSessionResponse = { mode: 'none', person: null, signInUrl: null, canSignOut: false };

const unauthenticated: ApiErrorBody = { statusCode: 401, code: 'unauthenticated', message: 'Sign in to continue.' };

describe('AuthRedirect', () => {
  let http: HttpTestingController;
  let visited: string[];
  let redirect: AuthRedirect;

  /** Asks for the key list, which the test then refuses with `body`; resolves to what the caller got. */
  function refuseKeyList(body: ApiErrorBody): Promise<unknown> {
    const outcome = firstValueFrom(TestBed.inject(ProviderKeysClient).getProviderKeys()).catch((error: unknown) => error);
    http.expectOne(API_ROUTES.providerKeys).flush(body, { status: body.statusCode, statusText: 'Refused' });
    return outcome;
  }

  beforeEach(() => {
    visited = [];
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([unauthenticatedInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    const location = TestBed.inject(BrowserLocation);
    vi.spyOn(location, 'pathAndQuery').mockReturnValue(CURRENT_PAGE);
    vi.spyOn(location, 'assign').mockImplementation((url) => visited.push(url));
    redirect = TestBed.inject(AuthRedirect);
  });

  afterEach(() => http.verify());

  it('sends a signed-out visitor to sign in, asking to come back to the page they were on', () => {
    expect(redirect.signInIfSignedOut(signedOut)).toBe(true);

    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=${RETURN_TO}`]);
    expect(redirect.departure()).toBe('sign-in');
  });

  it('stays when someone is signed in, and in mode none', () => {
    expect(redirect.signInIfSignedOut(signedIn)).toBe(false);
    expect(redirect.signInIfSignedOut(noSignIn)).toBe(false);

    expect(visited).toEqual([]);
    expect(redirect.departure()).toBeNull();
  });

  it("sends the browser to the session's sign-in page when an API call is refused as unauthenticated", async () => {
    const outcome = refuseKeyList(unauthenticated);
    http.expectOne(API_ROUTES.authSession).flush({ ...signedOut, signInUrl: '/oauth2/start?rd=app' });

    expect(visited).toEqual([`/oauth2/start?rd=app&returnTo=${RETURN_TO}`]);
    expect(await outcome).toMatchObject({ status: 401, error: unauthenticated });
  });

  it('leaves only once however many calls are refused, and asks the session only once', async () => {
    await refuseKeyList(unauthenticated);
    await refuseKeyList(unauthenticated);
    http.expectOne(API_ROUTES.authSession).flush(signedOut);

    await refuseKeyList(unauthenticated);
    redirect.refused('unauthenticated');
    expect(redirect.signInIfSignedOut(signedOut)).toBe(true);

    http.expectNone(API_ROUTES.authSession);
    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=${RETURN_TO}`]);
  });

  it('does not leave when the session says someone signed in meanwhile', async () => {
    await refuseKeyList(unauthenticated);
    http.expectOne(API_ROUTES.authSession).flush(signedIn);

    expect(visited).toEqual([]);
    expect(redirect.departure()).toBeNull();
  });

  it('asks again at the next refusal when the session could not be read', async () => {
    await refuseKeyList(unauthenticated);
    http.expectOne(API_ROUTES.authSession).error(new ProgressEvent('error'));
    expect(visited).toEqual([]);

    await refuseKeyList(unauthenticated);
    http.expectOne(API_ROUTES.authSession).flush(signedOut);

    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=${RETURN_TO}`]);
  });

  it.each([
    { statusCode: 403, code: 'forbidden', message: 'Not for you.' },
    { statusCode: 403, code: 'csrf_invalid', message: 'Missing token.' },
    { statusCode: 503, code: 'idp_unavailable', message: 'The sign-in service is down.' },
  ] satisfies ApiErrorBody[])('leaves the page alone for other refusals ($code)', async (body) => {
    await refuseKeyList(body);

    http.expectNone(API_ROUTES.authSession);
    expect(visited).toEqual([]);
  });

  it('goes where the server said after signing out, and nowhere else after that', async () => {
    redirect.signedOut({ redirectTo: 'https://idp.example.com/logout?client_id=byok' });
    await refuseKeyList(unauthenticated);
    redirect.signedOut({ redirectTo: '/' });

    http.expectNone(API_ROUTES.authSession);
    expect(visited).toEqual(['https://idp.example.com/logout?client_id=byok']);
    expect(redirect.departure()).toBe('sign-out');
  });
});

describe('signInTarget', () => {
  it.each([
    ['/api/auth/login', '/', '/api/auth/login?returnTo=%2F'],
    ['/api/auth/login', '/?a=1&b=2', '/api/auth/login?returnTo=%2F%3Fa%3D1%26b%3D2'],
    ['https://sso.example.com/start?rd=x', '/chat', 'https://sso.example.com/start?rd=x&returnTo=%2Fchat'],
  ])('adds returnTo to %j for page %j', (signInUrl, returnTo, target) => {
    expect(signInTarget(signInUrl, returnTo)).toBe(target);
  });
});
