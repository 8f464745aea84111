import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Clipboard } from '@angular/cdk/clipboard';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  PendingTasks,
  ViewEncapsulation,
  effect,
  inject,
  input,
  output,
} from '@angular/core';
import { CodeHighlighter } from './code-highlighter';
import { IncrementalMarkdown, type MarkdownChange } from './incremental-markdown';
import { CODE_BLOCK_CLASS, CODE_LANGUAGE_ATTRIBUTE, COPY_CODE_ATTRIBUTE, blockHtml } from './markdown-html';
import { MarkdownSanitizer } from './markdown-sanitizer';
import { NEXT_FRAME } from './next-frame';

/** How long a copy button reads "Copied" before it offers to copy again. */
const COPIED_FEEDBACK_MS = 2000;

/** Code blocks that name a language; the others are never highlighted. */
function codeToHighlight(element: HTMLElement): NodeListOf<HTMLElement> {
  return element.querySelectorAll<HTMLElement>(`code[${CODE_LANGUAGE_ATTRIBUTE}]`);
}

/** One top-level markdown block on the page. */
interface RenderedBlock {
  /** The block's HTML before sanitising: an unchanged block keeps its DOM nodes. */
  readonly html: string;
  readonly element: HTMLElement;
  /** A complete block's code is highlighted; code still streaming in stays plain. */
  complete: boolean;
}

/**
 * An answer from a model, rendered as sanitised markdown. While it streams, it renders at most once
 * per animation frame and only its last block again, so the lexing and DOM work of a frame depends
 * on that block, not on the answer's length; when the stream ends, the whole text is rendered once
 * more as a finished document, keeping the nodes of every block that came out the same.
 */
@Component({
  selector: 'app-markdown-answer',
  changeDetection: ChangeDetectionStrategy.OnPush,
  // The markup is built outside any template, so emulated encapsulation could not reach it; every
  // selector in these stylesheets is scoped under `app-markdown-answer` instead.
  encapsulation: ViewEncapsulation.None,
  template: '',
  styleUrls: ['./markdown-answer.scss', './code-highlight.scss'],
  host: {
    '[attr.aria-busy]': 'streaming()',
    '(click)': 'copyCode($event)',
  },
})
export class MarkdownAnswer {
  /** The answer so far. It grows while streaming, and starts over from '' when the answer does. */
  readonly text = input.required<string>();
  readonly streaming = input(false);
  /** A streaming frame changed the answer on screen, outside change detection: a scrolling parent follows it here. */
  readonly rendered = output<void>();

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
  private readonly sanitizer = inject(MarkdownSanitizer);
  private readonly highlighter = inject(CodeHighlighter);
  private readonly nextFrame = inject(NEXT_FRAME);
  private readonly pendingTasks = inject(PendingTasks);
  private readonly clipboard = inject(Clipboard);
  private readonly announcer = inject(LiveAnnouncer);

  private readonly markdown = new IncrementalMarkdown();
  private blocks: RenderedBlock[] = [];
  private cancelFrame: (() => void) | null = null;
  /** Code that completed before highlight.js arrived. */
  private awaitingHighlight: HTMLElement[] = [];
  private loadingHighlighter = false;
  private readonly copiedResets = new Set<ReturnType<typeof setTimeout>>();

  constructor() {
    // A finished answer renders right here, during change detection, so an ancestor's after-render
    // hook (the message list scrolling to the latest answer) already measures it. A streaming one
    // renders on the next animation frame instead, however many times the text changed before it.
    effect(() => {
      const text = this.text();
      if (this.streaming()) {
        this.renderOnNextFrame();
      } else {
        this.cancelPendingFrame();
        this.apply(this.markdown.finish(text));
      }
    });
    inject(DestroyRef).onDestroy(() => {
      this.cancelPendingFrame();
      this.copiedResets.forEach(clearTimeout);
    });
  }

  /** The single click listener for every copy button: the buttons are not part of a template. */
  protected copyCode(event: Event): void {
    const button = event.target instanceof Element ? event.target.closest(`[${COPY_CODE_ATTRIBUTE}]`) : null;
    const code = button?.closest(`.${CODE_BLOCK_CLASS}`)?.querySelector('code');
    if (!button || !code || !this.host.contains(button)) {
      return;
    }
    const copied = this.clipboard.copy(code.textContent);
    void this.announcer.announce(copied ? 'Code copied' : 'The code could not be copied', 'polite');
    if (copied) {
      button.textContent = 'Copied';
      const reset = setTimeout(() => {
        button.textContent = 'Copy';
        this.copiedResets.delete(reset);
      }, COPIED_FEEDBACK_MS);
      this.copiedResets.add(reset);
    }
  }

  private renderOnNextFrame(): void {
    if (this.cancelFrame) {
      return;
    }
    // The view is not stable until the frame has drawn the latest text (`whenStable()` waits for it).
    const removeTask = this.pendingTasks.add();
    const cancel = this.nextFrame(() => {
      this.cancelFrame = null;
      removeTask();
      this.apply(this.markdown.update(this.text()));
      this.rendered.emit();
    });
    this.cancelFrame = () => {
      cancel();
      removeTask();
    };
  }

  private cancelPendingFrame(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
  }

  private apply({ from, blocks, complete }: MarkdownChange): void {
    const completedNow: HTMLElement[] = [];
    blocks.forEach((block, offset) => {
      const index = from + offset;
      const html = blockHtml(block);
      const current = this.blocks[index];
      const rendered = current?.html === html ? current : this.insert(html, current);
      if (offset < complete && !rendered.complete) {
        rendered.complete = true;
        completedNow.push(rendered.element);
      }
      this.blocks[index] = rendered;
    });
    for (const stale of this.blocks.splice(from + blocks.length)) {
      stale.element.remove();
    }
    this.highlight(completedNow.flatMap((element) => Array.from(codeToHighlight(element))));
    const changed = this.blocks.slice(from);
    if (!this.highlighter.ready && changed.some(({ element }) => codeToHighlight(element).length > 0)) {
      // Fetched as soon as code appears, so that it is usually there by the time the block completes.
      this.loadHighlighter();
    }
  }

  private insert(html: string, replacing: RenderedBlock | undefined): RenderedBlock {
    const element = this.host.ownerDocument.createElement('div');
    element.className = 'markdown-block';
    element.append(this.sanitizer.markdown(html));
    if (replacing) {
      replacing.element.replaceWith(element);
    } else {
      this.host.append(element);
    }
    return { html, element, complete: false };
  }

  private highlight(codeElements: readonly HTMLElement[]): void {
    if (!this.highlighter.ready) {
      this.awaitingHighlight.push(...codeElements);
      return;
    }
    for (const code of codeElements) {
      const language = code.getAttribute(CODE_LANGUAGE_ATTRIBUTE) ?? '';
      const highlighted = this.highlighter.highlight(code.textContent, language);
      if (highlighted !== null) {
        code.replaceChildren(this.sanitizer.highlightedCode(highlighted));
      }
    }
  }

  /** A failed load reaches the ErrorHandler (through `PendingTasks.run`); the next code block tries again. */
  private loadHighlighter(): void {
    if (this.loadingHighlighter) {
      return;
    }
    this.loadingHighlighter = true;
    this.pendingTasks.run(async () => {
      try {
        await this.highlighter.load();
      } finally {
        this.loadingHighlighter = false;
      }
      // Code replaced or reset while highlight.js loaded is no longer part of this answer.
      const waiting = this.awaitingHighlight.filter((code) => this.host.contains(code));
      this.awaitingHighlight = [];
      this.highlight(waiting);
    });
  }
}
