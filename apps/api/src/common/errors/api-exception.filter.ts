import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { ApiErrorBody, ApiErrorCode } from '@byok/contracts';
import type { Response } from 'express';
import { ApiException } from './api-exception';

const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  403: 'origin_forbidden',
  404: 'not_found',
  405: 'bad_request',
  413: 'payload_too_large',
  415: 'bad_request',
  429: 'rate_limited',
  503: 'store_unavailable',
};

/**
 * The one place errors become responses: always `{ statusCode, code, message }` JSON. Unknown
 * errors are logged by name only (their messages may quote upstream bodies) and answered with
 * a generic 500 that carries the request id to quote to an admin.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<{ id?: unknown }>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const { body, headers } = this.toResponse(exception, String(req.id ?? ''));
    res.status(body.statusCode).set(headers).json(body);
  }

  private toResponse(exception: unknown, requestId: string): { body: ApiErrorBody; headers: Record<string, string> } {
    if (exception instanceof ApiException) {
      return { body: exception.getResponse() as ApiErrorBody, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) {
        // Nest's own 404 quotes the URL, query string and all; a key pasted into one must not come back.
        const message = status === 404 ? NO_ROUTE_MESSAGE : messageOf(exception);
        return {
          body: { statusCode: status, code: CODE_BY_STATUS[status] ?? 'bad_request', message },
          headers: {},
        };
      }
    }
    const name = exception instanceof Error ? exception.name : typeof exception;
    this.logger.error(`Unhandled ${name} (request ${requestId})`);
    return {
      body: {
        statusCode: 500,
        code: 'internal_error',
        message: `Something went wrong on the server; quote request id ${requestId} to your administrator.`,
      },
      headers: {},
    };
  }
}

const NO_ROUTE_MESSAGE = 'No API route matches this method and path.';

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
