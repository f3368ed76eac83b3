import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import type { E164 } from '../ids.ts';

/** Why a phone number was refused; a reviewed sentence, never the number itself. */
export type PhoneProblem = 'not-a-number' | 'too-short' | 'too-long' | 'invalid-country' | 'not-valid';

/**
 * Parses a phone number in any common format ("(415) 555-0100", "+44 20 7946 0958", "415.555.0100") into E.164,
 * using the full metadata set so numbers that cannot exist in their country are refused.
 * @param input - the number as typed
 * @param defaultRegion - the region assumed when the number has no country code (ISO 3166 alpha-2)
 */
export function parsePhone(
  input: string,
  defaultRegion: string,
): { ok: true; e164: E164 } | { ok: false; problem: PhoneProblem } {
  try {
    const parsed = parsePhoneNumberWithError(input, { defaultCountry: defaultRegion as CountryCode });
    if (!parsed.isValid()) return { ok: false, problem: 'not-valid' };
    return { ok: true, e164: parsed.number as E164 };
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    switch (message) {
      case 'TOO_SHORT':
        return { ok: false, problem: 'too-short' };
      case 'TOO_LONG':
        return { ok: false, problem: 'too-long' };
      case 'INVALID_COUNTRY':
        return { ok: false, problem: 'invalid-country' };
      default:
        return { ok: false, problem: 'not-a-number' };
    }
  }
}

/** Plain sentences for each problem, for problem+json details. */
export const PHONE_PROBLEM_TEXT: Record<PhoneProblem, string> = {
  'not-a-number': 'is not a phone number',
  'too-short': 'is too short to be a phone number',
  'too-long': 'is too long to be a phone number',
  'invalid-country': 'has no country code and the default region cannot place it',
  'not-valid': 'is not a valid number in its country',
};
