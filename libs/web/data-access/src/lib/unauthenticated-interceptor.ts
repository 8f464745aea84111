import type { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { apiErrorCode } from './api-error-message';
import { AuthRedirect } from './auth-redirect';

/**
 * Hands every failed API call's code to AuthRedirect, which sends the browser to sign in when no
 * one is signed in. The error still reaches the caller, which stops waiting as for any failure.
 */
export const unauthenticatedInterceptor: HttpInterceptorFn = (request, next) => {
  const redirect = inject(AuthRedirect);
  return next(request).pipe(tap({ error: (error: unknown) => redirect.refused(apiErrorCode(error)) }));
};
