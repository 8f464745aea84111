import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButton } from '@angular/material/button';
import {
  MAT_DIALOG_DATA,
  MatDialog,
  MatDialogActions,
  MatDialogClose,
  MatDialogContent,
  type MatDialogRef,
  MatDialogTitle,
} from '@angular/material/dialog';
import type { ProviderId, ProviderKeyStatus } from '@byok/contracts';
import { KeysPanel } from '@byok/web/keys-panel';
import { ProviderKeysStore } from '../../core/provider-keys-store';

export interface SettingsDialogData {
  /** A provider whose key field gets focus, e.g. after a chat failed for want of its key. */
  readonly focusProvider?: ProviderId | null;
}

@Component({
  selector: 'app-settings-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [KeysPanel, MatButton, MatDialogActions, MatDialogClose, MatDialogContent, MatDialogTitle],
  template: `
    <h2 mat-dialog-title>Settings</h2>
    <mat-dialog-content>
      <byok-keys-panel
        [expanded]="true"
        [focusProvider]="focusProvider"
        (keysChanged)="onKeysChanged($event)"
      />
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton type="button" mat-dialog-close data-testid="close-settings">Close</button>
    </mat-dialog-actions>
  `,
})
export class SettingsDialog {
  private readonly store = inject(ProviderKeysStore);

  protected readonly focusProvider = inject<SettingsDialogData>(MAT_DIALOG_DATA).focusProvider ?? null;

  protected onKeysChanged(providers: ProviderKeyStatus[]): void {
    this.store.keysChanged(providers);
  }
}

/** Opens the settings; MatDialog gives focus back to whatever opened it when it closes. */
export function openSettingsDialog(
  dialog: MatDialog,
  data: SettingsDialogData = {},
): MatDialogRef<SettingsDialog, void> {
  return dialog.open<SettingsDialog, SettingsDialogData, void>(SettingsDialog, {
    data,
    // The keys panel focuses the provider's field once the keys are loaded. 'dialog' focuses the
    // dialog itself until then and, unlike 'first-tabbable', leaves focus alone if the field
    // already has it when the open animation ends.
    autoFocus: data.focusProvider ? 'dialog' : 'first-tabbable',
    width: '760px',
    maxWidth: '95vw',
  });
}
