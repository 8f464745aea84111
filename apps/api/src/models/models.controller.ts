import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ProviderModelsResponse } from '@byok/contracts';
import type { Request } from 'express';
import { callerOf } from '../auth/caller';
import { ModelCatalog } from './model-catalog';

@ApiTags('models')
@Controller('providers')
export class ModelsController {
  constructor(private readonly catalog: ModelCatalog) {}

  @Get(':id/models')
  @ApiOperation({ summary: 'Models the provider offers with the key in effect for this user.' })
  async list(@Req() req: Request, @Param('id') id: string): Promise<ProviderModelsResponse> {
    return { provider: id, models: await this.catalog.list(callerOf(req), id) };
  }
}
