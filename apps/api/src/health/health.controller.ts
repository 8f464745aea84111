import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RedisClient } from '../redis/redis.module';
import { ApiException, storeUnavailable } from '../common/errors/api-exception';
import { DrainService } from '../lifecycle/drain.service';
import { REDIS } from '../redis/redis.module';

const draining = (): ApiException =>
  new ApiException(503, 'server_draining', 'This instance is shutting down; send new work to another one.');

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient | null,
    private readonly drain: DrainService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers (also while it drains).' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the instance is not draining, and the session store answers.' })
  async ready(): Promise<{ status: 'ready'; store: 'redis' | 'in-process' }> {
    // Checked first and without Redis: the balancer must stop sending work the moment a drain begins.
    if (this.drain.draining) throw draining();
    if (!this.redis) return { status: 'ready', store: 'in-process' };
    try {
      await this.redis.ping();
    } catch {
      throw storeUnavailable();
    }
    return { status: 'ready', store: 'redis' };
  }
}
