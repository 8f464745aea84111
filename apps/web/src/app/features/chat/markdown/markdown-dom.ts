import { CODE_BLOCK_CLASS, CODE_LANGUAGE_ATTRIBUTE, type HtmlPiece } from './markdown-html';
import type { MarkdownSanitizer } from './markdown-sanitizer';

/** What one piece of HTML put on the page. */
export interface PlacedPiece {
  readonly key: string;
  /**
   * The nodes the piece put in its parent, in order. Never empty (a piece that renders nothing
   * leaves an empty text node), so a later version of the piece knows where it goes.
   */
  readonly nodes: readonly ChildNode[];
  /** For a container: the element its children are in, and what each of them placed there. */
  readonly container?: PlacedContainer;
}

interface PlacedContainer {
  readonly shellKey: string;
  readonly slot: Element;
  readonly children: readonly PlacedPiece[];
}

/**
 * Builds rendered markdown into DOM nodes and brings them up to date piece by piece: a piece whose
 * key did not change keeps its nodes, and a container whose shell did not change keeps its element
 * and updates its children. A growing list thus keeps the nodes of its earlier items, with the
 * focus, selection and scroll position in them, and a click that lands across two frames.
 */
export class MarkdownDom {
  /** The copy buttons this page made, with the code each copies: no sanitised markup can be one. */
  private readonly copyButtons = new WeakMap<Element, HTMLElement>();

  constructor(
    private readonly document: Document,
    private readonly sanitizer: MarkdownSanitizer,
  ) {}

  /** Places a piece at the end of `parent`. */
  append(piece: HtmlPiece, parent: Element): PlacedPiece {
    const placed = this.build(piece, parent);
    parent.append(...placed.nodes);
    return placed;
  }

  /** Replaces what `previous` placed in `parent` with `piece`, keeping every node that stays the same. */
  update(previous: PlacedPiece, piece: HtmlPiece, parent: Element): PlacedPiece {
    if (previous.key === piece.key) {
      return previous;
    }
    const container = previous.container;
    if (piece.kind === 'container' && container?.shellKey === piece.shellKey && this.holdsChildren(container)) {
      const children = piece.children.map((child, index) => {
        const before = container.children[index];
        return before ? this.update(before, child, container.slot) : this.append(child, container.slot);
      });
      for (const stale of container.children.slice(piece.children.length)) {
        stale.nodes.forEach((node) => node.remove());
      }
      return { key: piece.key, nodes: previous.nodes, container: { ...container, children } };
    }
    const placed = this.build(piece, parent);
    previous.nodes[0].before(...placed.nodes);
    previous.nodes.forEach((node) => node.remove());
    return placed;
  }

  /** The code a click on `target` asks to copy, with its button; null for any other click. */
  copyTarget(target: EventTarget | null): { button: HTMLElement; code: HTMLElement } | null {
    const button = target instanceof Element ? target.closest('button') : null;
    const code = button ? this.copyButtons.get(button) : undefined;
    return button && code ? { button, code } : null;
  }

  /** The copy button's text and name while it confirms a copy, and once it offers to copy again. */
  showCopied(button: HTMLElement, copied: boolean): void {
    const code = this.copyButtons.get(button);
    button.textContent = copied ? 'Copied' : 'Copy';
    button.setAttribute('aria-label', copyLabel(copied, code?.getAttribute(CODE_LANGUAGE_ATTRIBUTE) ?? ''));
  }

  /** Highlighting replaces a code element's children, so a container of lines can only be reused while they are there. */
  private holdsChildren(container: PlacedContainer): boolean {
    return container.children.every(({ nodes }) => nodes[0].parentNode === container.slot);
  }

  private build(piece: HtmlPiece, parent: Element): PlacedPiece {
    switch (piece.kind) {
      case 'text':
        return { key: piece.key, nodes: [this.document.createTextNode(piece.text)] };
      case 'html':
        return { key: piece.key, nodes: this.parse(piece.html(), parent) };
      case 'container': {
        const nodes = this.parse(piece.shell(), parent);
        const slot = findSlot(nodes, piece.slot);
        const children = piece.children.map((child) => this.append(child, slot));
        return { key: piece.key, nodes, container: { shellKey: piece.shellKey, slot, children } };
      }
    }
  }

  /** Sanitised nodes for `html`, parsed as children of `parent` would be: a `tr` only exists in a table. */
  private parse(html: string, parent: Element): ChildNode[] {
    const inTable = parent.localName === 'tbody';
    const fragment = this.sanitizer.markdown(inTable ? `<table><tbody>${html}</tbody></table>` : html);
    const content = inTable ? (fragment.querySelector('tbody') ?? fragment) : fragment;
    if (html.includes(CODE_BLOCK_CLASS) || html.includes('<input')) {
      this.decorate(content);
    }
    const nodes = Array.from(content.childNodes);
    return nodes.length > 0 ? nodes : [this.document.createTextNode('')];
  }

  /**
   * What sanitised markdown may not contain, added once it is sanitised: the header of each code
   * block with its copy button, and a name for each task list checkbox.
   */
  private decorate(content: ParentNode): void {
    for (const block of Array.from(content.querySelectorAll(`.${CODE_BLOCK_CLASS}`))) {
      const code = block.querySelector('code');
      if (code) {
        block.prepend(this.codeHeader(code));
      }
    }
    for (const checkbox of Array.from(content.querySelectorAll('input'))) {
      checkbox.setAttribute('aria-label', checkbox.checked ? 'Done' : 'Not done');
    }
  }

  private codeHeader(code: HTMLElement): HTMLElement {
    const language = code.getAttribute(CODE_LANGUAGE_ATTRIBUTE) ?? '';
    const header = this.document.createElement('div');
    header.className = 'markdown-code-header';
    if (language) {
      const label = this.document.createElement('span');
      label.className = 'markdown-code-language';
      label.textContent = language;
      header.append(label);
    }
    const button = this.document.createElement('button');
    button.type = 'button';
    button.className = 'markdown-copy';
    button.dataset['testid'] = 'copy-code';
    this.copyButtons.set(button, code);
    this.showCopied(button, false);
    header.append(button);
    return header;
  }
}

/**
 * Names a copy button after what it copies, so that a screen reader's list of buttons tells the code
 * blocks apart; the name begins with the visible text, which speech input users say (WCAG 2.5.3).
 */
function copyLabel(copied: boolean, language: string): string {
  return `${copied ? 'Copied' : 'Copy'} ${language ? `${language} ` : ''}code`;
}

function findSlot(nodes: readonly ChildNode[], tagName: string): Element {
  for (const node of nodes) {
    if (node instanceof Element) {
      const slot = node.localName === tagName ? node : node.querySelector(tagName);
      if (slot) {
        return slot;
      }
    }
  }
  throw new Error(`Rendered markdown has no <${tagName}> for the content of its block.`);
}
