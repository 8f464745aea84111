import {
  BUILT_IN_KEY_FORMATS,
  GENERIC_KEY_FORMAT,
  checkKeyFormat,
  maskKey,
  type KeyFormatProblemCode,
  type KeyFormatRule,
} from './key-format';

const OPENAI_KEY = 'sk-proj-Q7xW2mPz9LkT4vR8nB3cY6hJ';
const ANTHROPIC_KEY = 'sk-ant-api03-Zr5Tq8Wm2Xv9Kp4Ln7Bc';
const GEMINI_KEY = 'AIzaSyD4f8Gh2Jk6Lm0Np3Qr7St9Uv1Wx5Yz';
const OLLAMA_KEY = 'local-ollama-token-123';

describe('checkKeyFormat', () => {
  const openai = BUILT_IN_KEY_FORMATS.openai;

  it.each([
    ['openai', OPENAI_KEY],
    ['anthropic', ANTHROPIC_KEY],
    ['gemini', GEMINI_KEY],
    ['ollama', OLLAMA_KEY],
  ] as const)('accepts a well-formed %s key', (provider, key) => {
    expect(checkKeyFormat(key, BUILT_IN_KEY_FORMATS[provider], provider)).toBeNull();
  });

  it('accepts keys made of every allowed character class', () => {
    expect(checkKeyFormat('sk-Aa0-_.~+/=:Zz9abcdef', openai, 'OpenAI')).toBeNull();
  });

  it('accepts keys exactly at the minimum and maximum length', () => {
    expect(checkKeyFormat('sk-' + 'a'.repeat(openai.minLength - 3), openai, 'OpenAI')).toBeNull();
    expect(checkKeyFormat('sk-' + 'a'.repeat(openai.maxLength - 3), openai, 'OpenAI')).toBeNull();
  });

  const cases: Array<[string, KeyFormatProblemCode, string, KeyFormatRule]> = [
    ['an empty key', 'empty', '', openai],
    ['a key one character below the minimum', 'too_short', 'sk-' + 'a'.repeat(openai.minLength - 4), openai],
    ['a key one character above the maximum', 'too_long', 'sk-' + 'a'.repeat(openai.maxLength - 2), openai],
    ['a key with a space inside', 'whitespace', 'sk-proj-Q7xW2mPz9 LkT4vR8nB3cY6hJ', openai],
    ['a key with a leading space', 'whitespace', ' ' + OPENAI_KEY, openai],
    ['a key with a non-breaking space', 'whitespace', OPENAI_KEY + '\u00a0', openai],
    ['a key with a trailing newline (pasted with its line break)', 'whitespace', OPENAI_KEY + '\n', openai],
    ['a key with a trailing CRLF', 'whitespace', OPENAI_KEY + '\r\n', openai],
    ['a key with a NUL byte', 'control_character', 'sk-proj-Q7xW2\u0000mPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with an escape character', 'control_character', 'sk-proj-Q7xW2\u001bmPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with DEL', 'control_character', 'sk-proj-Q7xW2\u007fmPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with a C1 control character', 'control_character', 'sk-proj-Q7xW2\u0085mPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with a quote', 'invalid_character', 'sk-proj-Q7xW2"mPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with a non-ASCII letter', 'invalid_character', 'sk-proj-Q7xW2émPz9LkT4vR8nB3cY6hJ', openai],
    ['a key with angle brackets', 'invalid_character', 'sk-proj-<script>LkT4vR8nB3cY6hJ', openai],
    ['an Anthropic key given to OpenAI', 'foreign_prefix', ANTHROPIC_KEY, openai],
    ['a Gemini key given to OpenAI', 'wrong_prefix', GEMINI_KEY, openai],
    ['an OpenAI key given to Anthropic', 'wrong_prefix', OPENAI_KEY, BUILT_IN_KEY_FORMATS.anthropic],
    ['an OpenAI key given to Gemini', 'wrong_prefix', OPENAI_KEY, BUILT_IN_KEY_FORMATS.gemini],
    ['a Gemini key with the wrong case of prefix', 'wrong_prefix', 'aiza' + GEMINI_KEY.slice(4), BUILT_IN_KEY_FORMATS.gemini],
  ];

  it.each(cases)('reports %s as %s', (_label, code, key, rule) => {
    expect(checkKeyFormat(key, rule, 'Acme')?.code).toBe(code);
  });

  it.each(cases)('does not quote the key in the message for %s (%s)', (_label, _code, key, rule) => {
    const problem = checkKeyFormat(key, rule, 'Acme');
    expect(problem).not.toBeNull();
    expect(problem?.message).toContain('Acme');
    if (key.length > 0) {
      expect(problem?.message).not.toContain(key.trim());
      // Not even a recognisable part of it.
      expect(problem?.message).not.toContain(key.trim().slice(-8));
    }
  });

  it('names the expected prefix in a wrong_prefix message', () => {
    expect(checkKeyFormat(OPENAI_KEY, BUILT_IN_KEY_FORMATS.gemini, 'Google Gemini')?.message).toContain('"AIza"');
  });

  it('accepts any start for a rule without prefixes', () => {
    expect(checkKeyFormat('sk-ant-anything-goes', GENERIC_KEY_FORMAT, 'Ollama')).toBeNull();
  });
});

describe('maskKey', () => {
  const middleOf = (key: string): string => key.slice(7, -4);

  it('shows the known prefix and the last 4 characters of a long key', () => {
    expect(maskKey(OPENAI_KEY, BUILT_IN_KEY_FORMATS.openai)).toBe('sk-…Y6hJ');
    expect(maskKey(ANTHROPIC_KEY, BUILT_IN_KEY_FORMATS.anthropic)).toBe('sk-ant-…n7Bc');
    expect(maskKey(GEMINI_KEY, BUILT_IN_KEY_FORMATS.gemini)).toBe('AIza…x5Yz');
    expect(maskKey(OLLAMA_KEY, BUILT_IN_KEY_FORMATS.ollama)).toBe('…-123');
  });

  it('shows no prefix for a rule without prefixes', () => {
    expect(maskKey('abcdefghijklmnopqrstuvwxyz', GENERIC_KEY_FORMAT)).toBe('…wxyz');
  });

  it('shows at most 7 characters of a long configured prefix', () => {
    const rule: KeyFormatRule = { ...GENERIC_KEY_FORMAT, prefixes: ['longprefix12'] };
    const masked = maskKey('longprefix12' + 'S'.repeat(20) + 'TAIL', rule);
    expect(masked).toBe('longpre…TAIL');
  });

  it.each([
    ['openai', OPENAI_KEY],
    ['anthropic', ANTHROPIC_KEY],
    ['gemini', GEMINI_KEY],
    ['ollama', OLLAMA_KEY],
  ] as const)('never contains the middle of a %s key', (provider, key) => {
    const masked = maskKey(key, BUILT_IN_KEY_FORMATS[provider]);
    const middle = middleOf(key);
    for (let i = 0; i + 3 <= middle.length; i++) {
      expect(masked).not.toContain(middle.slice(i, i + 3));
    }
  });

  it.each(Object.entries(BUILT_IN_KEY_FORMATS))(
    'shows at most 7 prefix characters plus 4 more for every valid %s key length',
    (_provider, rule) => {
      const prefix = rule.prefixes[0] ?? '';
      for (let length = rule.minLength; length <= Math.min(rule.maxLength, 80); length++) {
        const key = prefix + 'x'.repeat(length - prefix.length);
        const masked = maskKey(key, rule);
        expect(masked.length - 1).toBeLessThanOrEqual(Math.min(prefix.length, 7) + 4);
      }
    },
  );

  it.each(Object.entries(BUILT_IN_KEY_FORMATS))(
    'hides at least half of the secret part of every valid short %s key',
    (_provider, rule) => {
      const prefix = rule.prefixes[0] ?? '';
      for (let length = rule.minLength; length <= Math.min(rule.maxLength, 40); length++) {
        const secretPart = 'x'.repeat(length - prefix.length);
        const masked = maskKey(prefix + secretPart, rule);
        const shownOfSecret = masked.length - 1 - prefix.length;
        expect(shownOfSecret).toBeLessThanOrEqual(secretPart.length / 2);
        expect(masked.length - 1).toBeLessThanOrEqual(length / 2);
      }
    },
  );

  it('shows only the last 2 characters of a short generic key', () => {
    expect(maskKey('abcdefgh', GENERIC_KEY_FORMAT)).toBe('…gh');
    expect(maskKey('abcdefghijklmno', GENERIC_KEY_FORMAT)).toBe('…no');
  });
});
