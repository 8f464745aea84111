import { DOCUMENT, Injectable, inject } from '@angular/core';
import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';
import { CODE_LANGUAGE_ATTRIBUTE, RENDERED_CLASSES, SAFE_URL } from './markdown-html';

/**
 * The attributes the renderer writes, element by element, besides `class` (which the hooks below
 * narrow to the renderer's own classes). Nothing names a control, a test id or an ARIA property:
 * what the page adds to rendered markdown (a code block's copy button, a checkbox's name) it builds
 * itself, after sanitising.
 */
const MARKDOWN_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  a: ['href', 'title'],
  code: [CODE_LANGUAGE_ATTRIBUTE],
  input: ['checked', 'disabled', 'type'],
  ol: ['start'],
  td: ['align'],
  th: ['align'],
};

/** Attributes whose values are plain words, not URLs: DOMPurify would check them against SAFE_URL otherwise. */
const WORD_ATTRIBUTES = [
  'class',
  ...new Set(Object.values(MARKDOWN_ATTRIBUTES).flatMap((names) => names.filter((name) => name !== 'href'))),
];

/** What rendered markdown may contain: the renderer's own output, and nothing that runs or loads. */
const MARKDOWN_POLICY = {
  ALLOWED_TAGS: [
    'a', 'blockquote', 'br', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'input', 'li',
    'ol', 'p', 'pre', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
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

/**
 * The classes highlight.js writes: `hljs-keyword`, a sub-scope's `class_` or `inherited__` after
 * it, and `language-css` around code in another language (CSS in HTML).
 */
const HIGHLIGHT_CLASS = /^(?:hljs-[a-z][\w-]*|[a-z][a-z0-9]*_+|language-[\w-]+)$/;

/** Turns HTML made from model output into DOM nodes that are safe to insert into the page. */
@Injectable({ providedIn: 'root' })
export class MarkdownSanitizer {
  private readonly purifiers = createPurifiers(inject(DOCUMENT));

  // Each purifier has its policy set once (`setConfig`), rather than parsed again at every call of
  // every frame; DOMPurify's types only see a per-call policy's RETURN_DOM_FRAGMENT.
  markdown(html: string): DocumentFragment {
    return this.purifiers.markdown.sanitize(html) as unknown as DocumentFragment;
  }

  highlightedCode(html: string): DocumentFragment {
    return this.purifiers.highlight.sanitize(html) as unknown as DocumentFragment;
  }
}

/**
 * Instances of their own, one a policy, so that these hooks never touch another DOMPurify user's
 * output, nor one policy's hooks the other's.
 */
function createPurifiers(document: Document): { markdown: Purifier; highlight: Purifier } {
  const window = document.defaultView;
  if (!window) {
    throw new Error('Rendering markdown needs a browser window.');
  }
  const markdown = DOMPurify(window);
  markdown.setConfig(MARKDOWN_POLICY);
  markdown.addHook('uponSanitizeElement', (node, { tagName }) => {
    // A disabled checkbox is the one control markdown makes (a task list item); a text field or an
    // image button in an answer could only be there to collect or submit something.
    if (tagName === 'input' && node instanceof window.Element && node.getAttribute('type')?.toLowerCase() !== 'checkbox') {
      node.remove();
    }
  });
  markdown.addHook('uponSanitizeAttribute', (node, event) => {
    if (event.attrName === 'class') {
      keepClasses(event, (name) => RENDERED_CLASSES.includes(name));
    } else if (!MARKDOWN_ATTRIBUTES[node.nodeName.toLowerCase()]?.includes(event.attrName)) {
      event.keepAttr = false;
    }
  });
  markdown.addHook('afterSanitizeAttributes', (node) => {
    // Links open in a new tab without giving the opened page a handle on this one (`noopener`) or
    // telling it where the reader came from (`noreferrer`).
    if (node instanceof window.HTMLAnchorElement) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    } else if (node instanceof window.HTMLInputElement) {
      node.setAttribute('disabled', '');
    }
  });
  const highlight = DOMPurify(window);
  highlight.setConfig(HIGHLIGHT_POLICY);
  highlight.addHook('uponSanitizeAttribute', (_node, event) => {
    if (event.attrName === 'class') {
      keepClasses(event, (name) => HIGHLIGHT_CLASS.test(name));
    }
  });
  return { markdown, highlight };
}

/** Narrows a `class` attribute to the allowed names, and drops it when none is left. */
function keepClasses(event: { attrValue: string; keepAttr: boolean }, allowed: (name: string) => boolean): void {
  const names = event.attrValue.split(/\s+/).filter((name) => name !== '' && allowed(name));
  event.attrValue = names.join(' ');
  event.keepAttr = names.length > 0;
}
