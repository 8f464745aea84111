import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiException } from './errors/api-exception';

/** Validates DTOs strictly; the message lists every problem by property, never by value. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) =>
      new ApiException(400, 'validation_failed', flattenValidationErrors(errors).join('; ') || 'The request body is invalid.'),
  });
}

/** Messages of class-validator errors, with nested properties named by path (messages[0].role). */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${path}${message.slice(error.property.length)}` : message,
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}
