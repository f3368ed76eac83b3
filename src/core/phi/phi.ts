const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Protected health information. The value sits in a private field: `JSON.stringify`, `util.inspect`,
 * template strings and pino all see `[PHI]`. Reading it takes an explicit, greppable `reveal(phi)`
 * (STYLE.md §7; HIPAA 45 CFR §164.312 — PHI must not leak into logs or errors).
 */
export class Phi<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  toJSON(): string {
    return '[PHI]';
  }

  toString(): string {
    return '[PHI]';
  }

  [inspectSymbol](): string {
    return '[PHI]';
  }

  /** @internal used by `reveal` only */
  static unwrap<T>(phi: Phi<T>): T {
    return phi.#value;
  }
}

/** @param value - a value that is PHI */
export function phi<T>(value: T): Phi<T> {
  return new Phi(value);
}

/**
 * Reads the value out of a `Phi`. Allowed only in renderers, the cipher and carrier adapters.
 * @param value - the wrapped value
 */
export function reveal<T>(value: Phi<T>): T {
  return Phi.unwrap(value);
}
