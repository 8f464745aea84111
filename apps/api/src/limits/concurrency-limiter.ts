import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.module';
import type { Clock } from '../common/clock';
import { storeUnavailable } from '../common/errors/api-exception';

/** A held slot; release it when the stream or socket ends. */
export interface Lease {
  release(): void;
}

/** What runs at the same time: chat streams of one session, open sockets of one session or address. */
export type ConcurrencyBucket = 'streams' | 'sockets';

export const LEASE_PREFIX = 'byok:lease:';

/** Counts things running at the same time per identity, across every instance that shares the store. */
export abstract class ConcurrencyLimiter {
  /** Takes one of `max` slots; null when all are taken. */
  abstract acquire(bucket: ConcurrencyBucket, identity: string, max: number): Promise<Lease | null>;

  abstract close(): void;
}

/** How long a slot outlives its holder's instance when that instance dies without releasing it. */
const LEASE_TTL_MS = 30_000;
const RENEW_INTERVAL_MS = LEASE_TTL_MS / 3;

// Drops the slots whose holders stopped renewing them, then takes one if any is free.
const ACQUIRE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

interface HeldLease {
  key: string;
  member: string;
}

type AcquireCommand = (key: string, now: number, expiresAt: number, max: number, member: string, ttl: number) => Promise<number>;

/**
 * Slots as members of a Redis sorted set scored by their expiry. Each instance renews the slots
 * it holds with one pipeline every few seconds, so a crashed instance's slots lapse on their own.
 */
export class RedisConcurrencyLimiter extends ConcurrencyLimiter {
  private readonly logger = new Logger('ConcurrencyLimit');
  private readonly held = new Set<HeldLease>();
  private readonly renewTimer: NodeJS.Timeout;
  private readonly acquireCommand: AcquireCommand;

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
  ) {
    super();
    redis.defineCommand('byokAcquireLease', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    this.acquireCommand = (redis as unknown as { byokAcquireLease: AcquireCommand }).byokAcquireLease.bind(redis);
    this.renewTimer = setInterval(() => void this.renew(), RENEW_INTERVAL_MS);
    this.renewTimer.unref();
  }

  async acquire(bucket: ConcurrencyBucket, identity: string, max: number): Promise<Lease | null> {
    const lease: HeldLease = { key: `${LEASE_PREFIX}${bucket}:{${identity}}`, member: randomUUID() };
    const now = this.clock.now();
    let taken: number;
    try {
      taken = await this.acquireCommand(lease.key, now, now + LEASE_TTL_MS, max, lease.member, LEASE_TTL_MS);
    } catch (error) {
      this.logger.warn(`Concurrency store unavailable: ${error instanceof Error ? error.message : 'unknown error'}`);
      throw storeUnavailable();
    }
    if (taken !== 1) return null;
    this.held.add(lease);
    return { release: () => this.release(lease) };
  }

  close(): void {
    clearInterval(this.renewTimer);
  }

  private release(lease: HeldLease): void {
    if (!this.held.delete(lease)) return;
    this.redis.zrem(lease.key, lease.member).catch((error: unknown) => {
      // The slot lapses by itself within the lease time.
      this.logger.warn(`Slot not released now: ${error instanceof Error ? error.message : 'unknown error'}`);
    });
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const expiresAt = this.clock.now() + LEASE_TTL_MS;
    // Separate commands, not one explicit pipeline: the leases live in many Cluster slots, and
    // auto-pipelining still sends them in one write per node.
    const renewals = [...this.held].flatMap(({ key, member }) => [
      this.redis.zadd(key, 'XX', expiresAt, member),
      this.redis.pexpire(key, LEASE_TTL_MS),
    ]);
    try {
      await Promise.all(renewals);
    } catch (error) {
      this.logger.warn(`Slots not renewed: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
  }
}

/** Slots of one process, for a single instance without Redis. */
export class InProcessConcurrencyLimiter extends ConcurrencyLimiter {
  private readonly counts = new Map<string, number>();

  async acquire(bucket: ConcurrencyBucket, identity: string, max: number): Promise<Lease | null> {
    const key = `${bucket}:${identity}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= max) return null;
    this.counts.set(key, count + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.counts.get(key) ?? 1) - 1;
        if (left > 0) this.counts.set(key, left);
        else this.counts.delete(key);
      },
    };
  }

  close(): void {
    this.counts.clear();
  }
}
