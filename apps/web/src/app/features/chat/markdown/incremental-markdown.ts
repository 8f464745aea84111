import { Lexer, type Links, type MarkedOptions, type Token, type Tokens } from 'marked';

/**
 * GitHub-flavoured, as models write it; single newlines stay soft, as CommonMark says. Frozen because
 * marked's Lexer and Parser write into the options they are given: each one gets a copy.
 */
export const MARKDOWN_OPTIONS: Readonly<MarkedOptions> = Object.freeze({ gfm: true, breaks: false });

/** What changed in the list of top-level blocks since the previous call. */
export interface MarkdownChange {
  /** Index of the first block this change replaces; every block before it is unchanged. */
  readonly from: number;
  /** The blocks from `from` to the end of the text, in order. */
  readonly blocks: readonly Token[];
  /** How many of `blocks` are complete: more text cannot change them. The rest may still grow. */
  readonly complete: number;
  /**
   * The link reference definitions `blocks` were lexed with, as text. A `[label]` renders as a link
   * or as text depending on them, so two blocks render alike when their raw text and this are equal.
   */
  readonly definitions: string;
}

/**
 * Lexes a growing markdown text so that each update costs the size of its last blocks, not of the
 * whole text. A block is lexed once it is complete and kept; only the text after the complete blocks
 * is lexed again.
 */
export class IncrementalMarkdown {
  /** The text of the previous update, or null when the next update must start from scratch. */
  private previous: string | null = null;
  /** How many characters at the start of the text the complete blocks cover. */
  private completeLength = 0;
  private completeCount = 0;
  /** Reference definitions of the complete blocks, so a later `[text][ref]` still resolves. */
  private links: Links = Object.create(null);

  /** The next state of a text that is streaming in; a text that does not extend the last one starts over. */
  update(text: string): MarkdownChange {
    const source = normalizeNewlines(text);
    if (this.previous === null || !source.startsWith(this.previous)) {
      this.forget();
    }
    const from = this.completeCount;
    const open = source.slice(this.completeLength);
    const { blocks, definitions } = this.lex(open);
    const complete = this.countCompleteBlocks(blocks, open);
    for (const block of blocks.slice(0, complete)) {
      this.completeLength += block.raw.length;
      this.remember(block);
    }
    this.completeCount += complete;
    this.previous = source;
    return { from, blocks, complete, definitions };
  }

  /**
   * The whole text lexed at once, every block complete: the end of a stream, or a text that never
   * streamed. Reference links then resolve wherever their definition is, as in any markdown document.
   */
  finish(text: string): MarkdownChange {
    this.forget();
    const { blocks, definitions } = this.lex(normalizeNewlines(text));
    return { from: 0, blocks, complete: blocks.length, definitions };
  }

  private forget(): void {
    this.previous = null;
    this.completeLength = 0;
    this.completeCount = 0;
    this.links = Object.create(null);
  }

  private lex(source: string): { blocks: Token[]; definitions: string } {
    const lexer = new Lexer({ ...MARKDOWN_OPTIONS });
    Object.assign(lexer.tokens.links, this.links);
    // A plain array: the list's `links` belong to this lexer run, not to the caller.
    const blocks = [...lexer.lex(source)];
    return { blocks, definitions: JSON.stringify(lexer.tokens.links) };
  }

  /**
   * How many blocks at the start of `open` no more text can change. A partial last line is no
   * evidence: `**Note:` after a list item lexes as a new block, yet once its line ends it is the
   * item's lazy continuation, and `-` after a paragraph briefly splits the lines above it. So blocks
   * are judged on the text up to its last line break, where every block but the last one that is not
   * blank space is final (the last too when it is closed), and they count only where the whole open
   * text lexes the same way.
   */
  private countCompleteBlocks(blocks: readonly Token[], open: string): number {
    const candidates = lastContentIndex(blocks);
    if (candidates <= 0) {
      return 0;
    }
    const settled = this.lex(open.slice(0, open.lastIndexOf('\n') + 1)).blocks;
    const last = lastContentIndex(settled);
    // The blank space after a closed block is final too where the whole open text agrees: more of
    // it would have lexed as one longer space.
    const settledFinal = last >= 0 && isClosed(settled[last], settled.slice(last + 1)) ? settled.length : last;
    const limit = Math.min(candidates, settledFinal);
    let count = 0;
    while (count < limit && settled[count].type === blocks[count].type && settled[count].raw === blocks[count].raw) {
      count++;
    }
    return count;
  }

  private remember(block: Token): void {
    // The first definition of a label wins, as the lexer itself does.
    if (isDefinition(block) && !(block.tag in this.links)) {
      this.links[block.tag] = { href: block.href, title: block.title };
    }
  }
}

function isDefinition(block: Token): block is Tokens.Def {
  return block.type === 'def';
}

/** Index of the last block that is not blank space, or -1. */
function lastContentIndex(blocks: readonly Token[]): number {
  let index = blocks.length - 1;
  while (index >= 0 && blocks[index].type === 'space') {
    index--;
  }
  return index;
}

/**
 * Blocks that no following line can extend, even as the last one: a heading or a rule is one line,
 * a fenced code block ends at its closing fence, and a paragraph, table, quote or definition at a
 * blank line. (A list goes on after a blank line, and so does indented code.)
 */
function isClosed(block: Token, after: readonly Token[]): boolean {
  switch (block.type) {
    case 'heading':
    case 'hr':
      return true;
    case 'code':
      return (block as Tokens.Code).codeBlockStyle !== 'indented' && hasClosingFence(block.raw);
    case 'paragraph':
    case 'table':
    case 'blockquote':
    case 'def':
      return /\n[ \t]*\n\s*$/.test(block.raw + after.map(({ raw }) => raw).join(''));
    default:
      return false;
  }
}

/** The lexer runs an unclosed fence to the end of the text; a closed one ends on a fence like its first. */
function hasClosingFence(raw: string): boolean {
  const opening = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
  const lines = raw.replace(/\n+$/, '').split('\n');
  return opening !== undefined && lines.length > 1 && new RegExp(`^ {0,3}${opening}[~\`]* *$`).test(lines.at(-1) ?? '');
}

/**
 * The lexer's token offsets are in text whose line endings it has made `\n`; doing it first keeps
 * their lengths valid as offsets into ours.
 */
function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
