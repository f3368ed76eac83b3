import { measureSegments } from './segments.ts';

/**
 * The TCPA healthcare-exemption limits (FCC 15-72; reference §2.1 and §5.3): an automated healthcare message sent
 * without prior express consent must be concise — at most 160 characters — and a patient gets at most one such
 * message a day and three a week. Days and weeks are rolling (any 24 hours, any 7 days), the stricter reading.
 */
export const EXEMPT_MAX_CHARACTERS = 160;
export const EXEMPT_MAX_PER_DAY = 1;
export const EXEMPT_MAX_PER_WEEK = 3;

const DAY_MS = 24 * 60 * 60_000;

export type ExemptionVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly rule: 'body-too-long' | 'daily-limit' | 'weekly-limit'; readonly limit: number };

/**
 * @param input - the body, the moment of sending and the patient's earlier exempt sends
 * @returns whether this send stays inside the exemption. Characters are counted as the segment calculator counts
 *   them (a GSM extension character counts two); for UCS-2 bodies the legal limit is still 160 characters, though
 *   such a body takes more than one segment past 70.
 */
export function checkHealthcareExemption(input: { readonly body: string; readonly now: Date; readonly previousSends: readonly Date[] }): ExemptionVerdict {
  if (measureSegments(input.body).characters > EXEMPT_MAX_CHARACTERS) return { ok: false, rule: 'body-too-long', limit: EXEMPT_MAX_CHARACTERS };
  const now = input.now.getTime();
  const within = (ms: number): number => input.previousSends.filter((at) => now - at.getTime() < ms && at.getTime() <= now).length;
  if (within(DAY_MS) + 1 > EXEMPT_MAX_PER_DAY) return { ok: false, rule: 'daily-limit', limit: EXEMPT_MAX_PER_DAY };
  if (within(7 * DAY_MS) + 1 > EXEMPT_MAX_PER_WEEK) return { ok: false, rule: 'weekly-limit', limit: EXEMPT_MAX_PER_WEEK };
  return { ok: true };
}
