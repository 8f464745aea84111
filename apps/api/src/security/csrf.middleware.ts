import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '@byok/contracts';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { CsrfTokens } from './csrf-tokens';
import { saveSession } from '../session/session-operations';
import { isAllowedOrigin } from './origin-policy';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every mutating /api request: the Origin must be this site or an allowed one, and the
 * X-XSRF-TOKEN header must carry the token from the XSRF-TOKEN cookie, bound to this session.
 * Safe requests hand out that cookie (Angular's HttpClient sends it back by itself).
 */
@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  private readonly tokens: CsrfTokens;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.tokens = new CsrfTokens(config.sessionSecrets);
  }

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (SAFE_METHODS.has(req.method)) {
      await this.ensureToken(req, res);
      next();
      return;
    }
    if (!isAllowedOrigin(req, this.config.allowedOrigins)) {
      throw new ApiException(403, 'origin_forbidden', 'Cross-site requests to this API are not allowed from this origin.');
    }
    const header = req.get(XSRF_HEADER_NAME);
    const cookie = readCookie(req, XSRF_COOKIE_NAME);
    const seed = req.session.csrfSeed;
    if (!header || header !== cookie || !seed || !this.tokens.verify(header, seed)) {
      throw new ApiException(
        403,
        'csrf_invalid',
        `Missing or invalid ${XSRF_HEADER_NAME} header: load GET /api/providers/keys first, then send the ${XSRF_COOKIE_NAME} cookie's value in the ${XSRF_HEADER_NAME} header.`,
      );
    }
    next();
  }

  private async ensureToken(req: Request, res: Response): Promise<void> {
    const cookie = readCookie(req, XSRF_COOKIE_NAME);
    const existingSeed = req.session.csrfSeed;
    if (cookie && existingSeed && this.tokens.verify(cookie, existingSeed)) return;
    const seed = existingSeed ?? CsrfTokens.newSeed();
    if (!existingSeed) {
      // Storing the seed starts the session, so the token stays valid on the next request.
      req.session.csrfSeed = seed;
      req.session.createdAt ??= Date.now();
      // Saved now rather than after the response, so a store outage is a 503 here instead of
      // a token that silently fails on the next request.
      await saveSession(req);
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

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      return decodeURIComponent(part.slice(separator + 1).trim());
    }
  }
  return undefined;
}
