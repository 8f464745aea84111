/** PromQL words that can stand where a metric name could: aggregations, keywords, literals. */
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2',
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
  'limitk', 'limit_ratio', 'inf', 'nan',
]);

const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

function withoutStrings(expr: string): string {
  return expr.replace(STRINGS, '""');
}

/**
 * The metric names a PromQL expression selects: each bare name that is not a function, an
 * aggregation or keyword, a label (in `{…}` or `by (…)`), a number or a duration. Enough to
 * check a dashboard's queries, not a parser; `{__name__=…}` selectors are not looked into.
 */
export function seriesNames(expr: string): string[] {
  const text = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(GROUPING, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9_:.]+/g)) {
    const word = match[0];
    if (/^[0-9.]/.test(word) || KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\s*\(/.test(text.slice((match.index ?? 0) + word.length))) continue;
    names.push(word);
  }
  return [...new Set(names)];
}

/** The label names an expression matches on (`{name="…"}`) or groups by (`by (a, b)`). */
export function labelNames(expr: string): string[] {
  const text = withoutStrings(expr);
  const names = new Set<string>();
  for (const selector of text.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of selector[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)) names.add(matcher[1]);
  }
  for (const grouping of text.matchAll(GROUPING)) {
    for (const name of grouping[1].split(',').map((part) => part.trim()).filter(Boolean)) names.add(name);
  }
  return [...names];
}
