import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  linkedSignal,
  output,
  signal,
  untracked,
  viewChildren,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButton } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import {
  MatExpansionPanel,
  MatExpansionPanelDescription,
  MatExpansionPanelHeader,
  MatExpansionPanelTitle,
} from '@angular/material/expansion';
import { MatIcon } from '@angular/material/icon';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import type { KeyLifetimeOption, ProviderId, ProviderKeyStatus } from '@byok/contracts';
import { API_BASE_URL, ProviderKeysClient, apiErrorMessage } from '@byok/web/data-access';
import { filter, finalize, switchMap, type Subscription } from 'rxjs';
import { confirmClear } from './confirm-clear-dialog';
import { KeyNotifier } from './key-notifier';
import { ProviderKeyRow } from './provider-key-row';

type PanelState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'loaded';
      readonly providers: readonly ProviderKeyStatus[];
      readonly lifetimes: readonly KeyLifetimeOption[];
    }
  | { readonly status: 'error'; readonly message: string };

/**
 * The user's API keys, per provider: where the key in effect comes from, and forms to set,
 * check and clear the user's own keys.
 */
@Component({
  selector: 'byok-keys-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButton,
    MatExpansionPanel,
    MatExpansionPanelDescription,
    MatExpansionPanelHeader,
    MatExpansionPanelTitle,
    MatIcon,
    MatProgressSpinner,
    ProviderKeyRow,
  ],
  // An instance of its own, so the apiBaseUrl input affects this panel only.
  providers: [ProviderKeysClient],
  templateUrl: './keys-panel.html',
  styleUrl: './keys-panel.scss',
})
export class KeysPanel {
  /** Prefix of the API's URLs; API_BASE_URL (by default '') unless given. */
  readonly apiBaseUrl = input<string>(inject(API_BASE_URL));
  readonly expanded = input(true);
  /** A provider to bring into view and focus once the keys are loaded. */
  readonly focusProvider = input<ProviderId | null>(null);
  /** Every provider's status after a key was set or cleared. */
  readonly keysChanged = output<ProviderKeyStatus[]>();

  private readonly client = inject(ProviderKeysClient);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(KeyNotifier);
  private readonly destroyRef = inject(DestroyRef);
  private readonly injector = inject(Injector);
  private readonly rows = viewChildren(ProviderKeyRow);
  private loading: Subscription | null = null;
  private focusedProvider: ProviderId | null = null;

  protected readonly isExpanded = linkedSignal(() => this.expanded());
  protected readonly state = signal<PanelState>({ status: 'loading' });
  protected readonly clearingAll = signal(false);
  protected readonly clearAllError = signal<string | null>(null);
  protected readonly providers = computed(() => {
    const state = this.state();
    return state.status === 'loaded' ? state.providers : [];
  });
  protected readonly lifetimes = computed(() => {
    const state = this.state();
    return state.status === 'loaded' ? state.lifetimes : [];
  });
  /** Only a signed-in person is offered lifetimes beyond the session. */
  protected readonly offersLongerLifetimes = computed(() => this.lifetimes().length > 1);
  protected readonly summary = computed(() => {
    const providers = this.providers();
    if (providers.length === 0) {
      return null;
    }
    const ready = providers.filter((provider) => provider.source !== 'none' || !provider.keyRequired);
    return `${ready.length} of ${providers.length} ready`;
  });
  /** Offered for a single stored key too, and for keys not in use, so deleting everything is one step. */
  protected readonly canClearAll = computed(() => this.providers().some((provider) => provider.masked !== null));

  constructor() {
    this.client.useBaseUrl(this.apiBaseUrl);
    effect(() => {
      this.apiBaseUrl();
      untracked(() => this.load());
    });
    effect(() => {
      const target = this.focusProvider();
      if (target === null) {
        this.focusedProvider = null;
        return;
      }
      const row = this.rows().find((candidate) => candidate.providerId() === target);
      if (row === undefined || this.focusedProvider === target) {
        return;
      }
      this.focusedProvider = target;
      untracked(() => this.isExpanded.set(true));
      afterNextRender(() => row.focus(), { injector: this.injector });
    });
  }

  protected load(): void {
    this.loading?.unsubscribe();
    this.state.set({ status: 'loading' });
    this.loading = this.client
      .getProviderKeys()
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (response) =>
          this.state.set({ status: 'loaded', providers: response.providers, lifetimes: response.lifetimes }),
        error: (error: unknown) => this.state.set({ status: 'error', message: apiErrorMessage(error) }),
      });
  }

  protected onSaved(updated: ProviderKeyStatus): void {
    this.replaceAll(this.providers().map((provider) => (provider.id === updated.id ? updated : provider)));
  }

  protected onCleared(providers: ProviderKeyStatus[]): void {
    this.replaceAll(providers);
  }

  protected clearAll(): void {
    if (this.clearingAll()) {
      return;
    }
    confirmClear(this.dialog, { providerName: null })
      .pipe(
        filter((confirmed) => confirmed),
        takeUntilDestroyed(this.destroyRef),
        switchMap(() => {
          this.clearAllError.set(null);
          this.clearingAll.set(true);
          return this.client.clearAllProviderKeys().pipe(finalize(() => this.clearingAll.set(false)));
        }),
      )
      .subscribe({
        next: (response) => {
          this.replaceAll(response.providers);
          this.notifier.notify('All your keys were cleared.');
        },
        error: (error: unknown) => this.clearAllError.set(apiErrorMessage(error)),
      });
  }

  /** Setting or clearing keys never changes the lifetimes on offer, which follow sign-in. */
  private replaceAll(providers: ProviderKeyStatus[]): void {
    this.state.set({ status: 'loaded', providers, lifetimes: this.lifetimes() });
    this.keysChanged.emit(providers);
  }
}
