import { Injectable } from '@angular/core';
import type { HLJSApi } from 'highlight.js';

/**
 * Syntax highlighting, loaded on first use: highlight.js and its grammars are most of the weight of
 * rendering answers, and an answer without code never needs them.
 */
@Injectable({ providedIn: 'root' })
export class CodeHighlighter {
  private highlighter: HLJSApi | null = null;
  private loading: Promise<void> | null = null;

  get ready(): boolean {
    return this.highlighter !== null;
  }

  /** Resolves once highlighting is available; after a failed load, the next call tries again. */
  load(): Promise<void> {
    this.loading ??= import('./syntax-highlighting').then(
      ({ createHighlighter }) => {
        this.highlighter = createHighlighter();
      },
      (error: unknown) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  /**
   * The code as highlight.js HTML (still to be sanitised), or null before highlighting is loaded or
   * for a language it does not know. Unknown languages are never guessed: auto-detection is slow.
   */
  highlight(code: string, language: string): string | null {
    if (!this.highlighter?.getLanguage(language)) {
      return null;
    }
    return this.highlighter.highlight(code, { language, ignoreIllegals: true }).value;
  }
}
