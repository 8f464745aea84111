import { provideHttpClient, withXsrfConfiguration } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import {
  API_ROUTES,
  XSRF_COOKIE_NAME,
  XSRF_HEADER_NAME,
  type AuthSessionResponse,
  type SignOutResponse,
} from '@byok/contracts';
import { firstValueFrom } from 'rxjs';
import { API_BASE_URL } from './api-base-url';
import { AuthClient } from './auth-client';

describe('AuthClient', () => {
  function setUp(baseUrl?: string): { client: AuthClient; http: HttpTestingController } {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withXsrfConfiguration({ cookieName: XSRF_COOKIE_NAME, headerName: XSRF_HEADER_NAME })),
        provideHttpClientTesting(),
        ...(baseUrl === undefined ? [] : [{ provide: API_BASE_URL, useValue: baseUrl }]),
      ],
    });
    return { client: TestBed.inject(AuthClient), http: TestBed.inject(HttpTestingController) };
  }

  afterEach(() => {
    TestBed.inject(HttpTestingController).verify();
    document.cookie = `${XSRF_COOKIE_NAME}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  });

  it('gets who is signed in and where to sign in', async () => {
    const { client, http } = setUp();
    const session = firstValueFrom(client.getSession());
    const body: AuthSessionResponse = {
      mode: 'oidc',
      person: { displayName: 'Ada Lovelace', email: 'ada@example.com' },
      signInUrl: API_ROUTES.signIn,
      canSignOut: true,
    };

    const request = http.expectOne(API_ROUTES.authSession);
    expect(request.request.method).toBe('GET');
    request.flush(body);

    expect(await session).toEqual(body);
  });

  it('signs out with a POST that carries the XSRF token from its cookie, like every other POST', async () => {
    const { client, http } = setUp();
    document.cookie = `${XSRF_COOKIE_NAME}=token-from-cookie; path=/`;
    const signedOut = firstValueFrom(client.signOut());

    const request = http.expectOne(API_ROUTES.signOut);
    expect(request.request.method).toBe('POST');
    expect(request.request.headers.get(XSRF_HEADER_NAME)).toBe('token-from-cookie');
    request.flush({ redirectTo: '/' } satisfies SignOutResponse);

    expect(await signedOut).toEqual({ redirectTo: '/' });
  });

  it('prefixes both requests with API_BASE_URL', () => {
    const { client, http } = setUp('/byok');
    client.getSession().subscribe();
    client.signOut().subscribe();

    http.expectOne(`/byok${API_ROUTES.authSession}`).flush({});
    http.expectOne(`/byok${API_ROUTES.signOut}`).flush({});
  });
});
