import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RedisClient } from '../redis/redis.module';
import { storeUnavailable } from '../common/errors/api-exception';
import { REDIS } from '../redis/redis.module';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS) private readonly redis: RedisClient | null) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the session store answers.' })
  async ready(): Promise<{ status: 'ready'; store: 'redis' | 'in-process' }> {
    if (!this.redis) return { status: 'ready', store: 'in-process' };
    try {
      await this.redis.ping();
    } catch {
      throw storeUnavailable();
    }
    return { status: 'ready', store: 'redis' };
  }
}
