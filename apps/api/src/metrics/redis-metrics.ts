import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { REDIS, type RedisClient } from '../redis/redis.module';
import { Metrics } from './metrics';

/**
 * Counts what the shared Redis client reports: `error` (a failed connection or reconnect;
 * ioredis emits one per failed attempt), `node error` (a Cluster node's), and `reconnecting`.
 * Commands refused while the connection is down reject to their callers and are not counted here.
 */
@Injectable()
export class RedisMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly onError = (): void => this.metrics.redisError();
  private readonly onReconnecting = (): void => this.metrics.redisReconnect();

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient | null,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.redis?.on('error', this.onError).on('node error', this.onError).on('reconnecting', this.onReconnecting);
  }

  onModuleDestroy(): void {
    this.redis?.off('error', this.onError).off('node error', this.onError).off('reconnecting', this.onReconnecting);
  }
}
