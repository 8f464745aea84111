import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuthController } from './auth/auth.controller';
import { AuthMiddleware } from './auth/auth.middleware';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { ChatStreamController } from './chat/chat-stream.controller';
import { ClockModule } from './common/clock';
import { ApiExceptionFilter } from './common/errors/api-exception.filter';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CryptoModule } from './crypto/crypto.module';
import { HealthModule } from './health/health.module';
import { KeysController } from './keys/keys.controller';
import { KeysModule } from './keys/keys.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LimitsModule } from './limits/limits.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsController } from './models/models.controller';
import { ModelsModule } from './models/models.module';
import { RedisModule } from './redis/redis.module';
import { CsrfMiddleware } from './security/csrf.middleware';
import { JsonBodyMiddleware } from './security/json-body.middleware';
import { SessionMiddleware } from './session/session.middleware';
import { SessionModule } from './session/session.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Where log lines go (stdout by default); tests capture them to prove no key leaks. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule implements NestModule {
  static forRoot({ config, logDestination }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, logDestination),
        ClockModule,
        LifecycleModule,
        RedisModule,
        SessionModule,
        LimitsModule,
        CryptoModule,
        MetricsModule,
        AuditModule,
        HealthModule,
        KeysModule,
        AuthModule,
        ModelsModule,
        ChatModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Order matters: the body is parsed, the session loaded, the caller looked up (and, with
    // sign-in on, required), then CSRF checked against the session.
    consumer
      .apply(JsonBodyMiddleware, SessionMiddleware, AuthMiddleware, CsrfMiddleware)
      .forRoutes(KeysController, ModelsController, ChatStreamController);
    // The sign-in routes answer the signed-out too; each looks the caller up itself.
    consumer.apply(JsonBodyMiddleware, SessionMiddleware, CsrfMiddleware).forRoutes(AuthController);
  }
}
