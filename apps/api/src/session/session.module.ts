import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.module';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { InProcessSessionTable } from './in-process-session-store';
import { createSessionHandlers, type SessionBackend } from './session-middleware.factory';
import { SessionLifetime } from './session-lifetime';
import { SessionMiddleware } from './session.middleware';
import { SESSION_BACKEND, SESSION_HANDLERS } from './session.tokens';

@Global()
@Module({
  providers: [
    {
      provide: SESSION_BACKEND,
      inject: [REDIS],
      useFactory: (redis: RedisClient | null): SessionBackend => (redis ? { redis } : { table: new InProcessSessionTable() }),
    },
    {
      provide: SESSION_HANDLERS,
      inject: [APP_CONFIG, SESSION_BACKEND],
      useFactory: (config: AppConfig, backend: SessionBackend) => createSessionHandlers(config, backend),
    },
    SessionMiddleware,
    SessionLifetime,
  ],
  exports: [SESSION_HANDLERS, SESSION_BACKEND, SessionMiddleware, SessionLifetime],
})
export class SessionModule implements OnApplicationShutdown {
  constructor(@Inject(SESSION_BACKEND) private readonly backend: SessionBackend) {}

  onApplicationShutdown(): void {
    if ('table' in this.backend) this.backend.table.close();
  }
}
