import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButton } from '@angular/material/button';
import { MatChip, MatChipSet } from '@angular/material/chips';
import { MatIcon } from '@angular/material/icon';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import type { KeySource, ProviderKeyStatus } from '@byok/contracts';
import { apiErrorMessage } from '../../core/api-error-message';
import { ProviderKeysApi } from '../../core/provider-keys.api';

type ProvidersState =
  | { readonly status: 'loading' }
  | { readonly status: 'loaded'; readonly providers: readonly ProviderKeyStatus[] }
  | { readonly status: 'error'; readonly message: string };

const SOURCE_LABELS: Record<KeySource, string> = {
  env: 'ENV',
  session: 'SESSION',
  none: 'none',
};

@Component({
  selector: 'app-chat-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButton, MatChip, MatChipSet, MatIcon, MatProgressSpinner],
  templateUrl: './chat-page.html',
  styleUrl: './chat-page.scss',
})
export class ChatPage {
  private readonly api = inject(ProviderKeysApi);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly state = signal<ProvidersState>({ status: 'loading' });
  protected readonly sourceLabels = SOURCE_LABELS;

  constructor() {
    this.load();
  }

  protected load(): void {
    this.state.set({ status: 'loading' });
    this.api
      .list()
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (response) => this.state.set({ status: 'loaded', providers: response.providers }),
        error: (error: unknown) =>
          this.state.set({ status: 'error', message: apiErrorMessage(error) }),
      });
  }
}
