import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButton } from '@angular/material/button';
import {
  MAT_DIALOG_DATA,
  MatDialog,
  MatDialogActions,
  MatDialogClose,
  MatDialogContent,
  MatDialogTitle,
} from '@angular/material/dialog';
import { map, type Observable } from 'rxjs';

export interface ConfirmClearData {
  /** The provider whose key is cleared; null to clear every key of the session. */
  readonly providerName: string | null;
}

@Component({
  selector: 'byok-confirm-clear-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButton, MatDialogActions, MatDialogClose, MatDialogContent, MatDialogTitle],
  template: `
    <h2 mat-dialog-title>{{ title }}</h2>
    <mat-dialog-content>
      <p>{{ explanation }}</p>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton type="button" [mat-dialog-close]="false" data-testid="cancel-clear">
        Cancel
      </button>
      <button matButton="filled" type="button" [mat-dialog-close]="true" data-testid="confirm-clear">
        {{ confirmLabel }}
      </button>
    </mat-dialog-actions>
  `,
})
export class ConfirmClearDialog {
  private readonly data = inject<ConfirmClearData>(MAT_DIALOG_DATA);

  protected readonly title =
    this.data.providerName === null ? 'Clear all your keys?' : `Clear your ${this.data.providerName} key?`;
  protected readonly explanation =
    this.data.providerName === null
      ? 'Every key you entered is deleted from your session on the server. Server keys are not affected.'
      : `Your ${this.data.providerName} key is deleted from your session on the server. You can set it again at any time.`;
  protected readonly confirmLabel = this.data.providerName === null ? 'Clear all keys' : 'Clear key';
}

/** Asks before deleting; emits true only when the user confirmed. */
export function confirmClear(dialog: MatDialog, data: ConfirmClearData): Observable<boolean> {
  return dialog
    .open<ConfirmClearDialog, ConfirmClearData, boolean>(ConfirmClearDialog, {
      data,
      role: 'alertdialog',
      width: '420px',
      maxWidth: '95vw',
    })
    .afterClosed()
    .pipe(map((confirmed) => confirmed === true));
}
