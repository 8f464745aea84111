import { HttpErrorResponse } from '@angular/common/http';
import type { ApiErrorBody } from '@byok/contracts';
import { apiErrorCode, apiErrorMessage } from './api-error-message';

describe('apiErrorMessage', () => {
  it("shows the API's own message and exposes its code", () => {
    const body: ApiErrorBody = {
      statusCode: 409,
      code: 'policy_forbids_user_key',
      message: 'The administrator only allows the server key for OpenAI.',
    };
    const error = new HttpErrorResponse({ status: 409, error: body });

    expect(apiErrorMessage(error)).toBe('The administrator only allows the server key for OpenAI.');
    expect(apiErrorCode(error)).toBe('policy_forbids_user_key');
  });

  it('says the server could not be reached on a network error', () => {
    const error = new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') });

    expect(apiErrorMessage(error)).toContain('could not be reached');
    expect(apiErrorCode(error)).toBeNull();
  });

  it('names the status when the body is not an API error (e.g. a proxy page)', () => {
    const error = new HttpErrorResponse({ status: 502, error: '<html>Bad gateway</html>' });

    expect(apiErrorMessage(error)).toBe('The server answered with an error (HTTP 502). Try again later.');
  });

  it('falls back to a generic sentence for anything else', () => {
    expect(apiErrorMessage(new Error('boom'))).toBe('Something went wrong. Try again.');
  });
});
