import { DEFAULT_KEYS, DEFAULT_TEST_KEY_PREFIX, type KeyTable, TEST_KEY_PREFIXES } from './options';

/** Decides which keys each provider accepts; changeable while the server runs. */
export class KeyPolicy {
  private table: KeyTable = { ...DEFAULT_KEYS };
  private acceptTestKeys = false;

  /** Starts over from {@link DEFAULT_KEYS} with `keys` merged over them. */
  reset(keys: KeyTable, acceptTestKeys: boolean): void {
    this.table = { ...DEFAULT_KEYS, ...keys };
    this.acceptTestKeys = acceptTestKeys;
  }

  setKeys(provider: string, keys: readonly string[] | null): void {
    this.table = { ...this.table, [provider]: keys };
  }

  setAcceptTestKeys(accept: boolean): void {
    this.acceptTestKeys = accept;
  }

  keysOf(provider: string): readonly string[] | null {
    return Object.hasOwn(this.table, provider) ? (this.table[provider] ?? null) : null;
  }

  accepts(provider: string, key: string | null): boolean {
    const accepted = this.keysOf(provider);
    if (accepted === null) return true;
    if (key === null) return false;
    if (accepted.includes(key)) return true;
    if (!this.acceptTestKeys) return false;
    const prefix = Object.hasOwn(TEST_KEY_PREFIXES, provider) ? TEST_KEY_PREFIXES[provider] : DEFAULT_TEST_KEY_PREFIX;
    return key.toLowerCase().startsWith(prefix.toLowerCase());
  }
}
