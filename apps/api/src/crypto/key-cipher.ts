import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Secret } from '../common/secret';

/** Ciphertext of a key as stored in a keyring: `v1:<keyId>:<base64url(iv | tag | ciphertext)>`. */
export type SealedKey = string & { readonly __brand: 'SealedKey' };

/** What a sealed key is bound to: moved to another keyring or provider, it no longer opens. */
export interface SealContext {
  keyringId: string;
  providerId: string;
}

export class KeyCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyCipherError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'byok keystore v1 aes-256-gcm';

interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * AES-256-GCM envelope for stored API keys. Each server secret yields a subkey through HKDF and
 * a short public id; the newest secret seals, every listed secret opens, so secrets can be
 * rotated by putting the new one first and keeping the old ones until the keys sealed with them have lapsed.
 */
export class KeyCipher {
  private readonly dataKeys: DataKey[];

  constructor(secrets: readonly Secret[]) {
    if (secrets.length === 0) {
      throw new KeyCipherError('at least one keystore secret is required');
    }
    this.dataKeys = secrets.map((secret) => deriveDataKey(secret));
  }

  seal(plaintext: Secret, context: SealContext): SealedKey {
    const { id, key } = this.dataKeys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext.reveal(), 'utf8'), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    return `${VERSION}:${id}:${payload}` as SealedKey;
  }

  open(sealed: SealedKey, context: SealContext): Secret {
    const [version, keyId, payload, ...rest] = sealed.split(':');
    if (version !== VERSION || !keyId || !payload || rest.length > 0) {
      throw new KeyCipherError('unknown envelope format');
    }
    const dataKey = this.dataKeys.find((candidate) => candidate.id === keyId);
    if (!dataKey) {
      throw new KeyCipherError(`no keystore secret with id ${keyId}; was it removed from KEYSTORE_SECRETS?`);
    }
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) {
      throw new KeyCipherError('envelope too short');
    }
    const decipher = createDecipheriv('aes-256-gcm', dataKey.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(keyId, context));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      const plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return new Secret(plaintext.toString('utf8'));
    } catch {
      throw new KeyCipherError('envelope failed authentication (tampered, or bound to another keyring or provider)');
    }
  }

  /** False when no configured secret has the envelope's key id (the secret was retired). */
  hasSecretFor(sealed: SealedKey): boolean {
    const keyId = sealed.split(':')[1];
    return this.dataKeys.some((candidate) => candidate.id === keyId);
  }
}

function deriveDataKey(secret: Secret): DataKey {
  const key = Buffer.from(hkdfSync('sha256', secret.reveal(), 'byok-keystore', HKDF_INFO, 32));
  // The id names the secret without revealing it: a hash of the derived key, not of the secret.
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  return { id, key };
}

function associatedData(keyId: string, { keyringId, providerId }: SealContext): Buffer {
  return Buffer.from(JSON.stringify([VERSION, keyId, keyringId, providerId]), 'utf8');
}
