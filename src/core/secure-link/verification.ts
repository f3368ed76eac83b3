import { isCalendarDate } from '../patients/patient-fields.ts';
import { equalDigests } from './secure-link.ts';

/**
 * What a patient types on the secure link's page, checked before it is compared with anything. A malformed answer
 * is a 400 that does not count as an attempt: a typo in the format proves nothing about who is typing.
 */

/** Random bytes in a link token: 144 bits, above the 128 bits issue 4 requires; 24 base64url characters. */
export const TOKEN_BYTES = 18;
/** Digits in a one-time code. */
export const CODE_DIGITS = 6;

const TOKEN = /^[A-Za-z0-9_-]{22,128}$/;

/**
 * A URL segment that can be a token at all; anything else is refused without a database look-up (it still counts
 * against the client address, like any unknown token).
 * @param value - the path segment after `/s/`
 */
export function isWellFormedToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * A date of birth as the form sends it (`<input type="date">` submits `YYYY-MM-DD`), surrounding spaces ignored.
 * @param input - the submitted text
 * @returns the date, or null when it is not a real calendar date in that format
 */
export function parseBirthDateAnswer(input: string): string | null {
  const value = input.trim();
  return isCalendarDate(value) ? value : null;
}

/**
 * @param answer - a parsed date of birth (`parseBirthDateAnswer`)
 * @param recorded - the patient's recorded birth date, `YYYY-MM-DD`
 * @returns true when they are the same date (compared without an early exit)
 */
export function birthDatesMatch(answer: string, recorded: string): boolean {
  return equalDigests(answer, recorded.trim());
}

/**
 * A one-time code as typed: six digits; spaces and hyphens a phone may insert are ignored.
 * @param input - the submitted text
 * @returns the six digits, or null when it is not a code
 */
export function parseCodeAnswer(input: string): string | null {
  const value = input.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${String(CODE_DIGITS)}}$`).test(value) ? value : null;
}

/**
 * @param n - a uniformly random integer in [0, 10^6) (the caller draws it from a CSPRNG)
 * @returns the code, zero-padded to six digits
 */
export function formatCode(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 10 ** CODE_DIGITS) throw new RangeError('code out of range');
  return String(n).padStart(CODE_DIGITS, '0');
}
