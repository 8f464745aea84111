import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { RedisAuth, RedisTopology } from '../config/redis-config';

/** The shared ioredis connection, or null when the API runs on its in-process store. */
export const REDIS = Symbol('REDIS');

/** A standalone or Sentinel-managed primary (Redis), or a Cluster: every store works on either. */
export type RedisClient = Redis | Cluster;

const MAX_RECONNECT_DELAY_MS = 2000;
/** How long boot waits for Redis before starting anyway (not ready, answering 503 until it connects). */
const BOOT_WAIT_MS = 5000;

const COMMON_OPTIONS = {
  // Fail fast while Redis is away (the caller answers 503) instead of queueing requests
  // until it returns; the connection keeps retrying in the background and recovers alone.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 2000,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
} satisfies RedisOptions;

export function createRedisClient(topology: RedisTopology): RedisClient {
  // Commands issued in one tick leave in one write: a chat's limit, lease and key lookups
  // are one round trip and one syscall, not three (per node, in a Cluster).
  const enableAutoPipelining = true;
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, { ...COMMON_OPTIONS, ...tlsOf(topology.auth, topology.tls), enableAutoPipelining });
    case 'sentinel':
      return new Redis({
        ...COMMON_OPTIONS,
        ...credentialsOf(topology.auth),
        ...tlsOf(topology.auth, topology.auth.tlsCa !== null),
        sentinels: topology.sentinels,
        name: topology.name,
        sentinelPassword: topology.sentinelPassword?.reveal(),
        ...(topology.auth.tlsCa !== null ? { enableTLSForSentinelMode: true, sentinelTLS: { ca: topology.auth.tlsCa } } : {}),
        // After a failover the primary moves: ioredis asks the sentinels again on every reconnect.
        sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
        enableAutoPipelining,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        enableOfflineQueue: false,
        enableAutoPipelining,
        clusterRetryStrategy: COMMON_OPTIONS.retryStrategy,
        redisOptions: { ...COMMON_OPTIONS, ...credentialsOf(topology.auth), ...tlsOf(topology.auth, topology.auth.tlsCa !== null) },
      } satisfies ClusterOptions);
  }
}

function credentialsOf(auth: RedisAuth): Pick<RedisOptions, 'username' | 'password'> {
  return { username: auth.username ?? undefined, password: auth.password?.reveal() };
}

function tlsOf(auth: RedisAuth, tls: boolean): Pick<RedisOptions, 'tls'> {
  return tls ? { tls: auth.tlsCa ? { ca: auth.tlsCa } : {} } : {};
}

export function becomesReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<RedisClient | null> => {
        if (!config.redis.topology) return null;
        const client = createRedisClient(config.redis.topology);
        const logger = new Logger('Redis');
        let healthy = true;
        client.on('ready', () => {
          if (!healthy) logger.log('Redis connection restored');
          healthy = true;
        });
        client.on('error', (error: Error) => {
          // ioredis emits an error per failed reconnect; one line per outage is enough.
          if (healthy) logger.error(`Redis connection lost: ${error.message}`);
          healthy = false;
        });
        if (!(await becomesReady(client, BOOT_WAIT_MS))) {
          logger.warn(`Redis did not answer within ${BOOT_WAIT_MS / 1000}s; starting anyway and retrying`);
        }
        return client;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch (error) {
      // A command sent by a stream ending during shutdown can close the connection under QUIT.
      new Logger('Redis').warn(`Redis connection closed without QUIT: ${error instanceof Error ? error.message : 'unknown error'}`);
      this.redis.disconnect();
    }
  }
}
