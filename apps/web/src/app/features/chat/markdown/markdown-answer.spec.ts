import { LiveAnnouncer } from '@angular/cdk/a11y';
import { Clipboard } from '@angular/cdk/clipboard';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import DOMPurify from 'dompurify';
import { Lexer } from 'marked';
import { MarkdownAnswer } from './markdown-answer';
import { SAFE_URL } from './markdown-html';
import { NEXT_FRAME, type NextFrame } from './next-frame';
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

const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'srcdoc'];

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

  function expectSafe(root: HTMLElement, context: string): void {
    expect(Array.from(root.querySelectorAll(FORBIDDEN_ELEMENTS), (element) => element.outerHTML), context).toEqual([]);
    for (const element of Array.from(root.querySelectorAll('*'))) {
      for (const { name, value } of Array.from(element.attributes)) {
        expect(name.startsWith('on'), `${context}: ${name} on <${element.localName}>`).toBe(false);
        if (URL_ATTRIBUTES.includes(name)) {
          expect(SAFE_URL.test(value), `${context}: ${name}="${value}"`).toBe(true);
        }
      }
    }
    for (const link of Array.from(root.querySelectorAll('a'))) {
      expect(link.getAttribute('rel'), context).toBe('noopener noreferrer');
      expect(link.getAttribute('target'), context).toBe('_blank');
    }
    expect(window.__pwned, context).toBeUndefined();
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

    it('offers a button named "Copy code" on every code block', () => {
      const element = host(render(`\`\`\`js\n${CODE}\n\`\`\`\n\n    indented code`));
      const buttons = Array.from(element.querySelectorAll('[data-testid="copy-code"]'));
      expect(buttons).toHaveLength(2);
      expect(buttons.map((button) => [button.localName, button.getAttribute('aria-label')])).toEqual([
        ['button', 'Copy code'],
        ['button', 'Copy code'],
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
        vi.advanceTimersByTime(2000);
        expect(button?.textContent).toBe('Copy');
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
