import type { RedisClient } from '../../redis/redis.module';
import { storeUnavailable } from '../../common/errors/api-exception';
import type { ReplicaAcks } from '../../redis/replica-acks';
import { KEYRING_CLAIM_PREFIX, KEYRING_PREFIX, KeyringStore, type StoredProviderKey } from './keyring-store';

/**
 * Keyrings as Redis hashes, one field per provider. The id sits in a hash tag, so the keyring and
 * the limiter counts of its session share a Cluster slot and can travel in one pipeline.
 */
export class RedisKeyringStore extends KeyringStore {
  /** `acks`: how a set is confirmed on replicas before it counts as saved; null to trust the primary (the admin command). */
  constructor(
    private readonly redis: RedisClient,
    private readonly acks: ReplicaAcks | null = null,
  ) {
    super();
  }

  async get(keyringId: string, providerId: string): Promise<StoredProviderKey | null> {
    const json = await this.run(() => this.redis.hget(keyOf(keyringId), providerId));
    return json === null ? null : parseEntry(json);
  }

  async getAll(keyringId: string): Promise<Map<string, StoredProviderKey>> {
    const fields = await this.run(() => this.redis.hgetall(keyOf(keyringId)));
    const entries = new Map<string, StoredProviderKey>();
    for (const [providerId, json] of Object.entries(fields)) {
      const entry = parseEntry(json);
      if (entry) entries.set(providerId, entry);
    }
    return entries;
  }

  async put(keyringId: string, providerId: string, entry: StoredProviderKey, expiresAt: number): Promise<boolean> {
    const key = keyOf(keyringId);
    // NX sets the expiry of a new keyring, GT moves an existing one only later (Redis 7.0).
    const [added] = await this.transaction(() =>
      this.redis
        .multi()
        .hset(key, providerId, JSON.stringify(entry))
        .pexpireat(key, expiresAt, 'NX')
        .pexpireat(key, expiresAt, 'GT')
        .exec(),
    );
    await this.acks?.confirm(key);
    return added === 0;
  }

  async removeIfUnchanged(keyringId: string, entries: ReadonlyMap<string, StoredProviderKey>): Promise<string[]> {
    if (entries.size === 0) return [];
    const pairs = [...entries].flatMap(([providerId, entry]) => [providerId, entry.sealed]);
    const removed = await this.run(() => this.redis.eval(REMOVE_IF_UNCHANGED, 1, keyOf(keyringId), ...pairs));
    return Array.isArray(removed) ? removed.filter((id): id is string => typeof id === 'string') : [];
  }

  async remove(keyringId: string, providerId: string): Promise<boolean> {
    return (await this.run(() => this.redis.hdel(keyOf(keyringId), providerId))) === 1;
  }

  async removeAll(keyringId: string): Promise<string[]> {
    const key = keyOf(keyringId);
    const [providers] = await this.transaction(() => this.redis.multi().hkeys(key).del(key).exec());
    return providers as string[];
  }

  async extend(keyringId: string, expiresAt: number): Promise<void> {
    await this.run(() => this.redis.pexpireat(keyOf(keyringId), expiresAt));
  }

  async claim(claimId: string, candidate: string, ttlMs: number): Promise<string> {
    // SET … NX GET: sets when absent and answers nil, or leaves the earlier claim and answers it.
    const earlier = await this.run(() =>
      this.redis.call('SET', `${KEYRING_CLAIM_PREFIX}${claimId}`, candidate, 'PX', String(ttlMs), 'NX', 'GET'),
    );
    return typeof earlier === 'string' ? earlier : candidate;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      // ioredis errors name the host and command, never a value; the caller owes the user a 503.
      throw storeUnavailable();
    }
  }

  private async transaction(command: () => Promise<[Error | null, unknown][] | null>): Promise<unknown[]> {
    const results = await this.run(command);
    if (!results || results.some(([error]) => error)) throw storeUnavailable();
    return results.map(([, value]) => value);
  }
}

/** Compares and deletes on the server, in one step: a sealed value is unique, so a plain substring test identifies it. */
const REMOVE_IF_UNCHANGED = `
local removed = {}
for i = 1, #ARGV, 2 do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value and string.find(value, ARGV[i + 1], 1, true) then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed[#removed + 1] = ARGV[i]
  end
end
return removed`;

function keyOf(keyringId: string): string {
  return `${KEYRING_PREFIX}{${keyringId}}`;
}

/** A field that is not a well-formed entry (edited by hand, cut short) counts as no key. */
function parseEntry(json: string): StoredProviderKey | null {
  try {
    const value = JSON.parse(json) as Partial<StoredProviderKey>;
    return typeof value.sealed === 'string' && typeof value.masked === 'string' ? (value as StoredProviderKey) : null;
  } catch {
    return null;
  }
}
