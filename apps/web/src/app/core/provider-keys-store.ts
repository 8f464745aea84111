import { Injectable, computed, inject, signal } from '@angular/core';
import type { ProviderKeyStatus } from '@byok/contracts';
import { ProviderKeysClient, apiErrorMessage } from '@byok/web/data-access';
import { Subject, type Observable, type Subscription } from 'rxjs';

export type ProvidersState =
  | { readonly status: 'loading' }
  | { readonly status: 'loaded'; readonly providers: readonly ProviderKeyStatus[] }
  | { readonly status: 'error'; readonly message: string };

/** The key status of every provider, shared by the chat page and the settings dialog. */
@Injectable({ providedIn: 'root' })
export class ProviderKeysStore {
  private readonly client = inject(ProviderKeysClient);
  private readonly stateSignal = signal<ProvidersState>({ status: 'loading' });
  private readonly changesSubject = new Subject<readonly ProviderKeyStatus[]>();
  private loading: Subscription | null = null;

  readonly state = this.stateSignal.asReadonly();
  readonly providers = computed(() => {
    const state = this.stateSignal();
    return state.status === 'loaded' ? state.providers : [];
  });
  /**
   * Emits after the user set or cleared a key. Only the session's first key gives it a new id
   * (against session fixation); a chat socket opened before that must make a new handshake once,
   * which ChatSocket.keysChanged() arranges. Later changes keep the id and reach sockets as they are.
   */
  readonly changes: Observable<readonly ProviderKeyStatus[]> = this.changesSubject.asObservable();

  load(): void {
    this.loading?.unsubscribe();
    this.stateSignal.set({ status: 'loading' });
    this.loading = this.client.getProviderKeys().subscribe({
      next: (response) => this.stateSignal.set({ status: 'loaded', providers: response.providers }),
      error: (error: unknown) => this.stateSignal.set({ status: 'error', message: apiErrorMessage(error) }),
    });
  }

  /**
   * Reloads quietly, keeping what is shown until the answer arrives. Chatting happens over the
   * socket, which cannot renew cookies; this HTTP request renews the session cookie's expiry.
   */
  refresh(): void {
    if (this.loading && !this.loading.closed) return;
    this.loading = this.client.getProviderKeys().subscribe({
      next: (response) => this.stateSignal.set({ status: 'loaded', providers: response.providers }),
      // A failed background refresh changes nothing the user relies on; the next action reports it.
      error: () => this.loading?.unsubscribe(),
    });
  }

  keysChanged(providers: readonly ProviderKeyStatus[]): void {
    this.loading?.unsubscribe();
    this.stateSignal.set({ status: 'loaded', providers });
    this.changesSubject.next(providers);
  }
}
