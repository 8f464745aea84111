import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatIconButton } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIcon } from '@angular/material/icon';
import { MatToolbar } from '@angular/material/toolbar';
import { MatTooltip } from '@angular/material/tooltip';
import { RouterOutlet } from '@angular/router';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, MatToolbar, MatIcon, MatIconButton, MatTooltip],
  template: `
    <header>
      <mat-toolbar>
        <mat-icon aria-hidden="true">forum</mat-icon>
        <span class="product-name">{{ productName }}</span>
        <span class="spacer"></span>
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
      <router-outlet />
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

    main {
      flex: 1;
      min-height: 0;
      padding: 16px 24px;
    }
  `,
})
export class App {
  private readonly dialog = inject(MatDialog);

  protected readonly productName = 'BYOK Chat';

  protected async openSettings(): Promise<void> {
    // Loaded on demand: the keys panel and its form controls stay out of the initial bundle.
    const { openSettingsDialog } = await import('./features/settings/settings-dialog');
    openSettingsDialog(this.dialog);
  }
}
