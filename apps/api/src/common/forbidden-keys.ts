/** Property names that could reach Object.prototype through a deserialiser downstream; refused in every payload. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
