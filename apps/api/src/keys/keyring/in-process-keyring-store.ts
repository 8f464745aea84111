import type { Clock } from '../../common/clock';
import { KeyringStore, type StoredProviderKey } from './keyring-store';

interface Keyring {
  entries: Map<string, StoredProviderKey>;
  expiresAt: number;
}

const PRUNE_INTERVAL_MS = 60_000;

/**
 * Keyrings of one process, for a single instance without Redis. JavaScript runs each method to
 * its end without interleaving, so every change of one key is as atomic as its Redis command.
 */
export class InProcessKeyringStore extends KeyringStore {
  private readonly keyrings = new Map<string, Keyring>();
  private readonly claims = new Map<string, { keyringId: string; expiresAt: number }>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(private readonly clock: Clock) {
    super();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  async get(keyringId: string, providerId: string): Promise<StoredProviderKey | null> {
    return this.live(keyringId)?.entries.get(providerId) ?? null;
  }

  async getAll(keyringId: string): Promise<Map<string, StoredProviderKey>> {
    return new Map(this.live(keyringId)?.entries);
  }

  async put(keyringId: string, providerId: string, entry: StoredProviderKey, expiresAt: number): Promise<boolean> {
    const keyring = this.live(keyringId) ?? { entries: new Map(), expiresAt };
    const replaced = keyring.entries.has(providerId);
    keyring.entries.set(providerId, entry);
    keyring.expiresAt = Math.max(keyring.expiresAt, expiresAt);
    this.keyrings.set(keyringId, keyring);
    return replaced;
  }

  async remove(keyringId: string, providerId: string): Promise<boolean> {
    const keyring = this.live(keyringId);
    if (!keyring?.entries.delete(providerId)) return false;
    // As Redis does with an emptied hash.
    if (keyring.entries.size === 0) this.keyrings.delete(keyringId);
    return true;
  }

  async removeAll(keyringId: string): Promise<string[]> {
    const providers = [...(this.live(keyringId)?.entries.keys() ?? [])];
    this.keyrings.delete(keyringId);
    return providers;
  }

  async removeIfUnchanged(keyringId: string, entries: ReadonlyMap<string, StoredProviderKey>): Promise<string[]> {
    const keyring = this.live(keyringId);
    if (!keyring) return [];
    const removed = [...entries].flatMap(([providerId, entry]) =>
      keyring.entries.get(providerId)?.sealed === entry.sealed && keyring.entries.delete(providerId) ? [providerId] : [],
    );
    if (keyring.entries.size === 0) this.keyrings.delete(keyringId);
    return removed;
  }

  async extend(keyringId: string, expiresAt: number): Promise<void> {
    const keyring = this.live(keyringId);
    if (keyring) keyring.expiresAt = Math.max(keyring.expiresAt, expiresAt);
  }

  async claim(claimId: string, candidate: string, ttlMs: number): Promise<string> {
    const earlier = this.claims.get(claimId);
    if (earlier && earlier.expiresAt > this.clock.now()) return earlier.keyringId;
    this.claims.set(claimId, { keyringId: candidate, expiresAt: this.clock.now() + ttlMs });
    return candidate;
  }

  get size(): number {
    return this.keyrings.size;
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }

  prune(): void {
    const now = this.clock.now();
    for (const [id, keyring] of this.keyrings) if (keyring.expiresAt <= now) this.keyrings.delete(id);
    for (const [id, claim] of this.claims) if (claim.expiresAt <= now) this.claims.delete(id);
  }

  private live(keyringId: string): Keyring | undefined {
    const keyring = this.keyrings.get(keyringId);
    if (keyring && keyring.expiresAt <= this.clock.now()) {
      this.keyrings.delete(keyringId);
      return undefined;
    }
    return keyring;
  }
}
