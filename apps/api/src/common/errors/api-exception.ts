import { HttpException } from '@nestjs/common';
import type { ApiErrorBody, ApiErrorCode } from '@byok/contracts';

/** An HTTP error with a stable machine code; the message is shown to people, so it names the problem. */
export class ApiException extends HttpException {
  constructor(
    status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super({ statusCode: status, code, message } satisfies ApiErrorBody, status);
  }
}

/** Names the field and the rule only: the id is whatever the client sent, control characters included. */
export const UNKNOWN_PROVIDER_MESSAGE = 'provider: not the id of a provider this server offers (see GET /api/providers/keys).';

export const unknownProvider = (): ApiException => new ApiException(404, 'unknown_provider', UNKNOWN_PROVIDER_MESSAGE);

export const storeUnavailable = (): ApiException =>
  new ApiException(
    503,
    'store_unavailable',
    'The session store is unreachable, so keys cannot be read or saved right now; try again shortly.',
    { 'Retry-After': '5' },
  );
