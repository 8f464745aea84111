import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { callerOf } from '../auth/caller';
import { ApiException } from '../common/errors/api-exception';
import { RateLimits, type RateBucket } from './rate-limits';

const RATE_BUCKET = Symbol('RATE_BUCKET');

/** Counts the route's requests in `bucket`: per signed-in person, else per client address. */
export const RateLimited = (bucket: RateBucket): MethodDecorator => SetMetadata(RATE_BUCKET, bucket);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const bucket = this.reflector.get<RateBucket | undefined>(RATE_BUCKET, context.getHandler());
    if (!bucket) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const retryAfter = await this.limits.consume(bucket, callerOf(req).keyLimitIdentity);
    if (retryAfter !== null) {
      throw new ApiException(429, 'rate_limited', `Too many requests; retry in ${retryAfter} s.`, {
        'Retry-After': String(retryAfter),
      });
    }
    return true;
  }
}
