import { ApiException } from '../common/errors/api-exception';
import type { RedisClient } from './redis.module';

/**
 * Durability of a key set: it is acknowledged only once REDIS_REPLICA_ACKS replicas have the
 * write (WAIT), so a failover that promotes one of them cannot lose a key the user was told was
 * saved. With 0 the primary's own acknowledgement is enough.
 */
export class ReplicaAcks {
  constructor(
    private readonly redis: RedisClient,
    private readonly acks: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Waits for the replicas to confirm every write this instance sent to the node that holds
   * `key` (WAIT counts a connection's earlier writes); EXISTS on the key sends the pipeline to
   * that node in a Cluster too.
   */
  async confirm(key: string): Promise<void> {
    if (this.acks === 0) return;
    let confirmed: unknown;
    try {
      const results = await this.redis.pipeline().exists(key).wait(this.acks, this.timeoutMs).exec();
      confirmed = results?.[1]?.[1];
    } catch {
      confirmed = null;
    }
    if (typeof confirmed !== 'number' || confirmed < this.acks) {
      throw new ApiException(
        503,
        'store_unavailable',
        'The key was not confirmed by a standby copy of the key store in time, so it might not survive a failover; set it again shortly.',
        { 'Retry-After': '5' },
      );
    }
  }
}
