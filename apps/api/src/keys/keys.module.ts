import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { RateLimitModule } from '../security/rate-limit.module';
import { KeyAuditLog } from './key-audit-log';
import { KeyResolver } from './key-resolver';
import { KeyStore } from './key-store';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

@Module({
  imports: [ProvidersModule, RateLimitModule],
  controllers: [KeysController],
  providers: [KeysService, KeyStore, KeyResolver, KeyAuditLog],
  exports: [KeyResolver],
})
export class KeysModule {}
