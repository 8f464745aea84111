import * as fc from 'fast-check';

/**
 * Payload generators for fuzzing the API. Each yields raw JSON text, so that reserved keys
 * (`__proto__`) reach the server as they would from a hostile client, not as a JS prototype.
 */

const PROVIDERS = ['openai', 'anthropic', 'gemini', 'ollama'];
const RESERVED = ['__proto__', 'constructor', 'prototype'];

/** Characters that break naive code: NUL, escapes, C1 controls, line separators, lone surrogates, astral. */
const hostileChar = fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\ud800', '\udfff', '\ufeff', '\uffff', '"', '\\', '/', '\n', '\t', 'é', '日', '𝕏', '🔑', ' ', '{', '}', '[', ']', ':', ',');
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: hostileChar, maxLength: 40 }),
  fc.constantFrom('', ' ', ...PROVIDERS, ...RESERVED, 'toString', 'hasOwnProperty', 'valueOf', 'OPENAI', 'open ai', '../openai', 'openai\u0000'),
  fc.nat({ max: 70_000 }).map((length) => 'x'.repeat(length)),
);

/** Keys shaped like provider keys (sometimes valid), so a set can legitimately succeed now and then. */
const keyLike = fc
  .tuple(fc.constantFrom('sk-', 'sk-ant-', 'AIza', 'sk-test-', ''), fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~+/=:'), maxLength: 300 }))
  .map(([prefix, tail]) => `${prefix}${tail}`);

/** Any value of the wrong kind, or of the right kind and hostile. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
);

const role = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('user', 'assistant', 'system') }, anyValue);
const wellFormedMessage = fc.record({ role, content: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 200 }) }, anyValue) }, { requiredKeys: [] });
const message = fc.oneof(
  { weight: 4, arbitrary: wellFormedMessage },
  anyValue,
  // A list where a message should be: arrays are objects to a careless check.
  fc.array(fc.oneof(wellFormedMessage, fc.array(wellFormedMessage, { maxLength: 1 })), { maxLength: 2 }),
);
const messages = fc.oneof(
  { weight: 4, arbitrary: fc.array(message, { maxLength: 6 }) },
  // Longer than the 200 allowed, or near the character limits.
  fc.nat({ max: 2000 }).map((count) => Array.from({ length: 201 + count }, () => ({ role: 'user', content: 'a' }))),
  fc.constantFrom(200, 199).map((count) => Array.from({ length: count }, () => ({ role: 'user', content: 'b'.repeat(1100) }))),
  anyValue,
);

/** An object of the endpoint's shape whose fields are each valid, missing, wrong or hostile. */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.dictionary(hostileString.filter((key) => key.length < 40), anyValue, { maxKeys: 2 })))
    .map(([known, extra]) => (extra === null ? known : { ...extra, ...known }));
}

/** A valid request with one field (top-level or nested) replaced, removed, or joined by an extra one. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>, paths: string[], replacement: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const removed = Symbol('removed');
  return fc.tuple(valid, fc.constantFrom(...paths, '+extra'), fc.oneof(fc.constant(removed), fc.constant(null), replacement)).map(([base, path, value]) => {
    const copy = structuredClone(base);
    if (path === '+extra') return { ...copy, extra: value };
    const steps = path.split('.');
    let target: Record<string, unknown> = copy;
    for (const step of steps.slice(0, -1)) {
      const next = target[step];
      if (typeof next !== 'object' || next === null) return copy;
      target = next as Record<string, unknown>;
    }
    const last = steps[steps.length - 1];
    if (value === removed) delete target[last];
    else target[last] = value;
    return copy;
  });
}

/** Either a request built field by field from anything, or a valid one with one thing wrong. */
function fuzzed(fields: Record<string, fc.Arbitrary<unknown>>, valid: fc.Arbitrary<Record<string, unknown>>, paths: string[], replacement: fc.Arbitrary<unknown>) {
  return fc.oneof(shaped(fields), { weight: 2, arbitrary: mutated(valid, paths, replacement) });
}

const providerId = fc.constantFrom(...PROVIDERS);
const keyFields = { provider: fc.oneof(providerId, anyValue), apiKey: fc.oneof(keyLike, anyValue) };
const validKeyBody = fc.record({ provider: providerId, apiKey: keyLike });
export const setBody = fuzzed(keyFields, validKeyBody, ['provider', 'apiKey'], anyValue).map((body) => JSON.stringify(body));
export const validateBody = fuzzed(keyFields, validKeyBody, ['provider', 'apiKey'], anyValue).map((body) => JSON.stringify(body));
export const clearBody = fuzzed(
  { provider: fc.oneof(fc.constantFrom(...PROVIDERS, 'nope'), anyValue), all: fc.oneof(fc.constant(true), anyValue) },
  fc.oneof(fc.record({ provider: providerId }), fc.constant({ all: true })),
  ['provider', 'all'],
  anyValue,
).map((body) => JSON.stringify(body));

const validMessage = fc.record({ role: fc.constantFrom('user', 'assistant', 'system'), content: fc.string({ maxLength: 100 }) });
const validChatStart = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    provider: fc.constantFrom('openai', 'ollama'),
    model: fc.constantFrom('gpt-4o-mini', 'llama3.2', 'no-such-model'),
    messages: fc.array(validMessage, { minLength: 1, maxLength: 4 }),
    options: fc.record({ maxTokens: fc.integer({ min: 1, max: 1000 }), temperature: fc.double({ min: 0, max: 2, noNaN: true }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['id', 'provider', 'model', 'messages'] },
);
export const chatStartObject = fuzzed(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), anyValue),
    provider: fc.oneof(fc.constantFrom('openai', 'ollama', 'nope'), anyValue),
    model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'llama3.2', 'no-such-model'), anyValue),
    messages,
    options: fc.oneof(fc.record({ maxTokens: anyValue, temperature: anyValue }, { requiredKeys: [] }), anyValue),
  },
  validChatStart,
  ['id', 'provider', 'model', 'messages', 'messages.0', 'messages.0.role', 'messages.0.content', 'options', 'options.maxTokens', 'options.temperature'],
  fc.oneof(anyValue, messages, message),
);
export const chatStartBody = chatStartObject.map((value) => JSON.stringify(value));

/** Text that is not JSON at all, or JSON cut short or bent. */
export const malformedJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([value, cut]) => {
    const text = JSON.stringify(value) ?? '';
    return text.length > 1 ? text.slice(0, cut % (text.length - 1)) : '{';
  }),
  fc.constantFrom(
    '{',
    '{"provider":',
    "{'provider':'openai'}",
    '{"provider":"openai",}',
    '{"a":NaN}',
    '{"a":1}/* */',
    '[1,2',
    '"\\ud800"',
    '{"a":"\\u00"}',
    '\ufeff{}',
    'null null',
    '{}{}',
  ),
  fc.nat({ max: 4000 }).map((depth) => '['.repeat(depth + 1) + ']'.repeat(depth)),
);

/** JSON that parses, but is not an object, or nests absurdly deep. */
export const wrongTopLevel = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)).map((value) => JSON.stringify(value)),
  fc.nat({ max: 30_000 }).map((depth) => `${'{"a":'.repeat(depth + 20)}1${'}'.repeat(depth + 20)}`),
);

/** Objects nested past the gateway's depth limit, but not so deep that the client library's own recursion overflows. */
export const deepObject = fc.integer({ min: 10, max: 500 }).map((depth) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown);

/** Valid-looking bodies with a reserved key at the top or deep inside, as raw text. */
export const pollutingJson = fc
  .tuple(
    fc.constantFrom(...RESERVED),
    fc.constantFrom(
      '{"provider":"openai","apiKey":"sk-test-fuzz-polluter-0123456789",%}',
      '{%,"provider":"openai","apiKey":"sk-test-fuzz-polluter-0123456789"}',
      '{"provider":"openai","all":true,"x":{%}}',
      '{"id":"p1","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi",%}]}',
      '{"id":"p2","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"options":{%}}',
      '{%}',
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([key, template, value]) => template.replace('%', `"${key}":${JSON.stringify({ polluted: value ?? 1, prototype: { polluted: true } })}`));

/** Bodies past REQUEST_BODY_LIMIT (256 KiB by default). */
export const oversized = fc
  .tuple(fc.constantFrom('apiKey', 'provider', 'content'), fc.nat({ max: 200_000 }))
  .map(([field, extra]) => `{"provider":"openai","${field}":"${'y'.repeat(262_144 + extra)}"}`);

export const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', ''];

/** What reached a handler intact: chat:cancel's only valid shape, per its DTO. */
export function isValidCancel(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  const keys = Object.keys(payload);
  const id = (payload as { id?: unknown }).id;
  return keys.length === 1 && keys[0] === 'id' && typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** Characters Node's HTTP client lets through in a header value: tab, printable ASCII, Latin-1. */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
  fc.constantFrom('\t', '\u0080', '\u00a0', '\u00e9', '\u00ff'),
);
const headerText = fc.string({ unit: headerChar, maxLength: 80 });
const port = fc.integer({ min: 0, max: 70_000 });
const casing = (text: string, upper: boolean[]): string =>
  [...text].map((char, index) => (upper[index % upper.length] ? char.toUpperCase() : char)).join('');

/** Host headers: the loopback names in odd spellings, rebinding names, and anything at all. */
export const hostHeader = fc.oneof(
  fc
    .tuple(fc.constantFrom('localhost', '127.0.0.1', '[::1]'), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '.'), fc.option(port))
    .map(([name, upper, dot, at]) => `${casing(name, upper)}${dot}${at === null ? '' : `:${at}`}`),
  fc
    .tuple(fc.constantFrom('attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', 'localhostx', '127.0.0.2', '[::2]', 'user@localhost', 'localhost/x', 'localhost:3000:1'), fc.option(port))
    .map(([name, at]) => `${name}${at === null ? '' : `:${at}`}`),
  headerText,
);

/** Forwarding headers from a client that may or may not be a trusted proxy. */
export const forwardingHeaders = fc.record(
  {
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), fc.array(fc.oneof(fc.ipV4(), headerText), { maxLength: 4 }).map((hops) => hops.join(', ')), headerText, fc.constant('x'.repeat(5000))),
    'x-forwarded-proto': fc.oneof(fc.constantFrom('https', 'http', 'https, http', 'HTTPS', 'wss', ''), headerText),
    'x-forwarded-host': fc.oneof(fc.constantFrom('attacker.example', 'localhost'), headerText),
    forwarded: fc.oneof(fc.constant('for=1.2.3.4;proto=https;host=attacker.example'), headerText),
  },
  { requiredKeys: [] },
);

/** Whether the development default of ALLOWED_HOSTS names this Host, written independently of the API's parser. */
export function isLoopbackHost(host: string): boolean {
  const match = /^(localhost|127\.0\.0\.1|\[::1\])\.?(?::(\d{1,5}))?$/i.exec(host);
  return match !== null && (match[2] === undefined || (Number(match[2]) >= 1 && Number(match[2]) <= 65535));
}
