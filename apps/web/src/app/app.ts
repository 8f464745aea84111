import type { AuthSessionResponse } from '@byok/contracts';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButton, MatIconButton } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIcon } from '@angular/material/icon';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatToolbar } from '@angular/material/toolbar';
import { MatTooltip } from '@angular/material/tooltip';
import { RouterOutlet } from '@angular/router';
import { AuthClient, AuthRedirect, apiErrorMessage } from '@byok/web/data-access';
import { catchError, of, tap } from 'rxjs';

/** GET /api/auth/session before it answers, and when it could not be read. */
type SessionAnswer = AuthSessionResponse | 'pending' | 'unreadable';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, MatToolbar, MatIcon, MatButton, MatIconButton, MatTooltip],
  template: `
    <header>
      <mat-toolbar>
        <mat-icon aria-hidden="true">forum</mat-icon>
        <span class="product-name">{{ productName }}</span>
        <span class="spacer"></span>
        @if (person(); as person) {
          <span class="person" data-testid="signed-in-person">
            <!-- &ngsp; keeps the spaces Angular drops between elements, which screen readers need. -->
            <span class="visually-hidden">Signed in as</span>&ngsp;<span class="display-name">{{
              person.displayName
            }}</span>
            @if (person.email && person.email !== person.displayName) {
              &ngsp;<span class="email">{{ person.email }}</span>
            }
          </span>
          @if (canSignOut()) {
            <button matButton type="button" data-testid="sign-out" [disabled]="signingOut()" (click)="signOut()">
              Sign out
            </button>
          }
        }
        <button
          matIconButton
          type="button"
          aria-label="Settings"
          matTooltip="Settings"
          data-testid="open-settings"
          (click)="openSettings()"
        >
          <mat-icon aria-hidden="true">settings</mat-icon>
        </button>
      </mat-toolbar>
    </header>
    <main>
      @if (signingIn()) {
        <p class="signing-in" role="status" data-testid="signing-in">Taking you to sign in…</p>
      } @else if (sessionKnown()) {
        <router-outlet />
      }
    </main>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      height: 100%;
    }

    mat-toolbar {
      gap: 12px;
      background: var(--mat-sys-surface-container);
    }

    .spacer {
      flex: 1;
    }

    .person {
      display: flex;
      flex-direction: column;
      align-items: flex-end;
      min-width: 0;
      line-height: 1.2;
    }

    .display-name {
      font: var(--mat-sys-title-small);
    }

    .email {
      color: var(--mat-sys-on-surface-variant);
      font: var(--mat-sys-body-small);
    }

    .display-name,
    .email {
      max-width: 30vw;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }

    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }

    main {
      flex: 1;
      min-height: 0;
      padding: 16px 24px;
    }
  `,
})
export class App {
  private readonly dialog = inject(MatDialog);
  private readonly auth = inject(AuthClient);
  private readonly redirect = inject(AuthRedirect);
  private readonly snackBar = inject(MatSnackBar);

  protected readonly productName = 'BYOK Chat';
  /**
   * Null until GET /api/auth/session answers. If it cannot be read the toolbar shows no one, as in
   * mode none: the page's own requests fail alike and say why, and any of them refused for want of
   * sign-in still leads there (AuthRedirect).
   */
  private readonly sessionAnswer = toSignal<SessionAnswer, 'pending'>(
    this.auth.getSession().pipe(
      tap((session) => this.redirect.signInIfSignedOut(session)),
      catchError(() => of('unreadable' as const)),
    ),
    { initialValue: 'pending' },
  );
  private readonly session = computed(() => {
    const answer = this.sessionAnswer();
    return typeof answer === 'string' ? null : answer;
  });
  /**
   * The page appears only once the session answered (or could not be read): before that, a
   * visitor about to be sent to sign in would glimpse the chat page and its refused requests.
   */
  protected readonly sessionKnown = computed(() => this.sessionAnswer() !== 'pending');
  protected readonly signingIn = computed(() => this.redirect.departure() === 'sign-in');
  protected readonly person = computed(() => {
    const session = this.session();
    return session !== null && session.mode !== 'none' && !this.signingIn() ? session.person : null;
  });
  protected readonly canSignOut = computed(() => this.session()?.canSignOut === true);
  protected readonly signingOut = signal(false);

  protected async openSettings(): Promise<void> {
    // Loaded on demand: the keys panel and its form controls stay out of the initial bundle.
    const { openSettingsDialog } = await import('./features/settings/settings-dialog');
    openSettingsDialog(this.dialog);
  }

  protected signOut(): void {
    if (this.signingOut()) {
      return;
    }
    this.signingOut.set(true);
    this.auth.signOut().subscribe({
      // The button stays disabled: the page is being left.
      next: (response) => this.redirect.signedOut(response),
      error: (error: unknown) => {
        this.signingOut.set(false);
        this.snackBar.open(`Could not sign out. ${apiErrorMessage(error)}`, 'Dismiss');
      },
    });
  }
}
