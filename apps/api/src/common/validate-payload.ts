import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';
import { FORBIDDEN_KEYS } from './forbidden-keys';
import { flattenValidationErrors } from './validation.pipe';

export type PayloadResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * The ValidationPipe's rules for payloads that do not arrive through HTTP (socket events):
 * same DTOs, unknown properties refused, messages naming properties but never values.
 */
export async function validatePayload<T extends object>(type: ClassConstructor<T>, payload: unknown): Promise<PayloadResult<T>> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, message: 'The payload must be a JSON object.' };
  }
  if (hasForbiddenKey(payload)) {
    return {
      ok: false,
      message: 'The payload uses a reserved property name (__proto__, constructor or prototype) or is nested too deeply.',
    };
  }
  const value = plainToInstance(type, payload);
  const errors = await validate(value, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    return { ok: false, message: flattenValidationErrors(errors).join('; ') };
  }
  return { ok: true, value };
}


/** Our payloads nest three levels at most; anything far deeper is refused rather than walked. */
const MAX_DEPTH = 16;

function hasForbiddenKey(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_DEPTH) return true;
  return Object.keys(value).some(
    (key) => FORBIDDEN_KEYS.has(key) || hasForbiddenKey((value as Record<string, unknown>)[key], depth + 1),
  );
}
