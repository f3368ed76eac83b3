import { measureSegments } from './segments.ts';

/**
 * The TCPA healthcare-exemption limits (FCC 15-72; reference §2.1 conditions 6–7 and §5.3): an automated healthcare
 * text sent under the exemption must be at most 160 characters, and a patient gets at most one such message a day
 * and three a week. Days and weeks are rolling — any 24 hours, any 7 days — which is stricter than calendar days
 * and weeks and needs no choice of time zone. Windows are half-open: two sends exactly 24 hours apart are in
 * different days.
 */

/** Most characters an exempt text may have (FCC 15-72: "160 characters"). */
export const EXEMPT_MAX_CHARACTERS = 160;
/** Most exempt messages per patient in any rolling 24 hours. */
export const EXEMPT_MAX_PER_DAY = 1;
/** Most exempt messages per patient in any rolling 7 days. */
export const EXEMPT_MAX_PER_WEEK = 3;

const DAY_MS = 24 * 60 * 60_000;
const WEEK_MS = 7 * DAY_MS;

export type ExemptionRule = 'body-too-long' | 'daily-limit' | 'weekly-limit';

export type ExemptionVerdict = { readonly ok: true } | { readonly ok: false; readonly rule: ExemptionRule; readonly limit: number };

/** The most sends of `times` that any half-open window [w, w + length) containing `at` holds. */
function busiestWindowAround(times: readonly number[], at: number, length: number): number {
  let most = 0;
  // A busiest window can always be slid to start at one of its sends.
  for (const start of times) {
    if (start > at || start + length <= at) continue;
    const inside = times.filter((t) => t >= start && t < start + length).length;
    if (inside > most) most = inside;
  }
  return most;
}

/**
 * Check one automated send against the healthcare-exemption limits.
 *
 * @param input - `body`: the text as it will be sent; `now`: the moment of this send; `previousSends`: the moments of
 *   the patient's other exempt automated sends (any order; later ones, e.g. already approved, count too)
 * @returns `{ ok: true }`, or the first rule broken with its limit: `body-too-long` when the body has more than
 *   {@link EXEMPT_MAX_CHARACTERS} characters as {@link measureSegments} counts them (a GSM-7 extension character
 *   such as `€` counts 2). A UCS-2 body is held to the same 160 characters — the ruling counts characters, not
 *   segments — although past 70 it costs more than one segment. Then `daily-limit` when another send falls within
 *   24 hours of this one, `weekly-limit` when some 7-day window holding this send would hold more than
 *   {@link EXEMPT_MAX_PER_WEEK}.
 */
export function checkHealthcareExemption(input: {
  readonly body: string;
  readonly now: Date;
  readonly previousSends: readonly Date[];
}): ExemptionVerdict {
  if (measureSegments(input.body).characters > EXEMPT_MAX_CHARACTERS) {
    return { ok: false, rule: 'body-too-long', limit: EXEMPT_MAX_CHARACTERS };
  }
  const now = input.now.getTime();
  const sends = [...input.previousSends.map((d) => d.getTime()).filter((t) => !Number.isNaN(t)), now];
  if (busiestWindowAround(sends, now, DAY_MS) > EXEMPT_MAX_PER_DAY) return { ok: false, rule: 'daily-limit', limit: EXEMPT_MAX_PER_DAY };
  if (busiestWindowAround(sends, now, WEEK_MS) > EXEMPT_MAX_PER_WEEK) return { ok: false, rule: 'weekly-limit', limit: EXEMPT_MAX_PER_WEEK };
  return { ok: true };
}
