import { inspect } from 'node:util';

const MASK = '[secret]';

/**
 * Carries secret text (an API key, a server secret) through the code. Every way an object
 * is usually turned into text (string templates, JSON, util.inspect, console.log) prints a
 * mask, so a careless log line or response cannot leak the value; only `reveal()` gives it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plaintext; call only where it is handed to a provider SDK or to the cipher. */
  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}
