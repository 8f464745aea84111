import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../common/errors/api-exception';
import { FORBIDDEN_KEYS } from '../common/forbidden-keys';


class ForbiddenKeyError extends Error {}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/**
 * Parses JSON bodies with a size limit, refusing prototype-polluting keys, and turns every
 * parse failure into a 4xx with a stable code instead of express's HTML error page.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.parse = express.json({
      limit: config.requestBodyLimitBytes,
      strict: true,
      reviver: (key: string, value: unknown) => {
        if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
        return value;
      },
    });
  }

  use(req: Request, res: Response, next: NextFunction): Promise<void> {
    return new Promise((resolve, reject) => {
      this.parse(req, res, (error?: unknown) => {
        if (error) {
          reject(toApiException(error));
          return;
        }
        resolve();
        next();
      });
    });
  }
}

function toApiException(error: unknown): ApiException {
  if (error instanceof ForbiddenKeyError) {
    return new ApiException(400, 'malformed_json', `The JSON body uses the reserved property name "${error.message}".`);
  }
  const { type, status } = (typeof error === 'object' && error !== null ? error : {}) as BodyParserError;
  if (type === 'entity.too.large') {
    return new ApiException(413, 'payload_too_large', 'The request body is larger than this API accepts.');
  }
  if (type === 'entity.parse.failed') {
    return new ApiException(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ApiException(415, 'bad_request', 'The request body uses an unsupported encoding or charset.');
  }
  const code = typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
  return new ApiException(code, 'bad_request', 'The request body could not be read.');
}
