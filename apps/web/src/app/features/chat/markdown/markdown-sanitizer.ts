import { DOCUMENT, Injectable, inject } from '@angular/core';
import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';
import { CODE_LANGUAGE_ATTRIBUTE, COPY_CODE_ATTRIBUTE, SAFE_URL } from './markdown-html';

/** Attributes the renderer writes whose values are plain words, not URLs. */
const WORD_ATTRIBUTES = [
  'align', 'aria-label', 'checked', 'class', CODE_LANGUAGE_ATTRIBUTE, 'data-testid', COPY_CODE_ATTRIBUTE, 'disabled',
  'start', 'title', 'type',
];

/** What rendered markdown may contain: the renderer's own output, and nothing that runs or loads. */
const MARKDOWN_POLICY = {
  ALLOWED_TAGS: [
    'a', 'blockquote', 'br', 'button', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr',
    'input', 'li', 'ol', 'p', 'pre', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
  ],
  ALLOWED_ATTR: ['href', ...WORD_ATTRIBUTES],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // DOMPurify checks every attribute value not named URI-safe against ALLOWED_URI_REGEXP; with
  // SAFE_URL as that pattern, only `href` is left to it.
  ALLOWED_URI_REGEXP: SAFE_URL,
  ADD_URI_SAFE_ATTR: WORD_ATTRIBUTES,
  RETURN_DOM_FRAGMENT: true,
} satisfies Config;

/** highlight.js output is nothing but classed spans around the (escaped) code. */
const HIGHLIGHT_POLICY = {
  ALLOWED_TAGS: ['span'],
  ALLOWED_ATTR: ['class'],
  RETURN_DOM_FRAGMENT: true,
} satisfies Config;

/** Turns HTML made from model output into DOM nodes that are safe to insert into the page. */
@Injectable({ providedIn: 'root' })
export class MarkdownSanitizer {
  private readonly purifier: Purifier = createPurifier(inject(DOCUMENT));

  markdown(html: string): DocumentFragment {
    return this.purifier.sanitize(html, MARKDOWN_POLICY);
  }

  highlightedCode(html: string): DocumentFragment {
    return this.purifier.sanitize(html, HIGHLIGHT_POLICY);
  }
}

/**
 * An instance of its own, so the link hook below never touches another DOMPurify user's output.
 * Links open in a new tab without giving the opened page a handle on this one (`noopener`) or
 * telling it where the reader came from (`noreferrer`).
 */
function createPurifier(document: Document): Purifier {
  const window = document.defaultView;
  if (!window) {
    throw new Error('Rendering markdown needs a browser window.');
  }
  const purifier = DOMPurify(window);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node instanceof window.HTMLAnchorElement) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  return purifier;
}
