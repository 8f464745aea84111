import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '@byok/contracts';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { csrfSeedCookieName, readCookie, readCsrfSeed } from './csrf-seed';
import { CsrfTokens } from './csrf-tokens';
import { isAllowedOrigin } from './origin-policy';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every mutating /api request: the Origin must be this site or an allowed one, and the
 * X-XSRF-TOKEN header must carry the token from the XSRF-TOKEN cookie, signed for the seed in
 * the browser's HttpOnly seed cookie. Safe requests hand out both cookies (Angular's HttpClient
 * sends the token back by itself) and store nothing on the server.
 */
@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  private readonly tokens: CsrfTokens;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.tokens = new CsrfTokens(config.sessionSecrets);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method)) {
      this.ensureToken(req, res);
      next();
      return;
    }
    if (!isAllowedOrigin(req, this.config.allowedOrigins)) {
      throw new ApiException(403, 'origin_forbidden', 'Cross-site requests to this API are not allowed from this origin.');
    }
    const header = req.get(XSRF_HEADER_NAME);
    const cookie = readCookie(req, XSRF_COOKIE_NAME);
    const seed = readCsrfSeed(req, req.secure);
    if (!header || header !== cookie || !seed || !this.tokens.verify(header, seed)) {
      throw new ApiException(
        403,
        'csrf_invalid',
        `Missing or invalid ${XSRF_HEADER_NAME} header: load GET /api/providers/keys first, then send the ${XSRF_COOKIE_NAME} cookie's value in the ${XSRF_HEADER_NAME} header.`,
      );
    }
    next();
  }

  private ensureToken(req: Request, res: Response): void {
    const cookie = readCookie(req, XSRF_COOKIE_NAME);
    const existingSeed = readCsrfSeed(req, req.secure);
    if (cookie && existingSeed && this.tokens.verify(cookie, existingSeed)) return;
    const seed = existingSeed ?? CsrfTokens.newSeed();
    if (!existingSeed) {
      res.cookie(csrfSeedCookieName(req.secure), seed, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    }
    res.cookie(XSRF_COOKIE_NAME, this.tokens.issue(seed), {
      // Readable by the page's script by design: that is how the double submit works.
      httpOnly: false,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
    });
  }
}
