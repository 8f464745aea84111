import { Parser, Renderer, type Token, type Tokens } from 'marked';
import { MARKDOWN_OPTIONS } from './incremental-markdown';

/**
 * The only link targets an answer may have. `javascript:`, `data:` and `vbscript:` run code or
 * smuggle documents in; relative links would point into this app, which a model has no business doing.
 */
export const SAFE_URL = /^(?:https?|mailto):/i;

/** The element around a code block: the page adds its header (language, copy button) before its `pre`. */
export const CODE_BLOCK_CLASS = 'markdown-code';
/** On a block's `code` element: the language to highlight it in, as the answer named it. */
export const CODE_LANGUAGE_ATTRIBUTE = 'data-language';
/** Around a table, so that a wide one scrolls sideways and the table keeps its table semantics. */
export const TABLE_CLASS = 'markdown-table';
/** Raw HTML from the model, shown as the text it is. */
export const RAW_HTML_CLASS = 'markdown-raw-html';
/** Every class the renderer writes; the sanitiser lets no other class through. */
export const RENDERED_CLASSES: readonly string[] = [CODE_BLOCK_CLASS, TABLE_CLASS, RAW_HTML_CLASS];

/**
 * Markdown to HTML for model output. Raw HTML in the answer is shown as the text it is, links only go
 * to safe URLs, and images become links, so an answer cannot load anything by being displayed.
 * The result still goes through DOMPurify before it reaches the page.
 */
class AnswerRenderer extends Renderer {
  /**
   * How many links the text being rendered is inside. The HTML parser does not nest an `a` in an `a`:
   * it would close the outer link, leaving it empty, and the inner one would stand on its own.
   */
  private linkDepth = 0;

  override html({ text, block }: Tokens.HTML | Tokens.Tag): string {
    const escaped = escapeHtml(block ? text.replace(/\n+$/, '') : text);
    return block ? `<p class="${RAW_HTML_CLASS}">${escaped}</p>\n` : escaped;
  }

  override text(token: Tokens.Text | Tokens.Escape): string {
    // The lexer leaves text after an inline `<script>` or `<pre>` unescaped, for the browser to
    // treat as raw HTML; here that text is as literal as any other.
    return 'escaped' in token && token.escaped ? super.text({ ...token, escaped: false }) : super.text(token);
  }

  override link(token: Tokens.Link): string {
    if (this.linkDepth > 0 || !SAFE_URL.test(token.href)) {
      return this.parser.parseInline(token.tokens);
    }
    this.linkDepth++;
    try {
      return super.link(token);
    } finally {
      this.linkDepth--;
    }
  }

  /** A badge (`[![alt](image)](page)`) is a link to the page named by the image's alt text. */
  override image({ raw, href, title, text, tokens }: Tokens.Image): string {
    if (this.linkDepth > 0) {
      return tokens.length > 0 ? this.parser.parseInline(tokens) : escapeHtml(href);
    }
    const label: Token[] = tokens.length > 0 ? tokens : [{ type: 'text', raw: href, text: href }];
    return this.link({ type: 'link', raw, href, title, text, tokens: label });
  }

  override code({ text, lang }: Tokens.Code): string {
    const language = codeLanguage(lang);
    const languageAttribute = language ? ` ${CODE_LANGUAGE_ATTRIBUTE}="${escapeHtml(language)}"` : '';
    return `<div class="${CODE_BLOCK_CLASS}"><pre><code${languageAttribute}>${escapeHtml(text)}</code></pre></div>\n`;
  }

  /** Always with a `tbody`, even without rows yet: the rows of a streaming table are added to it one by one. */
  override table(token: Tokens.Table): string {
    const header = this.tablerow({ text: token.header.map((cell) => this.tablecell(cell)).join('') });
    return (
      `<div class="${TABLE_CLASS}"><table>\n<thead>\n${header}</thead>\n` +
      `<tbody>${token.rows.map((row) => this.row(row)).join('')}</tbody></table>\n</div>\n`
    );
  }

  row(cells: readonly Tokens.TableCell[]): string {
    return this.tablerow({ text: cells.map((cell) => this.tablecell(cell)).join('') });
  }
}

const renderer = new AnswerRenderer();
const parser = new Parser({ ...MARKDOWN_OPTIONS, renderer });

/**
 * A piece of a block's HTML. A block is cut where consecutive frames of a streaming answer can keep
 * what did not change: the items of a list, the rows of a table, the blocks in a quote, the lines
 * of code. Equal keys render equal HTML, and a piece is only rendered when its key is new, so a
 * growing list costs its new items, not all of them, in rendering, sanitising and DOM work.
 */
export type HtmlPiece = HtmlLeaf | TextLeaf | HtmlContainer;

export interface HtmlLeaf {
  readonly kind: 'html';
  readonly key: string;
  /** The piece's HTML, not yet sanitised. */
  html(): string;
}

/** Text that goes on the page as a text node, never parsed as HTML. */
export interface TextLeaf {
  readonly kind: 'text';
  readonly key: string;
  readonly text: string;
}

export interface HtmlContainer {
  readonly kind: 'container';
  readonly key: string;
  /** Equal for two containers whose `shell()` is the same. */
  readonly shellKey: string;
  /** The container's HTML without its children, not yet sanitised. */
  shell(): string;
  /** The element in the shell that the children go in, as a tag name. */
  readonly slot: string;
  readonly children: readonly HtmlPiece[];
}

/**
 * A top-level block as pieces. `definitions` are the link reference definitions it was lexed with
 * (see `MarkdownChange`): the same text renders another way under other definitions.
 */
export function blockPiece(block: Token, definitions: string): HtmlPiece {
  return piece(block, tokenKey(block.type, block.raw, definitions), definitions, 0);
}

/**
 * How deep containers nest before the rest of a block is one piece. Long lists and tables are
 * shallow; each level of a deep one (`> > > …`) would cost a sanitiser call of its own, for no
 * reuse worth having.
 */
const MAX_CONTAINER_DEPTH = 6;

function piece(token: Token, key: string, definitions: string, depth: number): HtmlPiece {
  if (depth >= MAX_CONTAINER_DEPTH) {
    return { kind: 'html', key, html: () => parser.parse([token]) };
  }
  switch (token.type) {
    case 'list': {
      const list = token as Tokens.List;
      return {
        kind: 'container',
        key,
        shellKey: `${list.ordered} ${list.start}`,
        shell: () => renderer.list({ ...list, items: [] }),
        slot: list.ordered ? 'ol' : 'ul',
        children: list.items.map((item) => listItemPiece(item, definitions, depth + 1)),
      };
    }
    case 'blockquote': {
      const quote = token as Tokens.Blockquote;
      return {
        kind: 'container',
        key,
        shellKey: '',
        shell: () => renderer.blockquote({ ...quote, tokens: [] }),
        slot: 'blockquote',
        children: childPieces(quote.tokens, definitions, depth + 1),
      };
    }
    case 'table': {
      const table = token as Tokens.Table;
      return {
        kind: 'container',
        key,
        shellKey: cellsKey(table.header, table.align, definitions),
        shell: () => renderer.table({ ...table, rows: [] }),
        slot: 'tbody',
        children: table.rows.map((row) => ({
          kind: 'html',
          key: cellsKey(row, table.align, definitions),
          html: () => renderer.row(row),
        })),
      };
    }
    case 'code': {
      const code = token as Tokens.Code;
      return {
        kind: 'container',
        key,
        shellKey: codeLanguage(code.lang),
        shell: () => renderer.code({ ...code, text: '' }),
        slot: 'code',
        // One text node a line, each line but the last with its line break: code streams in by lines.
        children: code.text.split(/(?<=\n)/).map((line) => ({ kind: 'text', key: line, text: line })),
      };
    }
    default:
      return { kind: 'html', key, html: () => parser.parse([token]) };
  }
}

/**
 * A list item, its content as pieces of their own. Whether the list is loose (its items' text in
 * paragraphs) depends on all of its items, not on this one's text alone.
 */
function listItemPiece(item: Tokens.ListItem, definitions: string, depth: number): HtmlPiece {
  const key = tokenKey(`${item.type} ${item.loose}`, item.raw, definitions);
  if (depth >= MAX_CONTAINER_DEPTH) {
    return { kind: 'html', key, html: () => renderer.listitem(item) };
  }
  return {
    kind: 'container',
    key,
    shellKey: '',
    shell: () => renderer.listitem({ ...item, tokens: [] }),
    slot: 'li',
    children: childPieces(item.tokens, definitions, depth + 1),
  };
}

function childPieces(tokens: readonly Token[], definitions: string, depth: number): HtmlPiece[] {
  return tokens.map((token) => piece(token, tokenKey(token.type, token.raw, definitions), definitions, depth));
}

/** Text without brackets has no reference link in it, so no definition changes how it renders. */
function tokenKey(type: string, raw: string, definitions: string): string {
  return raw.includes('[') ? `${type}\0${raw}\0${definitions}` : `${type}\0${raw}`;
}

function cellsKey(cells: readonly Tokens.TableCell[], align: Tokens.Table['align'], definitions: string): string {
  return tokenKey(`cells ${align.join()}`, cells.map(({ text }) => text).join('\0'), definitions);
}

/** The first word of a fence's info string, as most renderers take it; '' when it names none. */
function codeLanguage(lang: string | undefined): string {
  return lang?.match(/^\S+/)?.[0] ?? '';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
