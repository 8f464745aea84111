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
}

/**
 * Lexes a growing markdown text so that each update costs the size of its last block, not of the
 * whole text. Every top-level block but the last is final (more text starts a new block after it),
 * so it is lexed once and kept; only the text from the start of the last block on is lexed again.
 */
export class IncrementalMarkdown {
  /** The text of the previous update, or null when the next update must start from scratch. */
  private previous: string | null = null;
  /** How many characters at the start of the text the complete blocks cover. */
  private completeLength = 0;
  private completeCount = 0;
  /** Reference definitions of the complete blocks, so a later `[text][ref]` still resolves. */
  private links: Links = Object.create(null);
  private lexed = 0;

  /** Characters handed to the lexer so far: what the incremental path keeps from growing as n². */
  get lexedCharacters(): number {
    return this.lexed;
  }

  /** The next state of a text that is streaming in; a text that does not extend the last one starts over. */
  update(text: string): MarkdownChange {
    const source = normalizeNewlines(text);
    if (this.previous === null || !source.startsWith(this.previous)) {
      this.forget();
    }
    const from = this.completeCount;
    const blocks = this.lex(source.slice(this.completeLength));
    const complete = countCompleteBlocks(blocks);
    for (const block of blocks.slice(0, complete)) {
      this.completeLength += block.raw.length;
      this.remember(block);
    }
    this.completeCount += complete;
    this.previous = source;
    return { from, blocks, complete };
  }

  /**
   * The whole text lexed at once, every block complete: the end of a stream, or a text that never
   * streamed. Reference links then resolve wherever their definition is, as in any markdown document.
   */
  finish(text: string): MarkdownChange {
    this.forget();
    const blocks = this.lex(normalizeNewlines(text));
    return { from: 0, blocks, complete: blocks.length };
  }

  private forget(): void {
    this.previous = null;
    this.completeLength = 0;
    this.completeCount = 0;
    this.links = Object.create(null);
  }

  private lex(source: string): Token[] {
    this.lexed += source.length;
    const lexer = new Lexer({ ...MARKDOWN_OPTIONS });
    Object.assign(lexer.tokens.links, this.links);
    // A plain array: the list's `links` belong to this lexer run, not to the caller.
    return [...lexer.lex(source)];
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

/**
 * The lexer's token offsets are in text whose line endings it has made `\n`; doing it first keeps
 * their lengths valid as offsets into ours.
 */
function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Every block before the last one that is not blank space. A list or an indented code block
 * followed only by blank lines can still continue (`- a\n\n- b` is one list), so trailing space
 * does not make the block before it final.
 */
function countCompleteBlocks(blocks: readonly Token[]): number {
  for (let index = blocks.length - 1; index >= 0; index--) {
    if (blocks[index].type !== 'space') {
      return index;
    }
  }
  return 0;
}
