/** A directive of an nginx config: `name args…;` or `name args… { block }`. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** Parses nginx's config syntax (directives, blocks, quotes, comments); enough for checks, not a validator. */
export function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (closing: boolean): Directive[] => {
    const directives: Directive[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++];
      if (token.kind === 'word') {
        words.push(token.text);
      } else if (token.text === ';') {
        if (words.length === 0) throw new Error('empty directive');
        directives.push({ name: words[0], args: words.slice(1) });
        words = [];
      } else if (token.text === '{') {
        if (words.length === 0) throw new Error('block without a name');
        directives.push({ name: words[0], args: words.slice(1), block: parseBlock(true) });
        words = [];
      } else {
        if (!closing) throw new Error('unbalanced }');
        if (words.length > 0) throw new Error(`directive "${words.join(' ')}" has no ;`);
        return directives;
      }
    }
    if (closing) throw new Error('missing }');
    if (words.length > 0) throw new Error(`directive "${words.join(' ')}" has no ;`);
    return directives;
  };
  return parseBlock(false);
}

interface Token {
  kind: 'word' | 'punct';
  text: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (char === '{' || char === '}' || char === ';') {
      tokens.push({ kind: 'punct', text: char });
      i++;
    } else if (char === '"' || char === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== char) {
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i] + text[i + 1];
          i += 2;
        } else {
          value += text[i++];
        }
      }
      if (i >= text.length) throw new Error('unterminated quote');
      i++;
      tokens.push({ kind: 'word', text: value });
    } else {
      let value = '';
      while (i < text.length && !/[\s{};]/.test(text[i])) value += text[i++];
      tokens.push({ kind: 'word', text: value });
    }
  }
  return tokens;
}

export function all(block: readonly Directive[], name: string): Directive[] {
  return block.filter((directive) => directive.name === name);
}

export function one(block: readonly Directive[], name: string): Directive {
  const found = all(block, name);
  if (found.length !== 1) throw new Error(`expected one "${name}", found ${found.length}`);
  return found[0];
}

export function blockOf(directive: Directive): Directive[] {
  if (!directive.block) throw new Error(`"${directive.name}" has no block`);
  return directive.block;
}

/** The server listening on `listen` (its first argument). */
export function serverListening(config: readonly Directive[], listen: string): Directive[] {
  const found = all(config, 'server').filter((server) =>
    all(blockOf(server), 'listen').some((directive) => directive.args[0] === listen),
  );
  if (found.length !== 1) throw new Error(`expected one server listening on ${listen}, found ${found.length}`);
  return blockOf(found[0]);
}

export function location(server: readonly Directive[], ...args: string[]): Directive[] {
  const found = all(server, 'location').filter((directive) => directive.args.join(' ') === args.join(' '));
  if (found.length !== 1) throw new Error(`expected one "location ${args.join(' ')}", found ${found.length}`);
  return blockOf(found[0]);
}

/**
 * A directive's value in a location as nginx resolves it: the location's own, else the server's.
 * Array directives (proxy_set_header, add_header) inherit only when the inner level has none.
 */
export function effective(levels: readonly (readonly Directive[])[], name: string): Directive[] {
  for (const level of [...levels].reverse()) {
    const found = all(level, name);
    if (found.length > 0) return found;
  }
  return [];
}

/** Effective proxy_set_header values of a location, by lowercased header name. */
export function proxyHeaders(levels: readonly (readonly Directive[])[]): Map<string, string> {
  return new Map(effective(levels, 'proxy_set_header').map((directive) => [directive.args[0].toLowerCase(), directive.args[1]]));
}

/** nginx time ("300s", "5m", "60") in seconds. */
export function seconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new Error(`not an nginx time: ${value}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * factor;
}
