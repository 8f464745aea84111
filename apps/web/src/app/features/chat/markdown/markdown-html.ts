import { Parser, Renderer, type Token, type Tokens } from 'marked';
import { MARKDOWN_OPTIONS } from './incremental-markdown';

/**
 * The only link targets an answer may have. `javascript:`, `data:` and `vbscript:` run code or
 * smuggle documents in; relative links would point into this app, which a model has no business doing.
 */
export const SAFE_URL = /^(?:https?|mailto):/i;

/** Marks the copy button of a code block, for the answer's single delegated click listener. */
export const COPY_CODE_ATTRIBUTE = 'data-copy-code';
/** The element around a code block: its header (language, copy button) and its `pre`. */
export const CODE_BLOCK_CLASS = 'markdown-code';
/** On a block's `code` element: the language to highlight it in, as the answer named it. */
export const CODE_LANGUAGE_ATTRIBUTE = 'data-language';

/**
 * Markdown to HTML for model output. Raw HTML in the answer is shown as the text it is, links only go
 * to safe URLs, and images become links, so an answer cannot load anything by being displayed.
 * The result still goes through DOMPurify before it reaches the page.
 */
class AnswerRenderer extends Renderer {
  override html({ text, block }: Tokens.HTML | Tokens.Tag): string {
    const escaped = escapeHtml(block ? text.replace(/\n+$/, '') : text);
    return block ? `<p class="markdown-raw-html">${escaped}</p>\n` : escaped;
  }

  override text(token: Tokens.Text | Tokens.Escape): string {
    // The lexer leaves text after an inline `<script>` or `<pre>` unescaped, for the browser to
    // treat as raw HTML; here that text is as literal as any other.
    return 'escaped' in token && token.escaped ? super.text({ ...token, escaped: false }) : super.text(token);
  }

  override link(token: Tokens.Link): string {
    return SAFE_URL.test(token.href) ? super.link(token) : this.parser.parseInline(token.tokens);
  }

  override image({ raw, href, title, text, tokens }: Tokens.Image): string {
    const label: Token[] = tokens.length > 0 ? tokens : [{ type: 'text', raw: href, text: href }];
    return this.link({ type: 'link', raw, href, title, text, tokens: label });
  }

  override code({ text, lang }: Tokens.Code): string {
    const language = lang?.match(/^\S+/)?.[0] ?? '';
    const label = language ? `<span class="markdown-code-language">${escapeHtml(language)}</span>` : '';
    const languageAttribute = language ? ` ${CODE_LANGUAGE_ATTRIBUTE}="${escapeHtml(language)}"` : '';
    return (
      `<div class="${CODE_BLOCK_CLASS}"><div class="markdown-code-header">` +
      label +
      `<button type="button" class="markdown-copy" ${COPY_CODE_ATTRIBUTE} data-testid="copy-code" aria-label="Copy code">Copy</button>` +
      `</div><pre><code${languageAttribute}>${escapeHtml(text)}</code></pre></div>\n`
    );
  }
}

const parser = new Parser({ ...MARKDOWN_OPTIONS, renderer: new AnswerRenderer() });

/** The HTML of one top-level block, not yet sanitised. */
export function blockHtml(block: Token): string {
  return parser.parse([block]);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
