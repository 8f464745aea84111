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

/** The answer's Stop button, which the page watches for focus as the answer ends. */
export const ANSWER_STOP_CLASS = 'answer-stop';

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
  /**
   * Answers already read out, or already finished when the list first rendered: a conversation
   * restored after a reload is not read out again.
   */
  private readonly announced = new Set<string>();
  private firstRender = true;

  protected readonly captions = CREDENTIAL_CAPTIONS;
  protected readonly usageCaption = usageCaption;
  protected readonly durationCaption = durationCaption;
  /** The answer copied last, whose button says so until another is copied. */
  protected readonly copiedId = signal<string | null>(null);
  protected readonly stopClass = ANSWER_STOP_CLASS;

  constructor() {
    afterRenderEffect({
      write: () => {
        this.turns();
        this.followLatestAnswer();
      },
      read: () => this.announceFinished(this.turns()),
    });
  }

  /** Called after each render, and after each frame a streaming answer draws outside one. */
  protected followLatestAnswer(): void {
    if (this.followLatest) {
      const element = this.host.nativeElement;
      element.scrollTop = element.scrollHeight;
    }
  }

  /** Reads each newly finished answer out, politely, as the page shows it (rendered, not markdown). */
  private announceFinished(turns: readonly ChatTurn[]): void {
    for (const turn of turns) {
      if (turn.role !== 'assistant' || turn.status !== 'done' || this.announced.has(turn.id)) {
        continue;
      }
      this.announced.add(turn.id);
      if (!this.firstRender) {
        const shown = this.host.nativeElement.querySelector(`[data-answer-id="${turn.id}"] app-markdown-answer`);
        void this.announcer.announce(`${turn.providerName}: ${shown?.textContent?.trim() ?? turn.text}`, 'polite');
      }
    }
    this.firstRender = false;
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
