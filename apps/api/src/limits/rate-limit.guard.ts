import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiException } from '../common/errors/api-exception';
import { ClientIdentity } from './client-identity';
import { RateLimits, type RateBucket } from './rate-limits';

const RATE_BUCKET = Symbol('RATE_BUCKET');

/** Counts the route's requests per client address in `bucket`. */
export const RateLimited = (bucket: RateBucket): MethodDecorator => SetMetadata(RATE_BUCKET, bucket);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
    private readonly identity: ClientIdentity,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const bucket = this.reflector.get<RateBucket | undefined>(RATE_BUCKET, context.getHandler());
    if (!bucket) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const retryAfter = await this.limits.consume(bucket, this.identity.ofAddress(req.ip, req.socket.remoteAddress));
    if (retryAfter !== null) {
      throw new ApiException(429, 'rate_limited', `Too many requests; retry in ${retryAfter} s.`, {
        'Retry-After': String(retryAfter),
      });
    }
    return true;
  }
}
