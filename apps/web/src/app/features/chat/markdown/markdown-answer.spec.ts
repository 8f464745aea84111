import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Clipboard } from '@angular/cdk/clipboard';
import { ErrorHandler } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import axe from 'axe-core';
import DOMPurify from 'dompurify';
import fc from 'fast-check';
import { Lexer, Renderer } from 'marked';
import { CodeHighlighter } from './code-highlighter';
import { MarkdownAnswer } from './markdown-answer';
import { SAFE_URL } from './markdown-html';
import { MarkdownSanitizer } from './markdown-sanitizer';
import { NEXT_FRAME, type NextFrame } from './next-frame';
import LINES from './streaming-lines.json';
import corpus from './xss-corpus.json';

declare global {
  interface Window {
    /** What every payload in the XSS corpus sets, should it ever run. */
    __pwned?: unknown;
  }
}

/** Animation frames that happen when the test says so. */
class ManualFrames {
  private readonly callbacks = new Map<number, () => void>();
  private lastId = 0;

  readonly schedule: NextFrame = (callback) => {
    const id = ++this.lastId;
    this.callbacks.set(id, callback);
    return () => this.callbacks.delete(id);
  };

  get pending(): number {
    return this.callbacks.size;
  }

  flush(): void {
    const due = Array.from(this.callbacks.values());
    this.callbacks.clear();
    due.forEach((callback) => callback());
  }
}

/** Elements that run code, load something, or submit somewhere: none may come out of an answer. */
const FORBIDDEN_ELEMENTS = [
  'script', 'iframe', 'object', 'embed', 'svg', 'math', 'style', 'form', 'img', 'meta', 'base', 'link',
  'noscript', 'template', 'video', 'audio', 'source', 'details', 'textarea', 'select',
  'input:not([type="checkbox"][disabled])',
].join(', ');

const URL_ATTRIBUTES = ['href', 'src', 'action', 'data', 'poster', 'srcdoc'];

/** Attributes rendered markdown never has: they name, style, ping or load something, or submit somewhere. */
const FORBIDDEN_ATTRIBUTES = ['id', 'name', 'style', 'ping', 'srcset', 'formaction', 'xlink:href'];

/** Every class an answer may have: the renderer's, the page's around them, and highlight.js's. */
const ALLOWED_CLASS =
  /^(?:markdown-(?:block|code|code-header|code-language|copy|table|raw-html|plain)|hljs-[a-z][\w-]*|[a-z][a-z0-9]*_+|language-[\w-]+)$/;

function expectSafe(root: Element, context: string): void {
  expect(Array.from(root.querySelectorAll(FORBIDDEN_ELEMENTS), (element) => element.outerHTML), context).toEqual([]);
  for (const element of Array.from(root.querySelectorAll('*'))) {
    for (const { name, value } of Array.from(element.attributes)) {
      const where = `${context}: ${name}="${value}" on <${element.localName}>`;
      expect(name.startsWith('on') || FORBIDDEN_ATTRIBUTES.includes(name), where).toBe(false);
      if (URL_ATTRIBUTES.includes(name)) {
        expect(SAFE_URL.test(value), where).toBe(true);
      }
    }
    for (const name of Array.from(element.classList)) {
      expect(ALLOWED_CLASS.test(name), `${context}: class ${name} on <${element.localName}>`).toBe(true);
    }
  }
  for (const link of Array.from(root.querySelectorAll('a'))) {
    expect(link.getAttribute('rel'), context).toBe('noopener noreferrer');
    expect(link.getAttribute('target'), context).toBe('_blank');
  }
  expect(window.__pwned, context).toBeUndefined();
}

/**
 * WCAG 2.x A and AA faults axe finds, as `rule: element, …`. Two rules need a real browser, which the
 * e2e suite runs them in: colour contrast, and label-in-name (it measures icon fonts on a canvas).
 */
async function accessibilityViolations(root: HTMLElement): Promise<string[]> {
  const results = await axe.run(root, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    rules: { 'color-contrast': { enabled: false }, 'label-content-name-mismatch': { enabled: false } },
  });
  return results.violations.map(({ id, nodes }) => `${id}: ${nodes.map(({ html }) => html).join(', ')}`);
}

const RICH_ANSWER = [
  '## Plan',
  '',
  'Here is **what** to do, see [the docs](https://example.com/docs):',
  '',
  '1. Install it',
  '2. Run it',
  '',
  '| Step | Time |',
  '|------|-----:|',
  '| one  | 1 s  |',
  '| two  | 2 s  |',
  '',
  '```ts',
  'const answer: number = 42;',
  'if (answer < 50) { console.log("<ok>"); }',
  '```',
  '',
  '> Quoted advice.',
  '',
  'Done.',
].join('\n');

/** Documents of 2 to 9 lines as models write them (see streaming-lines.d.ts), with `\n` or `\r\n` line endings. */
const documents = fc
  .record({
    lines: fc.array(fc.constantFrom(...LINES), { minLength: 2, maxLength: 9 }),
    newline: fc.constantFrom('\n', '\n', '\r\n'),
  })
  .map(({ lines, newline }) => lines.join(newline));

/** Sizes of the pieces a text streams in, used in turn. */
const pieceSizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 });

/** The markup without highlight.js's spans: whether a block is highlighted yet depends on when it completed. */
function withoutHighlighting(root: HTMLElement): string {
  return root.innerHTML.replace(/<\/?span[^>]*>/g, '');
}

/** A list and a table of 250 items (19 and 12 KB): each one top-level block that grows for the whole answer. */
const LONG_LIST = Array.from(
  { length: 250 },
  (_, n) => `- Item ${n} has **some** words and [a link](https://example.com/${n}).`,
).join('\n');
const LONG_TABLE = [
  '| Item | Words | Link |',
  '|------|:-----:|------|',
  ...Array.from({ length: 250 }, (_, n) => `| Item ${n} | **some** words | [a link](https://example.com/${n}) |`),
].join('\n');

describe('MarkdownAnswer', () => {
  let frames: ManualFrames;

  beforeEach(() => {
    frames = new ManualFrames();
    TestBed.configureTestingModule({ providers: [{ provide: NEXT_FRAME, useValue: frames.schedule }] });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    delete window.__pwned;
  });

  function render(text: string, streaming = false): ComponentFixture<MarkdownAnswer> {
    const fixture = TestBed.createComponent(MarkdownAnswer);
    show(fixture, text, streaming);
    return fixture;
  }

  /** Sets the inputs, runs change detection and lets the next animation frame happen. */
  function show(fixture: ComponentFixture<MarkdownAnswer>, text: string, streaming: boolean): void {
    fixture.componentRef.setInput('text', text);
    fixture.componentRef.setInput('streaming', streaming);
    fixture.detectChanges();
    frames.flush();
  }

  /** Feeds the text in pieces, one frame per piece, checking the page after every frame. */
  function stream(fixture: ComponentFixture<MarkdownAnswer>, text: string, pieceLength: number, check?: () => void): void {
    for (let end = pieceLength; end < text.length + pieceLength; end += pieceLength) {
      show(fixture, text.slice(0, end), true);
      check?.();
    }
  }

  function host(fixture: ComponentFixture<MarkdownAnswer>): HTMLElement {
    return fixture.nativeElement as HTMLElement;
  }

  describe('with model output that tries to run code', () => {
    it('has at least 40 payloads, each with a unique name', () => {
      expect(corpus.length).toBeGreaterThanOrEqual(40);
      expect(new Set(corpus.map(({ name }) => name)).size).toBe(corpus.length);
    });

    it('renders every payload, all at once, as inert markup that links only to http, https or mailto', async () => {
      for (const { name, markdown } of corpus) {
        const fixture = render(markdown);
        // Highlighted code is sanitised too: check again once highlight.js has run.
        await fixture.whenStable();
        expectSafe(host(fixture), name);
      }
    });

    it('renders every payload safely at every frame while it streams in small pieces, and when it ends', async () => {
      for (const { name, markdown } of corpus) {
        const fixture = TestBed.createComponent(MarkdownAnswer);
        stream(fixture, markdown, 3, () => expectSafe(host(fixture), `${name} (streaming)`));
        show(fixture, markdown, false);
        await fixture.whenStable();
        expectSafe(host(fixture), `${name} (finished)`);
      }
    });
  });

  it('reads as the answer: a plain sentence is a paragraph with that text', () => {
    const fixture = render('The capital of France is Paris.');
    const paragraph = host(fixture).querySelector('p');
    expect(paragraph?.textContent).toBe('The capital of France is Paris.');
    expect(host(fixture).textContent?.trim()).toBe('The capital of France is Paris.');
  });

  it('renders headings, emphasis, ordered lists, tables and blockquotes', () => {
    const element = host(render(RICH_ANSWER));
    expect(element.querySelector('h2')?.textContent).toBe('Plan');
    expect(element.querySelector('strong')?.textContent).toBe('what');
    expect(Array.from(element.querySelectorAll('ol > li'), (item) => item.textContent)).toEqual(['Install it', 'Run it']);
    expect(Array.from(element.querySelectorAll('th'), (cell) => cell.textContent)).toEqual(['Step', 'Time']);
    expect(element.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(element.querySelector('blockquote')?.textContent?.trim()).toBe('Quoted advice.');
  });

  it('labels a code block with its language and highlights it once highlight.js has loaded', async () => {
    const fixture = render('```ts\nconst answer = 42;\n```');
    const element = host(fixture);
    expect(element.querySelector('.markdown-code-language')?.textContent).toBe('ts');
    await fixture.whenStable();
    expect(element.querySelector('code .hljs-keyword')?.textContent).toBe('const');
    expect(element.querySelector('code')?.textContent).toBe('const answer = 42;');
  });

  it('shows code in a language it does not know as escaped plain text, without guessing one', async () => {
    const fixture = render('```brainfuck\n<b>+[-]</b>\n```\n\n```\n<i>no language</i>\n```');
    await fixture.whenStable();
    const code = Array.from(host(fixture).querySelectorAll('code'));
    expect(code.map((element) => element.textContent)).toEqual(['<b>+[-]</b>', '<i>no language</i>']);
    expect(host(fixture).querySelectorAll('code span, code b, code i')).toHaveLength(0);
    expect(host(fixture).querySelector('.markdown-code-language')?.textContent).toBe('brainfuck');
  });

  it('opens links in a new tab, without an opener or a referrer', () => {
    const element = host(render('See [the docs](https://example.com/docs), https://example.org and <me@example.com>.'));
    const links = Array.from(element.querySelectorAll('a'));
    expect(links.map((link) => link.getAttribute('href'))).toEqual([
      'https://example.com/docs',
      'https://example.org',
      'mailto:me@example.com',
    ]);
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('keeps its link hook to its own DOMPurify instance', () => {
    render('[docs](https://example.com)');
    expect(DOMPurify.sanitize('<a href="https://example.com">docs</a>')).toBe('<a href="https://example.com">docs</a>');
  });

  it('shows raw HTML from the model as the text it is', () => {
    const element = host(render('Use <b>bold</b> here.\n\n<div class="card">A card</div>'));
    expect(element.querySelector('b, .card')).toBeNull();
    expect(element.textContent).toContain('Use <b>bold</b> here.');
    expect(element.textContent).toContain('<div class="card">A card</div>');
  });

  it('renders an image as a link named by its alt text, so nothing loads by being displayed', () => {
    const element = host(render('![A cat](https://example.com/cat.png) and ![](https://example.com/dog.png)'));
    expect(element.querySelector('img')).toBeNull();
    const links = Array.from(element.querySelectorAll('a'), (link) => [link.textContent, link.getAttribute('href')]);
    expect(links).toEqual([
      ['A cat', 'https://example.com/cat.png'],
      ['https://example.com/dog.png', 'https://example.com/dog.png'],
    ]);
  });

  it('renders a link to an unsafe URL as its text alone', () => {
    const element = host(render('[click me](javascript:alert(1)) and [data](data:text/html,hi)'));
    expect(element.querySelector('a')).toBeNull();
    expect(element.textContent?.trim()).toBe('click me and data');
  });

  describe('for assistive technology', () => {
    it('names each task list checkbox after whether its task is done', async () => {
      const element = host(render('- [ ] Write the test\n- [x] Fix the bug\n\n1. [x] A loose list\n\n2. [ ] of tasks'));
      const checkboxes = Array.from(element.querySelectorAll('input'));
      expect(checkboxes.map((box) => [box.type, box.disabled, box.checked, box.getAttribute('aria-label')])).toEqual([
        ['checkbox', true, false, 'Not done'],
        ['checkbox', true, true, 'Done'],
        ['checkbox', true, true, 'Done'],
        ['checkbox', true, false, 'Not done'],
      ]);
      expect(await accessibilityViolations(element)).toEqual([]);
    });

    it("renders a badge, an image inside a link, as that one link, named by the image's alt text", async () => {
      const element = host(
        render(
          '[![build passing](https://img.example/build.svg)](https://example.com/ci) ' +
            '[![](https://img.example/x.svg)](https://example.com/x)',
        ),
      );
      expect(element.querySelector('a a')).toBeNull();
      expect(Array.from(element.querySelectorAll('a'), (link) => [link.textContent, link.getAttribute('href')])).toEqual([
        ['build passing', 'https://example.com/ci'],
        ['https://img.example/x.svg', 'https://example.com/x'],
      ]);
      expect(await accessibilityViolations(element)).toEqual([]);
    });

    it('gives axe no WCAG A or AA fault to find in a rich answer', async () => {
      const badge = '[![badge](https://img.example/b.svg)](https://example.com)';
      const fixture = render(`${RICH_ANSWER}\n\n- [x] Done\n- [ ] To do\n\n${badge}`);
      await fixture.whenStable();
      expect(host(fixture).querySelector('.hljs-keyword')).not.toBeNull();
      expect(await accessibilityViolations(host(fixture))).toEqual([]);
    });

    it('scrolls a wide table in an element around it, leaving the table a table', () => {
      const table = host(render(RICH_ANSWER)).querySelector('table');
      expect(table?.parentElement?.className).toBe('markdown-table');
    });
  });

  describe('with markdown nested too deeply for the parser', () => {
    const DEEP = `${'> '.repeat(2500)}x`;

    let errors: { handleError: ReturnType<typeof vi.fn> };
    beforeEach(() => {
      errors = { handleError: vi.fn() };
      TestBed.overrideProvider(ErrorHandler, { useValue: errors });
    });

    it('shows the answer as its plain text and reports the error, once', () => {
      const fixture = render(DEEP);
      expect(Array.from(host(fixture).children, (child) => child.outerHTML)).toEqual([
        `<p class="markdown-plain">${DEEP.replace(/>/g, '&gt;')}</p>`,
      ]);
      expect(errors.handleError).toHaveBeenCalledOnce();
      expect(errors.handleError.mock.calls[0][0]).toBeInstanceOf(RangeError);
    });

    it('keeps to the plain text while such an answer streams on and ends, and renders the next one as markdown', () => {
      const fixture = TestBed.createComponent(MarkdownAnswer);
      const answer = `${DEEP} and more\n\n**bold**`;
      for (const end of [DEEP.length, DEEP.length + 5, answer.length]) {
        show(fixture, answer.slice(0, end), true);
        expect(host(fixture).querySelector('.markdown-plain')?.textContent).toBe(answer.slice(0, end));
      }
      show(fixture, answer, false);
      expect(host(fixture).querySelector('.markdown-plain')?.textContent).toBe(answer);
      expect(host(fixture).childElementCount).toBe(1);
      expect(errors.handleError).toHaveBeenCalledOnce();

      show(fixture, 'A **new** answer.', true);
      expect(host(fixture).querySelector('.markdown-plain')).toBeNull();
      expect(host(fixture).querySelector('strong')?.textContent).toBe('new');
    });
  });

  describe('while streaming', () => {
    it('renders once per animation frame, with the latest text', () => {
      const fixture = TestBed.createComponent(MarkdownAnswer);
      fixture.componentRef.setInput('streaming', true);
      for (const text of ['Hel', 'Hello, wo', 'Hello, world']) {
        fixture.componentRef.setInput('text', text);
        fixture.detectChanges();
      }
      expect(host(fixture).textContent).toBe('');
      expect(frames.pending).toBe(1);
      frames.flush();
      expect(host(fixture).textContent?.trim()).toBe('Hello, world');
      expect(host(fixture).getAttribute('aria-busy')).toBe('true');
    });

    it('tells its parent after each streaming frame it drew, so a scrolling list can follow it', () => {
      const fixture = TestBed.createComponent(MarkdownAnswer);
      const drawn = vi.fn();
      fixture.componentInstance.rendered.subscribe(drawn);
      fixture.componentRef.setInput('streaming', true);
      fixture.componentRef.setInput('text', 'Hel');
      fixture.detectChanges();
      expect(drawn).not.toHaveBeenCalled();

      frames.flush();
      expect(drawn).toHaveBeenCalledTimes(1);
      show(fixture, 'Hello', true);
      expect(drawn).toHaveBeenCalledTimes(2);
    });

    it('keeps the DOM nodes of completed blocks while later blocks stream in', () => {
      const start = '# Title\n\nFirst paragraph.\n\nSecond';
      const fixture = render(start, true);
      const heading = host(fixture).querySelector('h1');
      const first = host(fixture).querySelectorAll('p')[0];
      for (const more of [' paragraph', ' grows.', '\n\nThird', ' one too.']) {
        show(fixture, `${fixture.componentInstance.text()}${more}`, true);
      }
      expect(host(fixture).querySelector('h1')).toBe(heading);
      expect(host(fixture).querySelectorAll('p')[0]).toBe(first);
      expect(Array.from(host(fixture).querySelectorAll('p'), (paragraph) => paragraph.textContent)).toEqual([
        'First paragraph.',
        'Second paragraph grows.',
        'Third one too.',
      ]);
    });

    it('lexes only the text from the last block on, so the work stays far below n² as the answer grows', () => {
      const lex = vi.spyOn(Lexer.prototype, 'lex');
      const answer = Array.from({ length: 150 }, (_, index) => `Paragraph ${index} has a few words in it.`).join('\n\n');
      const fixture = TestBed.createComponent(MarkdownAnswer);
      stream(fixture, answer, 5);
      const lexed = lex.mock.calls.reduce((total, [source]) => total + source.length, 0);
      const wholeTextEveryFrame = (answer.length * answer.length) / 10;
      expect(lexed).toBeLessThan(answer.length * 10);
      expect(lexed).toBeLessThan(wholeTextEveryFrame / 50);
      expect(host(fixture).querySelectorAll('p')).toHaveLength(150);
    });

    it("keeps the nodes of a growing list's earlier items, and of a growing table's earlier rows", () => {
      const list = Array.from({ length: 30 }, (_, index) => `- item ${index}`).join('\n');
      const table = ['| n | n² |', '|---|---:|', ...Array.from({ length: 30 }, (_, n) => `| ${n} | ${n * n} |`)].join('\n');
      for (const [text, container, selector] of [[list, 'ul', 'li'], [table, '.markdown-table', 'tbody tr']] as const) {
        const fixture = TestBed.createComponent(MarkdownAnswer);
        let wrapper: Element | null = null;
        let previous: Element[] = [];
        stream(fixture, text, 7, () => {
          wrapper ??= host(fixture).querySelector(container);
          expect(host(fixture).querySelector(container)).toBe(wrapper);
          const current = Array.from(host(fixture).querySelectorAll(selector));
          // The last one may have grown; every one before it is the node it was.
          const kept = previous.slice(0, -1);
          const same = current.slice(0, kept.length).every((node, index) => node === kept[index]);
          expect(same, `${selector} ${current.length}`).toBe(true);
          previous = current;
        });
        expect(previous).toHaveLength(30);
      }
    });

    it('keeps the focus on a copy button in a list while the list grows', () => {
      const start = '- Run:\n\n  ```sh\n  npm test\n  ```\n';
      const fixture = render(start, true);
      const button = host(fixture).querySelector<HTMLButtonElement>('[data-testid="copy-code"]');
      button?.focus();
      expect(document.activeElement).toBe(button);
      const more = '\n- Then read the output.\n- And fix what failed.';
      for (let end = 1; end <= more.length; end += 5) {
        show(fixture, start + more.slice(0, end), true);
      }
      expect(host(fixture).querySelectorAll('li')).toHaveLength(3);
      expect(document.activeElement).toBe(button);
    });

    it('renders and sanitises at each frame the rows that changed, not the whole of a 250-item list or table', () => {
      const sanitize = vi.spyOn(TestBed.inject(MarkdownSanitizer), 'markdown');
      const rows = [vi.spyOn(Renderer.prototype, 'listitem'), vi.spyOn(Renderer.prototype, 'tablerow')];
      for (const text of [LONG_LIST, LONG_TABLE]) {
        const fixture = TestBed.createComponent(MarkdownAnswer);
        const sanitised: number[] = [];
        const rendered: number[] = [];
        stream(fixture, text, 100, () => {
          sanitised.push(sanitize.mock.calls.reduce((total, [html]) => total + html.length, 0));
          rendered.push(rows.reduce((total, row) => total + row.mock.calls.length, 0));
          sanitize.mockClear();
          rows.forEach((row) => row.mockClear());
        });
        expect(host(fixture).querySelectorAll('li, tbody tr')).toHaveLength(250);
        // A 100-character frame brings one or two new rows; the block as a whole is 12 to 19 KB.
        const lastFrames = sanitised.slice(-20);
        expect(Math.max(...sanitised)).toBeLessThan(1000);
        expect(Math.max(...lastFrames)).toBeLessThan(2 * Math.max(...sanitised.slice(5, 25)));
        expect(Math.max(...rendered)).toBeLessThanOrEqual(5);
      }
    });

    it('streams any mix of markdown lines into what rendering the same text at once shows, frame by frame', async () => {
      await TestBed.inject(CodeHighlighter).load();
      fc.assert(
        fc.property(documents, pieceSizes, (document, sizes) => {
          // A complete block keeps how it rendered while the answer streams, even if a reference
          // definition it uses arrives after it: only the end of the answer renders it again.
          const comparesFrames = !/^\[\w+\]:/m.test(document);
          const streamed = TestBed.createComponent(MarkdownAnswer);
          for (let end = 0, piece = 0; end < document.length; piece++) {
            end = Math.min(document.length, end + sizes[piece % sizes.length]);
            show(streamed, document.slice(0, end), true);
            if (comparesFrames) {
              const atOnce = render(document.slice(0, end), true);
              expect(withoutHighlighting(host(streamed))).toBe(withoutHighlighting(host(atOnce)));
              atOnce.destroy();
            }
          }
          show(streamed, document, false);
          const finished = render(document);
          expect(host(streamed).innerHTML).toBe(host(finished).innerHTML);
          streamed.destroy();
          finished.destroy();
        }),
        { numRuns: 30 },
      );
      // Two components a frame, a few hundred frames: about two seconds, more on a busy machine.
    }, 15_000);

    it('highlights a code block only once it is complete', async () => {
      const fixture = render('```ts\nconst a = 1;\n', true);
      await fixture.whenStable();
      const code = (): HTMLElement | null => host(fixture).querySelector('code');
      expect(code()?.textContent).toBe('const a = 1;');
      expect(code()?.querySelector('span')).toBeNull();

      show(fixture, '```ts\nconst a = 1;\n```\n\nAfter the code.', true);
      expect(code()?.querySelector('.hljs-keyword')?.textContent).toBe('const');
    });

    it('highlights the last code block when the stream ends inside it', async () => {
      const fixture = render('```python\ndef f():\n    return 1', true);
      await fixture.whenStable();
      show(fixture, '```python\ndef f():\n    return 1', false);
      expect(host(fixture).querySelector('code .hljs-keyword')?.textContent).toBe('def');
      expect(host(fixture).getAttribute('aria-busy')).toBe('false');
    });

    it('ends with exactly what rendering the whole answer at once shows', async () => {
      const streamed = TestBed.createComponent(MarkdownAnswer);
      stream(streamed, RICH_ANSWER, 6);
      show(streamed, RICH_ANSWER, false);
      const atOnce = render(RICH_ANSWER);
      await streamed.whenStable();
      await atOnce.whenStable();
      expect(host(streamed).innerHTML).toBe(host(atOnce).innerHTML);
      expect(host(streamed).querySelector('.hljs-keyword')).not.toBeNull();
    });

    it('starts over when the answer is reset to nothing, or replaced by a different one', () => {
      const fixture = render('First answer.\n\nWith two paragraphs.', true);
      const oldParagraph = host(fixture).querySelector('p');

      show(fixture, '', true);
      expect(host(fixture).childElementCount).toBe(0);

      show(fixture, 'Second answer.', true);
      expect(host(fixture).textContent?.trim()).toBe('Second answer.');
      expect(oldParagraph?.isConnected).toBe(false);

      show(fixture, 'Something else entirely.', true);
      expect(host(fixture).textContent?.trim()).toBe('Something else entirely.');
    });
  });

  describe('copying code', () => {
    const CODE = 'for (const a of list) {\n  if (a < 1) print("<done>");\n}';

    it('offers a copy button on every code block, named after the language of its code', () => {
      const element = host(render(`\`\`\`js\n${CODE}\n\`\`\`\n\n    indented code`));
      const buttons = Array.from(element.querySelectorAll('[data-testid="copy-code"]'));
      expect(buttons.map((button) => [button.localName, button.textContent, button.getAttribute('aria-label')])).toEqual([
        ['button', 'Copy', 'Copy js code'],
        ['button', 'Copy', 'Copy code'],
      ]);
    });

    it('puts exactly the code of its own block on the clipboard and announces it', async () => {
      const copy = vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(true);
      const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce').mockResolvedValue();
      const fixture = render(`\`\`\`js\n${CODE}\n\`\`\`\n\n\`\`\`\nsecond block\n\`\`\``);
      await fixture.whenStable();
      const button = host(fixture).querySelector<HTMLButtonElement>('[data-testid="copy-code"]');

      vi.useFakeTimers();
      try {
        button?.click();
        expect(copy).toHaveBeenCalledExactlyOnceWith(CODE);
        expect(announce).toHaveBeenCalledWith('Code copied', 'polite');
        expect(button?.textContent).toBe('Copied');
        expect(button?.getAttribute('aria-label')).toBe('Copied js code');
        vi.advanceTimersByTime(2000);
        expect(button?.textContent).toBe('Copy');
        expect(button?.getAttribute('aria-label')).toBe('Copy js code');
      } finally {
        vi.useRealTimers();
      }
    });

    it('says so when the clipboard refuses the code', () => {
      vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(false);
      const announce = vi.spyOn(TestBed.inject(LiveAnnouncer), 'announce').mockResolvedValue();
      const fixture = render('```\nx\n```');
      const button = host(fixture).querySelector<HTMLButtonElement>('[data-testid="copy-code"]');
      button?.click();
      expect(announce).toHaveBeenCalledWith('The code could not be copied', 'polite');
      expect(button?.textContent).toBe('Copy');
    });
  });
});

/**
 * The sanitiser on its own, given HTML that never went through the escaping renderer: whatever the
 * renderer ever lets slip, the policy is the second wall.
 */
describe('MarkdownSanitizer, given raw HTML', () => {
  /** Markup aimed at the page rather than at script: controls, a copy button lookalike, the page's own classes. */
  const POLICY_PAYLOADS = [
    {
      name: 'text, password and image inputs',
      html: '<input type="text" name="q"><input type="password"><input type="image" src="https://example.com/i.png">',
    },
    { name: 'submit button', html: '<button type="submit" formaction="https://example.com/collect">Send</button>' },
    {
      name: 'copy button lookalike',
      html: '<button class="markdown-copy" data-copy-code data-testid="copy-code" aria-label="Copy code">Copy</button>',
    },
    {
      name: 'overlay and dialog classes',
      html: '<div class="cdk-overlay-container"><div class="mat-mdc-dialog-surface">Sign in again</div></div>',
    },
    { name: 'test id, ARIA label and title', html: '<p data-testid="chat-input" aria-label="Send" title="Tip">x</p>' },
  ];
  const HTML_PAYLOADS = [
    ...corpus.filter(({ markdown }) => /<[a-z!/?]/i.test(markdown)).map(({ name, markdown }) => ({ name, html: markdown })),
    ...POLICY_PAYLOADS,
  ];

  let sanitizer: MarkdownSanitizer;
  beforeEach(() => {
    sanitizer = TestBed.inject(MarkdownSanitizer);
  });

  afterEach(() => {
    delete window.__pwned;
  });

  function sanitised(html: string, policy: 'markdown' | 'highlightedCode' = 'markdown'): HTMLElement {
    const root = document.createElement('div');
    root.append(sanitizer[policy](html));
    return root;
  }

  it('leaves nothing that runs, loads, submits or poses as the page of any HTML payload', () => {
    expect(HTML_PAYLOADS.length).toBeGreaterThanOrEqual(50);
    for (const { name, html } of HTML_PAYLOADS) {
      const markdown = sanitised(html);
      expectSafe(markdown, name);
      const posing = markdown.querySelector('button, [aria-label], [data-testid], [data-copy-code], [title]:not(a)');
      expect(posing, name).toBeNull();
    }
  });

  it('makes highlighted code of any HTML payload nothing but spans with highlight.js classes', () => {
    for (const { name, html } of HTML_PAYLOADS) {
      const code = sanitised(html, 'highlightedCode');
      expectSafe(code, name);
      expect(Array.from(code.querySelectorAll(':not(span)'), (element) => element.localName), name).toEqual([]);
    }
  });

  it('keeps of all inputs only the checkboxes, and disables them', () => {
    const root = sanitised(
      '<input type="text" value="x"><input type="password"><input type="image" src="https://example.com/i.png">' +
        '<input type="submit"><input><input type="checkbox" checked name="done"><input type="CHECKBOX">',
    );
    expect(root.innerHTML).toBe('<input type="checkbox" checked="" disabled=""><input type="CHECKBOX" disabled="">');
  });

  it('keeps only the classes the renderer writes', () => {
    const root = sanitised(
      '<div class="cdk-overlay-container markdown-code"><p class="mat-mdc-dialog-surface markdown-copy">x</p></div>',
    );
    expect(root.innerHTML).toBe('<div class="markdown-code"><p>x</p></div>');
  });

  it('keeps each attribute only on the element the renderer writes it on', () => {
    const root = sanitised(
      '<ol start="3" title="t" align="left"><li start="2" data-language="ts">a</li></ol>' +
        '<table><tbody><tr><td align="right" title="t">1</td></tr></tbody></table>' +
        '<pre><code data-language="ts" align="left">x</code></pre>' +
        '<a href="https://example.com" title="Docs" data-testid="link">docs</a>',
    );
    expect(root.innerHTML).toBe(
      '<ol start="3"><li>a</li></ol><table><tbody><tr><td align="right">1</td></tr></tbody></table>' +
        '<pre><code data-language="ts">x</code></pre>' +
        '<a href="https://example.com" title="Docs" target="_blank" rel="noopener noreferrer">docs</a>',
    );
  });

  it('keeps in highlighted code only the classes highlight.js writes', () => {
    const root = sanitised(
      '<span class="hljs-title class_ inherited__ markdown-copy">A</span>' +
        '<span class="language-xml cdk-overlay-pane">b</span>' +
        '<span class="mat-mdc-dialog-surface">c</span><a href="https://example.com">d</a>',
      'highlightedCode',
    );
    expect(root.innerHTML).toBe(
      '<span class="hljs-title class_ inherited__">A</span><span class="language-xml">b</span><span>c</span>d',
    );
  });
});
