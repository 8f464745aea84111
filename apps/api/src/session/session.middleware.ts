import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { storeUnavailable } from '../common/errors/api-exception';
import { SESSION_HANDLERS } from './session.tokens';
import type { SessionHandlers } from './session-middleware.factory';
import { SessionLifetime } from './session-lifetime';
import { regenerateSession } from './session-operations';

/**
 * Loads the user's session for /api routes. A store failure becomes a 503 for the exception
 * filter rather than express's HTML error page, and a session past its absolute lifetime is
 * replaced by an empty one before any handler sees it.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  private readonly logger = new Logger(SessionMiddleware.name);

  constructor(
    @Inject(SESSION_HANDLERS) private readonly handlers: SessionHandlers,
    private readonly lifetime: SessionLifetime,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    await this.load(req, res);
    if (!req.session) {
      // express-session skips a store it believes disconnected instead of failing.
      throw storeUnavailable();
    }
    const createdAt = req.session.createdAt;
    if (createdAt !== undefined && this.lifetime.isPastAbsolute(createdAt)) {
      await regenerateSession(req);
    }
    next();
  }

  private load(req: Request, res: Response): Promise<void> {
    const handler = req.secure ? this.handlers.secure : this.handlers.plain;
    return new Promise((resolve, reject) => {
      let settled = false;
      handler(req, res, (error?: unknown) => {
        if (settled) {
          // express-session reports a failed save or touch after the response through the same
          // callback; the response is gone, so the outage can only be logged.
          if (error) this.logger.warn(`Session could not be saved after the response: ${describe(error)}`);
          return;
        }
        settled = true;
        if (error) {
          this.logger.warn(`Session store unavailable: ${describe(error)}`);
          reject(storeUnavailable());
        } else {
          resolve();
        }
      });
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
