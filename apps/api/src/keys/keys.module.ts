import { Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.module';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ReplicaAcks } from '../redis/replica-acks';
import { ProvidersModule } from '../providers/providers.module';
import { REDIS } from '../redis/redis.module';
import { InProcessKeyringStore } from './keyring/in-process-keyring-store';
import { KeyringStore } from './keyring/keyring-store';
import { RedisKeyringStore } from './keyring/redis-keyring-store';
import { KeyResolver } from './key-resolver';
import { KeyStore } from './key-store';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

@Module({
  imports: [ProvidersModule],
  controllers: [KeysController],
  providers: [
    KeysService,
    KeyStore,
    KeyResolver,
    {
      provide: KeyringStore,
      inject: [REDIS, Clock, APP_CONFIG],
      useFactory: (redis: RedisClient | null, clock: Clock, config: AppConfig): KeyringStore =>
        redis
          ? new RedisKeyringStore(redis, new ReplicaAcks(redis, config.redis.replicaAcks, config.redis.replicaAckTimeoutMs))
          : new InProcessKeyringStore(clock),
    },
  ],
  exports: [KeyResolver, KeyStore],
})
export class KeysModule implements OnApplicationShutdown {
  constructor(private readonly keyrings: KeyringStore) {}

  onApplicationShutdown(): void {
    if (this.keyrings instanceof InProcessKeyringStore) this.keyrings.close();
  }
}
