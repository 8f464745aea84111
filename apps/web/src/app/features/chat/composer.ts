import { CdkTextareaAutosize } from '@angular/cdk/text-field';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  output,
  viewChild,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { CHAT_LIMITS } from '@byok/contracts';

@Component({
  selector: 'app-composer',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [CdkTextareaAutosize, MatButton, MatFormField, MatHint, MatIcon, MatInput, MatLabel, ReactiveFormsModule],
  template: `
    <form class="composer" [formGroup]="form" (ngSubmit)="submit()">
      <mat-form-field class="message-field" subscriptSizing="dynamic">
        <mat-label>Message</mat-label>
        <textarea
          #messageInput
          matInput
          formControlName="message"
          cdkTextareaAutosize
          cdkAutosizeMinRows="2"
          cdkAutosizeMaxRows="10"
          [maxlength]="maxChars"
          data-testid="chat-input"
          (keydown)="onKeydown($event)"
        ></textarea>
        <mat-hint>Enter sends; Shift+Enter starts a new line; Escape stops an answer.</mat-hint>
      </mat-form-field>
      <div class="actions">
        @if (streaming()) {
          <button #stopButton matButton="outlined" type="button" data-testid="stop-button" (click)="onStop()">
            <mat-icon aria-hidden="true">stop</mat-icon>
            Stop
          </button>
        }
        <button
          matButton="filled"
          type="submit"
          [disabled]="!canSubmit()"
          disabledInteractive
          data-testid="send-button"
        >
          <mat-icon aria-hidden="true">send</mat-icon>
          Send
        </button>
      </div>
    </form>
  `,
  styles: `
    .composer {
      display: flex;
      align-items: flex-start;
      gap: 12px;
    }

    .message-field {
      flex: 1;
    }

    .actions {
      display: flex;
      gap: 8px;
      padding-top: 8px;
    }
  `,
})
export class Composer {
  /** An answer is being written; sending waits and Stop is offered. */
  readonly streaming = input(false);
  /** Whether a provider and model are chosen. */
  readonly ready = input(true);
  readonly send = output<string>();
  readonly stop = output<void>();

  private readonly injector = inject(Injector);
  private readonly messageInput = viewChild.required<ElementRef<HTMLTextAreaElement>>('messageInput');
  private readonly stopButton = viewChild('stopButton', { read: ElementRef<HTMLButtonElement> });

  protected readonly maxChars = CHAT_LIMITS.maxMessageChars;
  protected readonly form = new FormGroup({ message: new FormControl('', { nonNullable: true }) });
  private readonly message = toSignal(this.form.controls.message.valueChanges, { initialValue: '' });
  protected readonly canSubmit = computed(
    () => this.ready() && !this.streaming() && this.message().trim() !== '',
  );

  constructor() {
    // Stop disappears when the answer ends; focus on it would otherwise fall to the page.
    effect(() => {
      if (!this.streaming() && this.stopButton()?.nativeElement === document.activeElement) {
        afterNextRender(() => this.focusInput(), { injector: this.injector });
      }
    });
  }

  focusInput(): void {
    this.messageInput().nativeElement.focus();
  }

  protected onKeydown(event: KeyboardEvent): void {
    // isComposing: Enter also confirms an IME composition, which must not send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) {
      return;
    }
    event.preventDefault();
    this.submit();
  }

  protected submit(): void {
    const text = this.form.controls.message.value.trim();
    if (!this.canSubmit() || text === '') {
      return;
    }
    this.send.emit(text);
    this.form.reset();
  }

  protected onStop(): void {
    this.stop.emit();
    this.focusInput();
  }
}
