import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.module';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { compileTrust, TRUST_FUNCTION } from '../security/trust-proxy';
import { ClientIdentity } from './client-identity';
import { ConcurrencyLimiter, InProcessConcurrencyLimiter, RedisConcurrencyLimiter } from './concurrency-limiter';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';

/** Rate and concurrency limits and who they count, shared by every route and socket (and, through Redis, every instance). */
@Global()
@Module({
  providers: [
    ClientIdentity,
    RateLimitGuard,
    { provide: TRUST_FUNCTION, inject: [APP_CONFIG], useFactory: (config: AppConfig) => compileTrust(config.trustProxy) },
    {
      provide: RateLimits,
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: RedisClient | null) => new RateLimits(config, redis),
    },
    {
      provide: ConcurrencyLimiter,
      inject: [REDIS, Clock],
      useFactory: (redis: RedisClient | null, clock: Clock): ConcurrencyLimiter =>
        redis ? new RedisConcurrencyLimiter(redis, clock) : new InProcessConcurrencyLimiter(),
    },
  ],
  exports: [TRUST_FUNCTION, ClientIdentity, RateLimitGuard, RateLimits, ConcurrencyLimiter],
})
export class LimitsModule implements OnApplicationShutdown {
  constructor(@Inject(ConcurrencyLimiter) private readonly concurrency: ConcurrencyLimiter) {}

  onApplicationShutdown(): void {
    this.concurrency.close();
  }
}
