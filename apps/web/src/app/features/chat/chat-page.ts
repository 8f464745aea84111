import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { takeUntilDestroyed, toObservable, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { MatAutocomplete, MatAutocompleteTrigger } from '@angular/material/autocomplete';
import { MatButton } from '@angular/material/button';
import { MatOption } from '@angular/material/core';
import { MatDialog } from '@angular/material/dialog';
import { MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { MatSelect } from '@angular/material/select';
import { CHAT_LIMITS, type KeySource, type ModelSummary, type ProviderId, type ProviderKeyStatus } from '@byok/contracts';
import { ChatSocket, ProviderModelsClient, apiErrorMessage } from '@byok/web/data-access';
import { catchError, distinctUntilChanged, map, of, startWith, switchMap, type Observable } from 'rxjs';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { openSettingsDialog } from '../settings/settings-dialog';
import { ChatSession } from './chat-session';
import { Composer } from './composer';
import { ANSWER_STOP_CLASS, MessageList } from './message-list';

type ModelsState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading' }
  | { readonly status: 'loaded'; readonly models: readonly ModelSummary[] }
  | { readonly status: 'error'; readonly message: string };

const SOURCE_CAPTIONS: Record<KeySource, string> = {
  env: 'server key',
  session: 'your session key',
  user: 'your account key',
  none: 'no key',
};

@Component({
  selector: 'app-chat-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    Composer,
    MatAutocomplete,
    MatAutocompleteTrigger,
    MatButton,
    MatFormField,
    MatHint,
    MatIcon,
    MatInput,
    MatLabel,
    MatOption,
    MatProgressSpinner,
    MatSelect,
    MessageList,
    ReactiveFormsModule,
  ],
  providers: [ChatSession],
  templateUrl: './chat-page.html',
  styleUrl: './chat-page.scss',
  // Escape stops the answer from anywhere on the page but a list box (see stopOnEscape).
  host: { '(keydown.escape)': 'stopOnEscape($event)' },
})
export class ChatPage {
  private readonly store = inject(ProviderKeysStore);
  private readonly modelsClient = inject(ProviderModelsClient);
  private readonly socket = inject(ChatSocket);
  private readonly dialog = inject(MatDialog);
  protected readonly session = inject(ChatSession);
  private readonly composer = viewChild.required(Composer);
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);

  protected readonly providersState = this.store.state;
  protected readonly providers = this.store.providers;
  private readonly chosenProvider = signal<ProviderId | null>(null);
  /** The chosen provider, or the first one that has a key (or needs none). */
  protected readonly provider = computed<ProviderKeyStatus | null>(() => {
    const providers = this.providers();
    return (
      providers.find((candidate) => candidate.id === this.chosenProvider()) ??
      providers.find((candidate) => candidate.source !== 'none' || !candidate.keyRequired) ??
      providers[0] ??
      null
    );
  });
  /** Bumped when keys change: a new key may unlock a provider's model list. */
  private readonly keysRevision = signal(0);

  protected readonly modelControl = new FormControl('', { nonNullable: true });
  private readonly model = toSignal(this.modelControl.valueChanges, { initialValue: '' });
  protected readonly modelsState = signal<ModelsState>({ status: 'idle' });
  /** The provider the model field's value belongs to. */
  private modelProvider: ProviderId | null = null;
  protected readonly modelOptions = computed(() => {
    const state = this.modelsState();
    if (state.status !== 'loaded') {
      return [];
    }
    const typed = this.model().trim().toLowerCase();
    const matching = state.models.filter(
      (model) => model.id.toLowerCase().includes(typed) || model.name.toLowerCase().includes(typed),
    );
    // Once a listed model is chosen, offer the whole list again rather than just that one.
    return matching.length === 1 && matching[0]?.id === this.model() ? state.models : matching;
  });
  protected readonly ready = computed(() => this.provider() !== null && this.model().trim() !== '');

  protected readonly sourceCaptions = SOURCE_CAPTIONS;
  protected readonly maxModelLength = CHAT_LIMITS.maxModelLength;

  constructor() {
    this.store.load();
    // No eager socket connect: the first stream connects, after GET /api/providers/keys has
    // given this browser its session cookie, so the handshake and the HTTP calls share a session.
    inject(DestroyRef).onDestroy(() => this.socket.disconnect());
    this.store.changes.pipe(takeUntilDestroyed()).subscribe(() => {
      this.socket.keysChanged();
      this.keysRevision.update((revision) => revision + 1);
    });
    this.watchModels()
      .pipe(takeUntilDestroyed())
      .subscribe(({ provider, state }) => this.showModels(provider, state));
    // The answer's Stop button goes when the answer ends; focus on it would otherwise fall to the page.
    effect(() => {
      if (!this.session.streaming() && this.document.activeElement?.closest(`.${ANSWER_STOP_CLASS}`)) {
        afterNextRender(() => this.composer().focusInput(), { injector: this.injector });
      }
    });
  }

  protected selectProvider(id: ProviderId): void {
    this.chosenProvider.set(id);
  }

  protected send(text: string): void {
    const provider = this.provider();
    const model = this.model().trim();
    if (provider === null || model === '') {
      return;
    }
    this.session.send(text, { provider: provider.id, providerName: provider.name, model });
    this.composer().focusInput();
  }

  /** The Retry button gives way to Stop; the composer takes focus, where Escape stops again. */
  protected retry(answerId: string): void {
    this.session.retry(answerId);
    this.composer().focusInput();
  }

  protected newChat(): void {
    this.session.newChat();
    this.composer().focusInput();
  }

  protected stop(): void {
    this.session.stop();
    this.composer().focusInput();
  }

  /**
   * A combobox (the provider select, the model field) owns Escape: it closes its list, and its
   * overlay only hears the key after this handler, so the answer goes on. So does an IME
   * composition, which Escape cancels.
   */
  protected stopOnEscape(event: Event): void {
    const target = event.target instanceof Element ? event.target : null;
    const composing = event instanceof KeyboardEvent && event.isComposing;
    if (event.defaultPrevented || composing || target?.closest('[role="combobox"]') || !this.session.streaming()) {
      return;
    }
    event.preventDefault();
    this.stop();
  }

  protected openSettings(focusProvider: ProviderId | null = null): void {
    openSettingsDialog(this.dialog, { focusProvider });
  }

  protected retryProviders(): void {
    this.store.load();
  }

  /** The current provider's model list, reloaded when keys change. */
  private watchModels(): Observable<{ provider: ProviderId | null; state: ModelsState }> {
    const query = computed(() => ({ provider: this.provider()?.id ?? null, revision: this.keysRevision() }));
    return toObservable(query).pipe(
      distinctUntilChanged((previous, next) => previous.provider === next.provider && previous.revision === next.revision),
      switchMap(({ provider }) => {
        if (provider === null) {
          return of({ provider, state: { status: 'idle' } as const });
        }
        return this.modelsClient.listModels(provider).pipe(
          map((response): ModelsState => ({ status: 'loaded', models: response.models })),
          catchError((error: unknown) => of<ModelsState>({ status: 'error', message: apiErrorMessage(error) })),
          startWith<ModelsState>({ status: 'loading' }),
          map((state) => ({ provider, state })),
        );
      }),
    );
  }

  /**
   * A model id only means something to its provider: switching provider empties the field, and
   * the first listed model fills an empty one. A failed list leaves the field for typing.
   */
  private showModels(provider: ProviderId | null, state: ModelsState): void {
    if (provider !== this.modelProvider) {
      this.modelProvider = provider;
      this.modelControl.setValue('');
    }
    const first = state.status === 'loaded' ? state.models[0] : undefined;
    if (first && this.modelControl.value === '') {
      this.modelControl.setValue(first.id);
    }
    this.modelsState.set(state);
  }
}
