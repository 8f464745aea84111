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

/**
 * Messages of class-validator errors, with nested properties named by path (messages[0].role).
 * An unknown property is the one name the client chose, so it is not quoted: it may be a key
 * pasted in the wrong place, or carry control characters.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => {
      if (constraint === 'whitelistValidation') {
        return `${parent || 'the body'} has a property this request does not accept; send only the documented fields`;
      }
      return message.startsWith(error.property) ? `${path}${message.slice(error.property.length)}` : message;
    });
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}
