import { Global, Module } from '@nestjs/common';
import { DrainService } from './drain.service';

/** How the instance leaves service: the drain after SIGTERM, shared by the health check and both chat transports. */
@Global()
@Module({ providers: [DrainService], exports: [DrainService] })
export class LifecycleModule {}
