import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  linkedSignal,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { MatButton, MatIconButton } from '@angular/material/button';
import { MatChip, MatChipSet } from '@angular/material/chips';
import { MatOption } from '@angular/material/core';
import { MatDialog } from '@angular/material/dialog';
import { MatError, MatFormField, MatHint, MatLabel, MatSuffix } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { MatSelect } from '@angular/material/select';
import {
  SESSION_KEY_LIFETIME,
  checkKeyFormat,
  type KeyLifetimeId,
  type KeyLifetimeOption,
  type ProviderId,
  type ProviderKeyStatus,
  type ValidateProviderKeyResponse,
} from '@byok/contracts';
import { Clock, ProviderKeysClient, apiErrorMessage } from '@byok/web/data-access';
import { filter, finalize, switchMap, type Observable } from 'rxjs';
import { confirmClear } from './confirm-clear-dialog';
import { KeyNotifier } from './key-notifier';
import { keyExpirySentence } from './key-expiry';
import {
  KEY_POLICY_DESCRIPTIONS,
  KEY_SOURCE_LABELS,
  VALIDATION_FAILURE_MESSAGES,
  lifetimeHint,
  storedKeyUnusedMessage,
} from './labels';

type Operation = 'set' | 'validate' | 'clear';

const OPERATION_LABELS: Record<Operation, string> = {
  set: 'Saving the key',
  validate: 'Checking the key',
  clear: 'Clearing the key',
};

interface ValidationResult {
  readonly valid: boolean;
  readonly message: string;
}

/** One provider of the keys panel: its key source, and the form to set, check or clear a key. */
@Component({
  selector: 'byok-provider-key-row',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButton,
    MatChip,
    MatChipSet,
    MatError,
    MatFormField,
    MatHint,
    MatIcon,
    MatIconButton,
    MatInput,
    MatLabel,
    MatOption,
    MatProgressSpinner,
    MatSelect,
    MatSuffix,
    ReactiveFormsModule,
  ],
  templateUrl: './provider-key-row.html',
  styleUrl: './provider-key-row.scss',
  host: {
    class: 'byok-provider-key-row',
    '[attr.data-testid]': '"provider-row-" + status().id',
    '[attr.aria-busy]': 'busy()',
  },
})
export class ProviderKeyRow {
  readonly status = input.required<ProviderKeyStatus>();
  /** How long a key may be kept, the default first, as GET /api/providers/keys lists them. */
  readonly lifetimes = input.required<readonly KeyLifetimeOption[]>();
  /** The provider's new status after its key was set. */
  readonly saved = output<ProviderKeyStatus>();
  /** Every provider's status after this provider's key was cleared. */
  readonly cleared = output<ProviderKeyStatus[]>();

  private readonly client = inject(ProviderKeysClient);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(KeyNotifier);
  private readonly destroyRef = inject(DestroyRef);
  private readonly injector = inject(Injector);
  private readonly clock = inject(Clock);
  private readonly keyInput = viewChild.required<ElementRef<HTMLInputElement>>('keyInput');
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');

  protected readonly keyControl = new FormControl('', { nonNullable: true });
  protected readonly form = new FormGroup({ apiKey: this.keyControl });
  protected readonly revealed = signal(false);
  protected readonly operation = signal<Operation | null>(null);
  protected readonly busy = computed(() => this.operation() !== null);
  protected readonly formatError = signal<string | null>(null);
  protected readonly apiError = signal<string | null>(null);
  protected readonly validation = signal<ValidationResult | null>(null);

  protected readonly sourceLabels = KEY_SOURCE_LABELS;
  protected readonly operationLabels = OPERATION_LABELS;
  protected readonly policyDescription = computed(() => KEY_POLICY_DESCRIPTIONS[this.status().policy]);
  /**
   * A user can always delete what they stored, even when a server key wins over it or the policy
   * now locks the provider; only setting a new key depends on `editable`.
   */
  protected readonly canClear = computed(() => this.status().masked !== null);
  /** A locked provider without a key has nothing to check. */
  protected readonly canValidate = computed(() => this.status().editable || this.status().source !== 'none');
  protected readonly storedKeyUnused = computed(() => storedKeyUnusedMessage(this.status()));
  /** Without sign-in the server offers the session only, and there is nothing to choose. */
  protected readonly offersLifetimes = computed(() => this.lifetimes().length > 1);
  protected readonly showsLifetimePicker = computed(() => this.status().editable && this.offersLifetimes());
  /** Back to the server's default whenever its list changes. */
  protected readonly chosenLifetime = linkedSignal<KeyLifetimeId>(() => this.lifetimes()[0]?.id ?? SESSION_KEY_LIFETIME);
  protected readonly lifetimeHint = computed(() => lifetimeHint(this.lifetimes()));
  /** Read when the status changes; an open panel does not tick, which "in 6 days" does not need. */
  protected readonly expiry = computed(() =>
    keyExpirySentence(this.status(), this.clock.now(), this.offersLifetimes()),
  );

  constructor() {
    // A locked provider's field is shown disabled, so the reason for the lock stays next to it.
    effect(() => {
      if (this.status().editable) {
        this.keyControl.enable({ emitEvent: false });
      } else {
        this.keyControl.disable({ emitEvent: false });
      }
    });
    this.keyControl.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => {
      this.formatError.set(null);
      this.validation.set(null);
    });
  }

  providerId(): ProviderId {
    return this.status().id;
  }

  /** Moves focus here: to the key field, or to the provider's name when its key is locked. */
  focus(): void {
    // focus() also scrolls the element into view inside the dialog.
    if (this.status().editable) {
      this.keyInput().nativeElement.focus();
    } else {
      this.heading().nativeElement.focus();
    }
  }

  protected toggleReveal(): void {
    this.revealed.update((revealed) => !revealed);
  }

  protected setKey(): void {
    const status = this.status();
    if (this.busy() || !status.editable) {
      return;
    }
    const apiKey = this.keyControl.value;
    if (!this.passesFormatCheck(apiKey)) {
      return;
    }
    const lifetime = this.offersLifetimes() ? this.chosenLifetime() : undefined;
    this.run('set', this.client.setProviderKey(status.id, apiKey, lifetime)).subscribe({
      next: (updated) => {
        // The key is not kept once the server has it.
        this.keyControl.reset();
        this.revealed.set(false);
        this.saved.emit(updated);
        const expiry = keyExpirySentence(updated, this.clock.now(), this.offersLifetimes());
        this.notifier.notify(expiry === null ? `${status.name} key saved.` : `${status.name} key saved. ${expiry}`);
      },
      error: (error: unknown) => this.apiError.set(apiErrorMessage(error)),
    });
  }

  protected validate(): void {
    const status = this.status();
    if (this.busy()) {
      return;
    }
    const typed = status.editable ? this.keyControl.value : '';
    if (typed === '' && status.source === 'none') {
      this.showFormatError(`Enter an API key for ${status.name} to check it.`);
      return;
    }
    if (typed !== '' && !this.passesFormatCheck(typed)) {
      return;
    }
    const subject = typed === '' ? `The ${status.name} key in use` : `This ${status.name} key`;
    this.run('validate', this.client.validateProviderKey(status.id, typed === '' ? undefined : typed)).subscribe({
      next: (response) => {
        const result = validationResult(response, subject);
        this.validation.set(result);
        this.notifier.announce(result.message);
      },
      error: (error: unknown) => this.apiError.set(apiErrorMessage(error)),
    });
  }

  protected clear(): void {
    const status = this.status();
    if (this.busy() || !this.canClear()) {
      return;
    }
    confirmClear(this.dialog, { providerName: status.name })
      .pipe(
        filter((confirmed) => confirmed),
        takeUntilDestroyed(this.destroyRef),
        switchMap(() => this.run('clear', this.client.clearProviderKey(status.id))),
      )
      .subscribe({
        next: (response) => {
          this.cleared.emit(response.providers);
          this.notifier.notify(`${status.name} key cleared.`);
          // The Clear button the dialog gave focus back to is gone now.
          afterNextRender(() => this.focus(), { injector: this.injector });
        },
        error: (error: unknown) => this.apiError.set(apiErrorMessage(error)),
      });
  }

  private run<T>(operation: Operation, request: Observable<T>): Observable<T> {
    this.apiError.set(null);
    this.formatError.set(null);
    this.validation.set(null);
    this.operation.set(operation);
    return request.pipe(
      finalize(() => this.operation.set(null)),
      takeUntilDestroyed(this.destroyRef),
    );
  }

  /** The server checks the same rules; checking first saves a round trip and keeps typos local. */
  private passesFormatCheck(apiKey: string): boolean {
    const status = this.status();
    const problem = checkKeyFormat(apiKey, status.keyFormat, status.name);
    if (problem) {
      this.showFormatError(problem.message);
      return false;
    }
    return true;
  }

  private showFormatError(message: string): void {
    this.apiError.set(null);
    this.validation.set(null);
    this.formatError.set(message);
    // Puts the field in its error state, so mat-error shows and aria-invalid is set.
    this.keyControl.setErrors({ keyFormat: true });
    this.keyControl.markAsTouched();
    if (this.status().editable) {
      this.keyInput().nativeElement.focus();
    }
  }

}

function validationResult(response: ValidateProviderKeyResponse, subject: string): ValidationResult {
  if (response.valid) {
    return { valid: true, message: `Key works. ${subject} was accepted by the provider.` };
  }
  return {
    valid: false,
    message: response.reason ? VALIDATION_FAILURE_MESSAGES[response.reason] : 'The key did not work.',
  };
}
