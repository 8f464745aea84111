import { Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '../redis/redis.module';
import type { AppConfig } from '../config/app-config';
import { storeUnavailable } from '../common/errors/api-exception';

/** What is counted: key set and validate share one bucket, chat streams over both transports another. */
export type RateBucket = 'keys' | 'chat';

export const RATE_PREFIX = 'byok:rate:';

/**
 * The one rate limiter of the API (rate-limiter-flexible), for HTTP routes and socket events
 * alike. In Redis its counts hold across reconnects and instances; identities arrive hashed.
 */
export class RateLimits {
  private readonly logger = new Logger('RateLimit');
  private readonly limiters: Record<RateBucket, RateLimiterAbstract>;

  constructor(config: AppConfig, redis: RedisClient | null) {
    const options = (bucket: RateBucket, points: number, windowMs: number) => ({
      keyPrefix: `${RATE_PREFIX}${bucket}`,
      points,
      duration: Math.ceil(windowMs / 1000),
    });
    const build = (bucket: RateBucket, points: number, windowMs: number): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({ ...options(bucket, points, windowMs), storeClient: redis })
        : new RateLimiterMemory(options(bucket, points, windowMs));
    this.limiters = {
      keys: build('keys', config.keyRateLimit, config.keyRateWindowMs),
      chat: build('chat', config.chatRateLimit, 60_000),
    };
  }

  /**
   * Counts one request of `identity`; null when allowed, else the seconds to wait. The identity
   * goes in a hash tag, so in a Cluster the count shares a slot with the session's keyring.
   */
  async consume(bucket: RateBucket, identity: string): Promise<number | null> {
    try {
      await this.limiters[bucket].consume(`{${identity}}`);
      return null;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
      this.logger.warn(`Rate-limit store unavailable: ${outcome instanceof Error ? outcome.message : 'unknown error'}`);
      throw storeUnavailable();
    }
  }
}
