import { inspect } from 'node:util';

/** A secret value that prints as `[secret]` in JSON, `util.inspect` and string conversion. */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** @returns the secret; call only where it is used (hashing, signing, connecting) */
  expose(): T {
    return this.#value;
  }

  toJSON(): string {
    return '[secret]';
  }

  toString(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
