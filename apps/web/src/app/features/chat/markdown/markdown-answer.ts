import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Clipboard } from '@angular/cdk/clipboard';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  ErrorHandler,
  PendingTasks,
  ViewEncapsulation,
  effect,
  inject,
  input,
  output,
} from '@angular/core';
import { CodeHighlighter } from './code-highlighter';
import { IncrementalMarkdown, type MarkdownChange } from './incremental-markdown';
import { MarkdownDom, type PlacedPiece } from './markdown-dom';
import { CODE_LANGUAGE_ATTRIBUTE, type HtmlPiece, blockPiece } from './markdown-html';
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
  readonly element: HTMLElement;
  /** What the block's pieces put in `element`: an unchanged piece keeps its DOM nodes. */
  placed: PlacedPiece;
  /** A complete block's code is highlighted; code still streaming in stays plain. */
  complete: boolean;
}

/**
 * An answer from a model, rendered as sanitised markdown. While it streams, it renders at most once
 * per animation frame and only its last blocks again, and of those only the pieces that changed
 * (see `HtmlPiece`), so the rendering, sanitising and DOM work of a frame depends on what arrived,
 * not on the answer's length; when the stream ends, the whole text is rendered once more as a
 * finished document, keeping the nodes of every piece that came out the same.
 *
 * Lexing is the one cost that grows with a long last block: a 250-item list is one block, lexed
 * whole at every frame (about 2 ms for 19 KB), because whether it is loose, and where it ends,
 * depends on all of it. That stays well inside a frame for the lists and tables models write, so
 * frames are not skipped to save it: skipping would make every long answer arrive in jerks.
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
  private readonly errorHandler = inject(ErrorHandler);
  private readonly dom = new MarkdownDom(this.host.ownerDocument, this.sanitizer);

  private markdown = new IncrementalMarkdown();
  private blocks: RenderedBlock[] = [];
  /**
   * The text that could not be rendered as markdown, while the answer shows as plain text instead.
   * Deep enough nesting (`> > > …`) overflows the lexer's stack; what extends that text has it too.
   */
  private unrenderable: string | null = null;
  private cancelFrame: (() => void) | null = null;
  /** Code that completed before highlight.js arrived. */
  private awaitingHighlight: HTMLElement[] = [];
  /**
   * This answer waits for highlight.js. Not the loader's own state: the loader is shared by every
   * answer, and each answer waiting for it highlights its own code when it arrives, once.
   */
  private awaitingHighlighter = false;
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
        this.render(text, (markdown) => markdown.finish(text));
      }
    });
    inject(DestroyRef).onDestroy(() => {
      this.cancelPendingFrame();
      this.copiedResets.forEach(clearTimeout);
    });
  }

  /** The single click listener for every copy button: the buttons are not part of a template. */
  protected copyCode(event: Event): void {
    const target = this.dom.copyTarget(event.target);
    if (!target) {
      return;
    }
    const { button, code } = target;
    const copied = this.clipboard.copy(code.textContent);
    void this.announcer.announce(copied ? 'Code copied' : 'The code could not be copied', 'polite');
    if (copied) {
      this.dom.showCopied(button, true);
      const reset = setTimeout(() => {
        this.dom.showCopied(button, false);
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
      const text = this.text();
      this.render(text, (markdown) => markdown.update(text));
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

  /**
   * Renders the answer as markdown or, when the text cannot be, as the plain text it is: an answer
   * that is on screen however it is written, rather than an error at every frame and every reload
   * (the conversation is kept). The error is still reported, once for each such text.
   */
  private render(text: string, lex: (markdown: IncrementalMarkdown) => MarkdownChange): void {
    if (this.unrenderable !== null && text.startsWith(this.unrenderable)) {
      this.showPlainText(text);
      return;
    }
    if (this.unrenderable !== null) {
      this.unrenderable = null;
      this.host.replaceChildren();
    }
    try {
      this.apply(lex(this.markdown));
    } catch (error) {
      this.unrenderable = text;
      this.markdown = new IncrementalMarkdown();
      this.blocks = [];
      this.showPlainText(text);
      this.errorHandler.handleError(error);
    }
  }

  private showPlainText(text: string): void {
    let paragraph = this.host.firstElementChild;
    if (!paragraph?.classList.contains('markdown-plain')) {
      paragraph = this.host.ownerDocument.createElement('p');
      paragraph.className = 'markdown-plain';
      this.host.replaceChildren(paragraph);
    }
    paragraph.textContent = text;
  }

  private apply({ from, blocks, complete, definitions }: MarkdownChange): void {
    const completedNow: HTMLElement[] = [];
    blocks.forEach((block, offset) => {
      const index = from + offset;
      const piece = blockPiece(block, definitions);
      const rendered = this.blocks[index] ?? this.insert(piece);
      if (rendered.placed.key !== piece.key) {
        rendered.placed = this.dom.update(rendered.placed, piece, rendered.element);
        rendered.complete = false;
      }
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

  private insert(piece: HtmlPiece): RenderedBlock {
    const element = this.host.ownerDocument.createElement('div');
    element.className = 'markdown-block';
    this.host.append(element);
    return { element, placed: this.dom.append(piece, element), complete: false };
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
    if (this.awaitingHighlighter) {
      return;
    }
    this.awaitingHighlighter = true;
    this.pendingTasks.run(async () => {
      try {
        await this.highlighter.load();
      } finally {
        this.awaitingHighlighter = false;
      }
      // Code replaced or reset while highlight.js loaded is no longer part of this answer.
      const waiting = this.awaitingHighlight.filter((code) => this.host.contains(code));
      this.awaitingHighlight = [];
      this.highlight(waiting);
    });
  }
}
