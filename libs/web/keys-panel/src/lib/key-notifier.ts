import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Injectable, inject } from '@angular/core';
import { MatSnackBar } from '@angular/material/snack-bar';

/** Tells the user an operation on their keys succeeded: announced to screen readers and shown briefly. */
@Injectable({ providedIn: 'root' })
export class KeyNotifier {
  private readonly announcer = inject(LiveAnnouncer);
  private readonly snackBar = inject(MatSnackBar);

  /** Announce only (a result shown inline already). */
  announce(message: string): void {
    void this.announcer.announce(message, 'polite');
  }

  notify(message: string): void {
    this.announce(message);
    // The announcer already spoke; a polite snack bar would say it a second time.
    this.snackBar.open(message, 'Dismiss', { duration: 5000, politeness: 'off' });
  }
}
