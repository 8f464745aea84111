import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Clipboard } from '@angular/cdk/clipboard';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import type { ChatUsage, KeySource, ProviderId } from '@byok/contracts';
import type { ChatStreamErrorCode } from '@byok/web/data-access';
import type { ChatTurn } from './chat-session';
import { MarkdownAnswer } from './markdown/markdown-answer';

const CREDENTIAL_CAPTIONS: Record<KeySource, string> = {
  env: 'via server key',
  session: 'via session key',
  user: 'via account key',
  none: 'without a key',
};

/** Errors a key in Settings can fix. */
const KEY_ERRORS: readonly ChatStreamErrorCode[] = ['no_key', 'key_rejected'];

const counts = new Intl.NumberFormat('en');
const seconds = new Intl.NumberFormat('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** "12 tokens in · 340 out", or only the side the provider reported; null when it reported neither. */
export function usageCaption(usage: ChatUsage | null): string | null {
  const parts: string[] = [];
  if (usage?.inputTokens !== undefined) {
    parts.push(`${counts.format(usage.inputTokens)} tokens in`);
  }
  if (usage?.outputTokens !== undefined) {
    parts.push(`${counts.format(usage.outputTokens)} ${parts.length > 0 ? 'out' : 'tokens out'}`);
  }
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** "0.8 s", "12.4 s", "2 min 5 s". */
export function durationCaption(durationMs: number): string {
  const totalSeconds = durationMs / 1000;
  if (totalSeconds < 60) {
    return `${seconds.format(totalSeconds)} s`;
  }
  const wholeSeconds = Math.round(totalSeconds);
  return `${Math.floor(wholeSeconds / 60)} min ${wholeSeconds % 60} s`;
}

@Component({
  selector: 'app-message-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MarkdownAnswer, MatButton, MatIcon],
  templateUrl: './message-list.html',
  styleUrl: './message-list.scss',
  host: { '(scroll)': 'onScroll()' },
})
export class MessageList {
  readonly turns = input.required<readonly ChatTurn[]>();
  /** An answer is being written: no other can be asked again meanwhile. */
  readonly streaming = input(false);
  readonly openSettings = output<ProviderId>();
  readonly retry = output<string>();
  readonly stop = output<void>();

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly clipboard = inject(Clipboard);
  private readonly announcer = inject(LiveAnnouncer);
  /** Follows the answer as it grows, unless the reader scrolled up to read something else. */
  private followLatest = true;

  protected readonly captions = CREDENTIAL_CAPTIONS;
  protected readonly usageCaption = usageCaption;
  protected readonly durationCaption = durationCaption;
  /** The answer copied last, whose button says so until another is copied. */
  protected readonly copiedId = signal<string | null>(null);

  constructor() {
    afterRenderEffect({
      write: () => {
        this.turns();
        this.followLatestAnswer();
      },
    });
  }

  /** Called after each render, and after each frame a streaming answer draws outside one. */
  protected followLatestAnswer(): void {
    if (this.followLatest) {
      const element = this.host.nativeElement;
      element.scrollTop = element.scrollHeight;
    }
  }

  protected fixableInSettings(code: ChatStreamErrorCode): boolean {
    return KEY_ERRORS.includes(code);
  }

  /** Copies the answer as the model wrote it (markdown), which pastes well into editors and chats. */
  protected copy(id: string, text: string): void {
    const copied = this.clipboard.copy(text);
    this.copiedId.set(copied ? id : null);
    void this.announcer.announce(copied ? 'Answer copied.' : 'The answer could not be copied.', 'polite');
  }

  protected onScroll(): void {
    const element = this.host.nativeElement;
    this.followLatest = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
  }
}
