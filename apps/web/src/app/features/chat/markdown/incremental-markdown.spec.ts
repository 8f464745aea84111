import fc from 'fast-check';
import { Lexer, type Token } from 'marked';
import { IncrementalMarkdown, MARKDOWN_OPTIONS, type MarkdownChange } from './incremental-markdown';
import LINES from './streaming-lines.json';

/**
 * Documents of 2 to 9 lines as models write them (see streaming-lines.d.ts), with `\n` or `\r\n`
 * line endings, and a final line ending or none.
 */
const documents = fc
  .record({
    lines: fc.array(fc.constantFrom(...LINES), { minLength: 2, maxLength: 9 }),
    newline: fc.constantFrom('\n', '\n', '\r\n'),
    endsWithNewline: fc.boolean(),
  })
  .map(({ lines, newline, endsWithNewline }) => lines.join(newline) + (endsWithNewline ? newline : ''));

/** Sizes of the pieces a text streams in, used in turn. */
const pieceSizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 });

/** Constructs whose block boundaries move as more text arrives. */
const DOCUMENTS = [
  [
    '# Title',
    '',
    'Some *intro* with `code` and a [link](https://example.com).',
    '',
    '- one',
    '- two',
    '',
    '  still two',
    '',
    '- three',
    '',
    '1. first',
    '2. second',
    '',
    '> quote',
    'lazy continuation',
    '',
    '| a | b |',
    '|---|:-:|',
    '| 1 | 2 |',
    '',
    '```ts',
    'const x = 1;',
    '',
    'const y = 2;',
    '```',
    '',
    '    indented code',
    '',
    '    still indented code',
    '',
    'Setext',
    '======',
    '',
    'Paragraph',
    '    not code, a continuation',
    '---',
    '',
    '[ref]: https://example.com "Title"',
    '',
    'Use [ref] and [text][ref].',
    '',
    '<div>',
    'html block',
    '</div>',
    '',
    'Final **bold** line.',
  ].join('\n'),
  'Para\n* a\n* b\npara after the list\n\n~~~\nunclosed fence\n',
  'Windows\r\nline endings\r\n\r\n- a\r\n- b\r\n',
];

function describeBlocks(blocks: readonly Token[]): string[] {
  return blocks.map((block) => `${block.type}:${block.raw}`);
}

function completeBlocks(change: MarkdownChange): readonly Token[] {
  return change.blocks.slice(0, change.complete);
}

/** Applies a change to the list of blocks, as the component does with its DOM. */
function applyChange(blocks: Token[], change: MarkdownChange): void {
  blocks.splice(change.from, blocks.length - change.from, ...change.blocks);
}

describe('IncrementalMarkdown', () => {
  it('yields, after every character, the blocks a whole-text lex of the same text yields', () => {
    for (const document of DOCUMENTS) {
      const markdown = new IncrementalMarkdown();
      const blocks: Token[] = [];
      for (let length = 1; length <= document.length; length++) {
        const text = document.slice(0, length);
        applyChange(blocks, markdown.update(text));
        const whole = Lexer.lex(text.replace(/\r\n?/g, '\n'), { ...MARKDOWN_OPTIONS });
        expect(describeBlocks(blocks), JSON.stringify(text)).toEqual(describeBlocks(whole));
      }
    }
  });

  it('never changes a block once it has called it complete', () => {
    for (const document of DOCUMENTS) {
      const markdown = new IncrementalMarkdown();
      const completed: string[] = [];
      for (let length = 1; length <= document.length; length++) {
        const change = markdown.update(document.slice(0, length));
        expect(change.from).toBe(completed.length);
        completed.push(...describeBlocks(change.blocks.slice(0, change.complete)));
      }
      const final = describeBlocks(markdown.finish(document).blocks);
      expect(final.slice(0, completed.length)).toEqual(completed);
    }
  });

  it('only calls complete the blocks a whole-text lex of the final text has, however the text streams in', () => {
    fc.assert(
      fc.property(documents, pieceSizes, (document, sizes) => {
        const markdown = new IncrementalMarkdown();
        const completed: string[] = [];
        for (let end = 0, piece = 0; end < document.length; piece++) {
          end = Math.min(document.length, end + sizes[piece % sizes.length]);
          const change = markdown.update(document.slice(0, end));
          expect(change.from).toBe(completed.length);
          completed.push(...describeBlocks(completeBlocks(change)));
        }
        const whole = describeBlocks(Lexer.lex(document.replace(/\r\n?/g, '\n'), { ...MARKDOWN_OPTIONS }));
        expect(whole.slice(0, completed.length)).toEqual(completed);
        expect(describeBlocks(markdown.finish(document).blocks)).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a list open while a line after it could still be its lazy continuation', () => {
    const markdown = new IncrementalMarkdown();
    // Alone on its line, `*` is an empty item of another list.
    expect(describeBlocks(markdown.update('1. First step\n*').blocks)).toEqual(['list:1. First step\n', 'list:*']);
    expect(markdown.update('1. First step\n*').complete).toBe(0);
    expect(markdown.update('1. First step\n**Imp').complete).toBe(0);
    expect(markdown.update('1. First step\n**Important:** do X').complete).toBe(0);
    const change = markdown.update('1. First step\n**Important:** do X\n');
    expect(describeBlocks(change.blocks)).toEqual(['list:1. First step\n**Important:** do X\n']);
  });

  it('calls a paragraph complete at the blank line after it, and a code block at its closing fence', () => {
    const markdown = new IncrementalMarkdown();
    expect(describeBlocks(completeBlocks(markdown.update('First.\n\nSec')))).toEqual(['paragraph:First.', 'space:\n\n']);
    expect(describeBlocks(completeBlocks(markdown.update('First.\n\nSecond.\n```ts\nconst a = 1;\n```\nAfter')))).toEqual([
      'paragraph:Second.\n',
      'code:```ts\nconst a = 1;\n```\n',
    ]);
  });

  it('keeps a list open across a blank line, since the next item may still come', () => {
    const markdown = new IncrementalMarkdown();
    expect(markdown.update('- a\n\n').complete).toBe(0);
    const change = markdown.update('- a\n\n- b');
    expect(change.from).toBe(0);
    expect(describeBlocks(change.blocks)).toEqual(['list:- a\n\n- b']);
  });

  it('lexes only the text from the start of the last block, so streaming stays linear in the length', () => {
    const lex = vi.spyOn(Lexer.prototype, 'lex');
    const paragraphs = Array.from({ length: 400 }, (_, index) => `Paragraph ${index} says something *useful* here.`);
    const document = paragraphs.join('\n\n');
    const markdown = new IncrementalMarkdown();
    let relexedWholeText = 0;
    for (let length = 7; length < document.length + 7; length += 7) {
      const text = document.slice(0, length);
      markdown.update(text);
      relexedWholeText += text.length;
    }
    const lexed = lex.mock.calls.reduce((total, [source]) => total + source.length, 0);
    // About 20 characters of the last paragraph per update, against the whole text each time.
    expect(lexed).toBeLessThan(document.length * 10);
    expect(lexed).toBeLessThan(relexedWholeText / 100);
    lex.mockRestore();
  });

  it('starts over when the text is reset or rewritten rather than extended', () => {
    const markdown = new IncrementalMarkdown();
    markdown.update('First paragraph.\n\nSecond');
    expect(markdown.update('First paragraph.\n\nSecond paragraph.').from).toBe(2);

    const reset = markdown.update('');
    expect(reset).toEqual({ from: 0, blocks: [], complete: 0, definitions: '{}' });

    markdown.update('One.\n\nTwo');
    const rewritten = markdown.update('Another answer.\n\nTwo');
    expect(rewritten.from).toBe(0);
    expect(describeBlocks(rewritten.blocks)).toEqual(['paragraph:Another answer.', 'space:\n\n', 'paragraph:Two']);
  });

  it('resolves a reference link against a definition in an earlier, complete block', () => {
    const markdown = new IncrementalMarkdown();
    markdown.update('[docs]: https://example.com/docs\n\nRead the ');
    const change = markdown.update('[docs]: https://example.com/docs\n\nRead the [docs].');
    const paragraph = change.blocks.at(-1);
    expect(paragraph?.type).toBe('paragraph');
    expect(JSON.stringify(paragraph)).toContain('"href":"https://example.com/docs"');
  });

  it('finishes with every block complete, as if the whole text had arrived at once, then starts over', () => {
    const markdown = new IncrementalMarkdown();
    markdown.update('# Title\n\nBody');
    const finished = markdown.finish('# Title\n\nBody text');
    expect(finished.from).toBe(0);
    expect(finished.complete).toBe(finished.blocks.length);
    expect(describeBlocks(finished.blocks)).toEqual(
      describeBlocks(Lexer.lex('# Title\n\nBody text', { ...MARKDOWN_OPTIONS })),
    );
    expect(markdown.update('# Title\n\nBody text, and more').from).toBe(0);
  });
});
