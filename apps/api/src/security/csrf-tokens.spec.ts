import { Secret } from '../common/secret';
import { CsrfTokens } from './csrf-tokens';

const OLD_SECRET = new Secret('old-session-secret-0123456789-abcdefgh');
const NEW_SECRET = new Secret('new-session-secret-0123456789-abcdefgh');

describe('CsrfTokens', () => {
  const tokens = new CsrfTokens([OLD_SECRET]);
  const seed = CsrfTokens.newSeed();

  it('makes a fresh random seed each time', () => {
    expect(CsrfTokens.newSeed()).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(CsrfTokens.newSeed()).not.toBe(CsrfTokens.newSeed());
  });

  it('issues tokens of the form <nonce>.<signature>', () => {
    expect(tokens.issue(seed)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('issues a different token each time for the same seed, all valid', () => {
    const first = tokens.issue(seed);
    const second = tokens.issue(seed);
    expect(first).not.toBe(second);
    expect(tokens.verify(first, seed)).toBe(true);
    expect(tokens.verify(second, seed)).toBe(true);
  });

  it('verifies a token for the seed it was issued for', () => {
    expect(tokens.verify(tokens.issue(seed), seed)).toBe(true);
  });

  it('does not verify a token for another seed', () => {
    expect(tokens.verify(tokens.issue(seed), CsrfTokens.newSeed())).toBe(false);
  });

  it('does not verify a token issued under a secret it does not hold', () => {
    const stranger = new CsrfTokens([NEW_SECRET]);
    expect(tokens.verify(stranger.issue(seed), seed)).toBe(false);
  });

  it('rejects a token with any character of its signature changed', () => {
    const token = tokens.issue(seed);
    const dot = token.indexOf('.');
    for (let i = dot + 1; i < token.length; i++) {
      const replacement = token[i] === 'A' ? 'B' : 'A';
      const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
      expect(tokens.verify(tampered, seed)).toBe(false);
    }
  });

  it('rejects a token whose nonce was changed', () => {
    const token = tokens.issue(seed);
    const replacement = token[0] === 'A' ? 'B' : 'A';
    expect(tokens.verify(replacement + token.slice(1), seed)).toBe(false);
  });

  it('rejects a signature moved onto another nonce', () => {
    const [, signature] = tokens.issue(seed).split('.');
    const [otherNonce] = tokens.issue(seed).split('.');
    expect(tokens.verify(`${otherNonce}.${signature}`, seed)).toBe(false);
  });

  it('keeps verifying tokens from the old secret after rotation ([new, old])', () => {
    const oldToken = tokens.issue(seed);
    const rotated = new CsrfTokens([NEW_SECRET, OLD_SECRET]);
    expect(rotated.verify(oldToken, seed)).toBe(true);
  });

  it('issues tokens with the new secret after rotation', () => {
    const rotated = new CsrfTokens([NEW_SECRET, OLD_SECRET]);
    const token = rotated.issue(seed);
    expect(new CsrfTokens([NEW_SECRET]).verify(token, seed)).toBe(true);
    expect(tokens.verify(token, seed)).toBe(false);
  });

  it('stops verifying tokens of a secret once it is retired', () => {
    const oldToken = tokens.issue(seed);
    expect(new CsrfTokens([NEW_SECRET]).verify(oldToken, seed)).toBe(false);
  });

  it.each([
    ['an empty token', ''],
    ['a token without a dot', 'abcdef'],
    ['a token with an empty nonce', '.abcdef'],
    ['a token with an empty signature', 'abcdef.'],
    ['a lone dot', '.'],
    ['a token with three parts', 'a.b.c'],
    ['non-ASCII text', 'ñ.ü'],
  ])('rejects %s', (_label, token) => {
    expect(tokens.verify(token, seed)).toBe(false);
  });

  it('rejects a valid token with extra parts appended', () => {
    expect(tokens.verify(`${tokens.issue(seed)}.extra`, seed)).toBe(false);
  });

  it('rejects a valid token with its signature truncated', () => {
    expect(tokens.verify(tokens.issue(seed).slice(0, -1), seed)).toBe(false);
  });
});
