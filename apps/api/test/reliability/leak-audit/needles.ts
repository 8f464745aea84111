/** One form in which a key's text could show up: as written, or base64-encoded inside a larger value. */
export interface Needle {
  key: string;
  form: 'plain' | 'base64' | 'base64url';
  text: string;
}

/** Shortest needle worth searching for; shorter runs of base64 would match by chance. */
const MIN_NEEDLE_LENGTH = 16;

/**
 * The key itself, and the base64 runs its bytes produce wherever they sit in an encoded value:
 * base64 works in 3-byte groups, so the key starts at one of three offsets within a group, and
 * only whole groups encode the same way whatever surrounds them.
 */
export function needlesFor(key: string): Needle[] {
  const needles: Needle[] = [{ key, form: 'plain', text: key }];
  for (let offset = 0; offset < 3; offset += 1) {
    const tail = Buffer.from(key.slice(offset), 'utf8');
    const whole = tail.subarray(0, tail.length - (tail.length % 3));
    const base64 = whole.toString('base64');
    if (base64.length < MIN_NEEDLE_LENGTH) continue;
    needles.push({ key, form: 'base64', text: base64 });
    const base64url = whole.toString('base64url');
    if (base64url !== base64) needles.push({ key, form: 'base64url', text: base64url });
  }
  return needles;
}

/** Shows which key was found without printing it: the same mask the API uses for listings. */
export function maskForReport(key: string): string {
  return `${key.slice(0, key.startsWith('sk-ant-') ? 7 : key.startsWith('AIza') ? 4 : 3)}…${key.slice(-4)} (${key.length} chars)`;
}

export interface Hit {
  needle: Needle;
  source: string;
  line: number;
}

/** Every occurrence of every needle in `text`; `source` names where the text came from. */
export function findNeedles(text: string, needles: readonly Needle[], source: string): Hit[] {
  if (needles.length === 0 || text.length === 0) return [];
  const byText = new Map(needles.map((needle) => [needle.text, needle]));
  // Longest first, so a key that extends another is reported as itself.
  const alternatives = [...byText.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(alternatives.map(escapeRegExp).join('|'), 'g');
  const hits: Hit[] = [];
  for (const match of text.matchAll(pattern)) {
    const needle = byText.get(match[0]);
    if (!needle) continue;
    hits.push({ needle, source, line: lineOf(text, match.index ?? 0) });
  }
  return hits;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line += 1;
  return line;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
