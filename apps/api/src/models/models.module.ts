import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { ModelCatalog } from './model-catalog';
import { ModelsController } from './models.controller';

@Module({
  imports: [ProvidersModule, KeysModule],
  controllers: [ModelsController],
  providers: [ModelCatalog],
})
export class ModelsModule {}
