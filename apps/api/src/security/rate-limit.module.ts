import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { type ExecutionContext, Logger, Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type Redis from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { storeUnavailable } from '../common/errors/api-exception';
import { REDIS } from '../redis/redis.module';

/** Counts in Redis hold across instances; a Redis outage becomes a 503, not a 500. */
class SharedThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');

  constructor(private readonly inner: ThrottlerStorageRedisService) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.logger.warn(`Rate-limit store unavailable: ${error instanceof Error ? error.message : 'unknown error'}`);
      throw storeUnavailable();
    }
  }
}

/** Limits on the endpoints that can be abused (key set and validate, chat streams), applied with ThrottlerGuard. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null) => ({
        throttlers: [
          // "default" guards the key endpoints; routes opt out of the throttler that is not theirs.
          { name: 'default', limit: config.keyRateLimit, ttl: config.keyRateWindowMs },
          { name: 'chat', limit: config.chatRateLimit, ttl: 60_000 },
        ],
        // One count per client and throttler, whatever the route: key set and validate share theirs.
        generateKey: (_context: ExecutionContext, tracker: string, throttlerName: string) => `${throttlerName}:${tracker}`,
        storage: redis
          ? new SharedThrottlerStorage(new ThrottlerStorageRedisService(redis))
          : new ThrottlerStorageService(),
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class RateLimitModule {}
