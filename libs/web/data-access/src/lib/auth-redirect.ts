import { Injectable, inject, signal } from '@angular/core';
import type { ApiErrorCode, AuthSessionResponse, ChatErrorCode, SignOutResponse } from '@byok/contracts';
import { AuthClient } from './auth-client';
import { BrowserLocation } from './browser-location';

/** The refusal, over HTTP or the chat socket, that means no one is signed in. */
const UNAUTHENTICATED: ApiErrorCode & ChatErrorCode = 'unauthenticated';

export type AuthDeparture = 'sign-in' | 'sign-out';

/** `signInUrl` asked to come back to `returnTo` (a path and query) once the person is signed in. */
export function signInTarget(signInUrl: string, returnTo: string): string {
  const separator = signInUrl.includes('?') ? '&' : '?';
  return `${signInUrl}${separator}returnTo=${encodeURIComponent(returnTo)}`;
}

/**
 * The one place that decides to send the browser away to sign in, and that leaves after signing
 * out; both are full-page navigations. It leaves once at most: requests and the chat socket keep
 * being refused while the page unloads, and none of them may start a second navigation.
 */
@Injectable({ providedIn: 'root' })
export class AuthRedirect {
  private readonly auth = inject(AuthClient);
  private readonly location = inject(BrowserLocation);
  private readonly departureState = signal<AuthDeparture | null>(null);
  private askingSession = false;

  /** Why the page is being left, once it is. */
  readonly departure = this.departureState.asReadonly();

  /**
   * Goes to sign in when the session calls for it: a mode with sign-in and no one signed in.
   * Returns whether the page is being left.
   */
  signInIfSignedOut(session: AuthSessionResponse): boolean {
    if (this.departureState() !== null) {
      return true;
    }
    if (session.mode === 'none' || session.person !== null || session.signInUrl === null) {
      return false;
    }
    this.leave('sign-in', signInTarget(session.signInUrl, this.location.pathAndQuery()));
    return true;
  }

  /**
   * To be told the machine code of any refusal from the API, HTTP or socket; only `unauthenticated`
   * leads anywhere. Where to sign in depends on the mode (the API's own login, or an auth proxy's
   * page), so the session is asked first; it may also say someone signed in meanwhile, in another tab.
   */
  refused(code: unknown): void {
    if (code !== UNAUTHENTICATED || this.departureState() !== null || this.askingSession) {
      return;
    }
    this.askingSession = true;
    this.auth.getSession().subscribe({
      next: (session) => {
        this.askingSession = false;
        this.signInIfSignedOut(session);
      },
      // Without the session there is no knowing where to sign in. The refused call shows its own
      // error to the user, and the next refusal asks again.
      error: () => {
        this.askingSession = false;
      },
    });
  }

  /** After the server ended the session: on to where it said (the IdP's logout page, the proxy's, or the app). */
  signedOut(response: SignOutResponse): void {
    if (this.departureState() === null) {
      this.leave('sign-out', response.redirectTo);
    }
  }

  private leave(departure: AuthDeparture, url: string): void {
    this.departureState.set(departure);
    this.location.assign(url);
  }
}
