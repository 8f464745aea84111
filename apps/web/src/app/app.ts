import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatIcon } from '@angular/material/icon';
import { MatToolbar } from '@angular/material/toolbar';
import { RouterOutlet } from '@angular/router';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, MatToolbar, MatIcon],
  template: `
    <header>
      <mat-toolbar>
        <mat-icon aria-hidden="true">forum</mat-icon>
        <span class="product-name">{{ productName }}</span>
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
      min-height: 100%;
    }

    mat-toolbar {
      gap: 12px;
      background: var(--mat-sys-surface-container);
    }

    main {
      flex: 1;
      padding: 24px;
    }
  `,
})
export class App {
  protected readonly productName = 'BYOK Chat';
}
