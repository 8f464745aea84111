import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { API_ROUTES, type AuthSessionResponse, type SignOutResponse } from '@byok/contracts';
import type { Observable } from 'rxjs';
import { API_BASE_URL, apiUrl } from './api-base-url';

/**
 * Who is signed in, and signing out. The sign-out POST relies on `withXsrfConfiguration` for the
 * X-XSRF-TOKEN header, like the key endpoints; the session GET hands out the XSRF-TOKEN cookie.
 */
@Injectable({ providedIn: 'root' })
export class AuthClient {
  private readonly http = inject(HttpClient);
  private readonly baseUrl = inject(API_BASE_URL);

  /** Answered whether or not someone is signed in; never a 401. */
  getSession(): Observable<AuthSessionResponse> {
    return this.http.get<AuthSessionResponse>(apiUrl(this.baseUrl, API_ROUTES.authSession));
  }

  /** Ends the session on the server; the answer says where the browser goes next. */
  signOut(): Observable<SignOutResponse> {
    return this.http.post<SignOutResponse>(apiUrl(this.baseUrl, API_ROUTES.signOut), {});
  }
}
