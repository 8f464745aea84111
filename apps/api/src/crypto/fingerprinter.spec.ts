import { Secret } from '../common/secret';
import { Fingerprinter } from './fingerprinter';

const SECRET_1 = new Secret('fingerprint-secret-one-0123456789abcdef');
const SECRET_2 = new Secret('fingerprint-secret-two-0123456789abcdef');
const API_KEY = 'sk-proj-Q7xW2mPz9LkT4vR8nB3cY6hJ';

describe('Fingerprinter', () => {
  const fingerprinter = new Fingerprinter(SECRET_1);

  it('gives 12 base64url characters', () => {
    expect(fingerprinter.of(API_KEY)).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('is stable for the same input and secret, across instances', () => {
    expect(fingerprinter.of(API_KEY)).toBe(fingerprinter.of(API_KEY));
    expect(new Fingerprinter(SECRET_1).of(API_KEY)).toBe(fingerprinter.of(API_KEY));
  });

  it('gives the same fingerprint for a Secret and its plaintext', () => {
    expect(fingerprinter.of(new Secret(API_KEY))).toBe(fingerprinter.of(API_KEY));
  });

  it('differs for different inputs, even ones differing in one character', () => {
    expect(fingerprinter.of(API_KEY)).not.toBe(fingerprinter.of(API_KEY.slice(0, -1) + 'K'));
    expect(fingerprinter.of('a')).not.toBe(fingerprinter.of('b'));
  });

  it('differs across server secrets, so it cannot be checked without the secret', () => {
    expect(new Fingerprinter(SECRET_2).of(API_KEY)).not.toBe(fingerprinter.of(API_KEY));
  });

  it('is not a plain SHA-256 of the input', () => {
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const plain = createHash('sha256').update(API_KEY).digest('base64url').slice(0, 12);
    expect(fingerprinter.of(API_KEY)).not.toBe(plain);
  });

  it('does not contain the input or any recognisable part of it', () => {
    const fingerprint = fingerprinter.of(API_KEY);
    expect(fingerprint).not.toContain(API_KEY);
    for (let i = 0; i + 4 <= API_KEY.length; i++) {
      expect(fingerprint).not.toContain(API_KEY.slice(i, i + 4));
    }
  });
});
