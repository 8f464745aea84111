import { HttpErrorResponse } from '@angular/common/http';
import type { ApiErrorBody, ApiErrorCode } from '@byok/contracts';

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Partial<ApiErrorBody>).message === 'string' &&
    typeof (body as Partial<ApiErrorBody>).code === 'string'
  );
}

/** The API's machine code for a failed call, or null when the failure did not come from the API. */
export function apiErrorCode(error: unknown): ApiErrorCode | null {
  return error instanceof HttpErrorResponse && isApiErrorBody(error.error) ? error.error.code : null;
}

/** A sentence a user can act on, from whatever an HTTP call failed with. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    if (isApiErrorBody(error.error)) {
      return error.error.message;
    }
    if (error.status === 0) {
      return 'The server could not be reached. Check your connection and try again.';
    }
    return `The server answered with an error (HTTP ${error.status}). Try again later.`;
  }
  return 'Something went wrong. Try again.';
}
