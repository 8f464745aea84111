import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiException } from '../common/errors/api-exception';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CallerResolver } from './caller-resolver';

export const unauthenticated = (): ApiException =>
  new ApiException(401, 'unauthenticated', 'Sign in to use this service: GET /api/auth/session says where.');

/**
 * Looks the caller up once for the route (after the session is loaded) and, with sign-in on,
 * lets only a signed-in person through: nobody else reaches a key, the server's least of all.
 */
@Injectable()
export class AuthMiddleware implements NestMiddleware {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly callers: CallerResolver,
  ) {}

  async use(req: Request, _res: Response, next: NextFunction): Promise<void> {
    req.caller = await this.callers.ofRequest(req);
    if (this.config.auth.mode !== 'none' && !req.caller.person) throw unauthenticated();
    next();
  }
}
