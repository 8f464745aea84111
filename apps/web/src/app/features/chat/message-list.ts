import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  inject,
  input,
  output,
} from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import type { KeySource, ProviderId } from '@byok/contracts';
import type { ChatStreamErrorCode } from '@byok/web/data-access';
import type { ChatTurn } from './chat-session';

const CREDENTIAL_CAPTIONS: Record<KeySource, string> = {
  env: 'via server key',
  session: 'via session key',
  user: 'via account key',
  none: 'without a key',
};

/** Errors a key in Settings can fix. */
const KEY_ERRORS: readonly ChatStreamErrorCode[] = ['no_key', 'key_rejected'];

@Component({
  selector: 'app-message-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButton, MatIcon],
  templateUrl: './message-list.html',
  styleUrl: './message-list.scss',
  host: { '(scroll)': 'onScroll()' },
})
export class MessageList {
  readonly turns = input.required<readonly ChatTurn[]>();
  readonly openSettings = output<ProviderId>();
  readonly retry = output<string>();

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  /** Follows the answer as it grows, unless the reader scrolled up to read something else. */
  private followLatest = true;

  protected readonly captions = CREDENTIAL_CAPTIONS;

  constructor() {
    afterRenderEffect({
      write: () => {
        this.turns();
        if (this.followLatest) {
          const element = this.host.nativeElement;
          element.scrollTop = element.scrollHeight;
        }
      },
    });
  }

  protected fixableInSettings(code: ChatStreamErrorCode): boolean {
    return KEY_ERRORS.includes(code);
  }

  protected onScroll(): void {
    const element = this.host.nativeElement;
    this.followLatest = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
  }
}
