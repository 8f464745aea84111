import { Secret } from '../common/secret';
import { KeyCipher, KeyCipherError, type SealedKey } from './key-cipher';

const SECRET_A = new Secret('a'.repeat(16) + 'keystore-secret-A-0123456789');
const SECRET_B = new Secret('b'.repeat(16) + 'keystore-secret-B-0123456789');
const API_KEY = 'sk-proj-Q7xW2mPz9LkT4vR8nB3cY6hJ';
const CONTEXT = { keyringId: 'keyring-1', providerId: 'openai' };

function keyIdOf(sealed: SealedKey): string {
  return sealed.split(':')[1];
}

function withPayload(sealed: SealedKey, bytes: Buffer): SealedKey {
  const [version, keyId] = sealed.split(':');
  return `${version}:${keyId}:${bytes.toString('base64url')}` as SealedKey;
}

describe('KeyCipher', () => {
  const cipher = new KeyCipher([SECRET_A]);

  it('refuses to be built without a secret', () => {
    expect(() => new KeyCipher([])).toThrow(KeyCipherError);
  });

  it('opens what it sealed', () => {
    const opened = cipher.open(cipher.seal(new Secret(API_KEY), CONTEXT), CONTEXT);
    expect(opened).toBeInstanceOf(Secret);
    expect(opened.reveal()).toBe(API_KEY);
  });

  it('round-trips non-ASCII text', () => {
    const text = 'ключ-🔑-キー';
    expect(cipher.open(cipher.seal(new Secret(text), CONTEXT), CONTEXT).reveal()).toBe(text);
  });

  it('writes envelopes as v1:<keyId>:<base64url>', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]+$/);
    const payload = Buffer.from(sealed.split(':')[2], 'base64url');
    // 12-byte IV, 16-byte tag, then ciphertext as long as the UTF-8 plaintext (GCM does not pad).
    expect(payload.length).toBe(12 + 16 + Buffer.byteLength(API_KEY));
  });

  it('uses the same key id for every envelope sealed with one secret', () => {
    const first = cipher.seal(new Secret(API_KEY), CONTEXT);
    const second = new KeyCipher([SECRET_A]).seal(new Secret('other'), { keyringId: 's', providerId: 'p' });
    expect(keyIdOf(first)).toBe(keyIdOf(second));
  });

  it('produces different ciphertext each time (random IV)', () => {
    const sealed = new Set(Array.from({ length: 20 }, () => cipher.seal(new Secret(API_KEY), CONTEXT)));
    expect(sealed.size).toBe(20);
  });

  it('never contains the plaintext, or the secret, in the envelope', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    expect(sealed).not.toContain(API_KEY);
    expect(sealed).not.toContain(API_KEY.slice(-8));
    expect(sealed).not.toContain(Buffer.from(API_KEY).toString('base64url').slice(0, 12));
    expect(sealed).not.toContain(SECRET_A.reveal());
    expect(Buffer.from(sealed.split(':')[2], 'base64url').includes(Buffer.from(API_KEY))).toBe(false);
  });

  it('rejects an envelope with any single byte of its payload changed', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    const payload = Buffer.from(sealed.split(':')[2], 'base64url');
    for (let i = 0; i < payload.length; i++) {
      const tampered = Buffer.from(payload);
      tampered[i] ^= 0x01;
      expect(() => cipher.open(withPayload(sealed, tampered), CONTEXT)).toThrow(KeyCipherError);
    }
  });

  it('rejects an envelope with its payload truncated or extended', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    const payload = Buffer.from(sealed.split(':')[2], 'base64url');
    expect(() => cipher.open(withPayload(sealed, payload.subarray(0, -1)), CONTEXT)).toThrow(KeyCipherError);
    expect(() => cipher.open(withPayload(sealed, Buffer.concat([payload, Buffer.from([0])])), CONTEXT)).toThrow(
      KeyCipherError,
    );
  });

  it('does not open in another session', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    expect(() => cipher.open(sealed, { ...CONTEXT, keyringId: 'keyring-2' })).toThrow(KeyCipherError);
  });

  it('does not open for another provider', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    expect(() => cipher.open(sealed, { ...CONTEXT, providerId: 'anthropic' })).toThrow(KeyCipherError);
  });

  it('does not open when context fields are shifted between session and provider', () => {
    const sealed = cipher.seal(new Secret(API_KEY), { keyringId: 'ab', providerId: 'c' });
    expect(() => cipher.open(sealed, { keyringId: 'a', providerId: 'bc' })).toThrow(KeyCipherError);
  });

  it('does not open under another secret relabelled with the right key id', () => {
    const sealed = cipher.seal(new Secret(API_KEY), CONTEXT);
    const other = new KeyCipher([SECRET_B]);
    const otherId = keyIdOf(other.seal(new Secret('x'), CONTEXT));
    const relabelled = sealed.replace(`:${keyIdOf(sealed)}:`, `:${otherId}:`) as SealedKey;
    expect(() => other.open(relabelled, CONTEXT)).toThrow(KeyCipherError);
  });

  describe('rotation', () => {
    const oldCipher = new KeyCipher([SECRET_A]);
    const rotated = new KeyCipher([SECRET_B, SECRET_A]);

    it('opens envelopes sealed with the old secret once a new one is put first', () => {
      const sealed = oldCipher.seal(new Secret(API_KEY), CONTEXT);
      expect(rotated.open(sealed, CONTEXT).reveal()).toBe(API_KEY);
    });

    it('knows it has a secret for envelopes sealed with any listed secret', () => {
      expect(rotated.hasSecretFor(oldCipher.seal(new Secret(API_KEY), CONTEXT))).toBe(true);
      expect(rotated.hasSecretFor(rotated.seal(new Secret(API_KEY), CONTEXT))).toBe(true);
    });

    it('knows it has no secret for envelopes sealed with a retired secret', () => {
      expect(oldCipher.hasSecretFor(rotated.seal(new Secret(API_KEY), CONTEXT))).toBe(false);
    });

    it('seals new envelopes with the first (newest) secret', () => {
      const sealed = rotated.seal(new Secret(API_KEY), CONTEXT);
      expect(keyIdOf(sealed)).toBe(keyIdOf(new KeyCipher([SECRET_B]).seal(new Secret('x'), CONTEXT)));
      expect(keyIdOf(sealed)).not.toBe(keyIdOf(oldCipher.seal(new Secret('x'), CONTEXT)));
      expect(new KeyCipher([SECRET_B]).open(sealed, CONTEXT).reveal()).toBe(API_KEY);
    });

    it('fails naming the key id when the sealing secret was removed from the list', () => {
      const sealed = oldCipher.seal(new Secret(API_KEY), CONTEXT);
      const keyId = keyIdOf(sealed);
      const withoutA = new KeyCipher([SECRET_B]);
      expect(() => withoutA.open(sealed, CONTEXT)).toThrow(KeyCipherError);
      expect(() => withoutA.open(sealed, CONTEXT)).toThrow(keyId);
    });

    it('does not reveal the secret in the key id', () => {
      const keyId = keyIdOf(oldCipher.seal(new Secret(API_KEY), CONTEXT));
      expect(SECRET_A.reveal()).not.toContain(keyId);
    });
  });

  describe('malformed envelopes', () => {
    const good = cipher.seal(new Secret(API_KEY), CONTEXT);
    const [, keyId, payload] = good.split(':');

    it.each([
      ['an empty string', ''],
      ['plain text', 'not an envelope'],
      ['an unknown version', `v2:${keyId}:${payload}`],
      ['a missing key id', `v1::${payload}`],
      ['a missing payload', `v1:${keyId}:`],
      ['only the version', 'v1'],
      ['an extra field', `${good}:extra`],
      ['a payload shorter than IV and tag', `v1:${keyId}:${Buffer.alloc(28).toString('base64url')}`],
      ['a payload of non-base64 characters', `v1:${keyId}:!!!!!!!!`],
      ['the plaintext key in place of a payload', `v1:${keyId}:${API_KEY}`],
    ])('rejects %s', (_label, envelope) => {
      expect(() => cipher.open(envelope as SealedKey, CONTEXT)).toThrow(KeyCipherError);
    });
  });
});
