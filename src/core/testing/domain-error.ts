import { DomainError } from '../errors.ts';

/**
 * The DomainError `fn` throws (shared by the core's tests): fails when it returns, or throws anything else.
 * @param fn - the call expected to be refused
 */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw new Error('expected a DomainError', { cause: e });
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}
