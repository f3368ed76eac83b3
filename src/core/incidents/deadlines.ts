import { DomainError } from '../errors.ts';
import { HHS_IMMEDIATE_THRESHOLD, mediaStates, type NoticeKind } from './incident.ts';

/**
 * The notification deadlines of the Breach Notification Rule (reference §1.5), in the hospital's own calendar.
 *
 * - Individuals: "without unreasonable delay and in no case later than 60 calendar days after discovery of a breach"
 *   (45 CFR 164.404(b)); discovery is the first day the breach is known, or would have been known with reasonable
 *   diligence, to anyone in the workforce (164.404(a)(2)).
 * - HHS, 500 or more affected: "contemporaneously with the notice required by § 164.404(a)" (164.408(b)): same date.
 * - Media, for each state with more than 500 affected residents: same 60 days (164.406). 500 exactly needs none.
 * - HHS, fewer than 500: the annual log, "not later than 60 days after the end of each calendar year" (164.408(c)):
 *   31 December of the discovery year + 60 days, i.e. 1 March, or 29 February in a leap year.
 * - A law-enforcement delay (164.412) postpones every notice until the delay ends; it never makes one earlier.
 *
 * Days are calendar days in the hospital's IANA time zone: the discovery instant is turned into a local date, the
 * arithmetic is on year-month-day (never on milliseconds, so DST changes cannot shift a date), and `dueAt` is the last
 * millisecond of the local due date (the instant just before the next local midnight).
 *
 * Pure: no I/O, no clock (the caller passes `now`), no randomness.
 */

export interface DeadlineInput {
  readonly discoveredAt: Date | null;
  readonly affectedCount: number;
  readonly residentsByState: Readonly<Record<string, number>>;
  readonly lawEnforcementDelayUntil: Date | null;
  readonly timeZone: string /* IANA, the hospital's */;
}
export interface Deadline {
  readonly kind: NoticeKind;
  readonly state: string | null;
  /** local calendar date YYYY-MM-DD in timeZone */
  readonly dueDate: string;
  /** the end of that local day, as an instant */
  readonly dueAt: Date;
  readonly rule: string /* e.g. '45 CFR 164.404(b)' */;
}

/** Calendar days allowed after discovery (164.404(b), 164.406(b)) and after the end of the year (164.408(c)). */
export const NOTICE_DAYS = 60;

/** Days before a due date on which a reminder fires; 0 is the due date itself. */
export const REMINDER_DAYS: readonly number[] = Object.freeze([30, 14, 7, 3, 1, 0]);

/** A local calendar date. */
export interface LocalDate { readonly year: number; readonly month: number; readonly day: number }

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The deadlines an incident's notices must meet (see the module comment). Sorted: individual, hhs, media by state,
 * annual-log.
 * @throws DomainError INCIDENT_DISCOVERY_DATE_REQUIRED when discoveredAt is null (the incident is not confirmed)
 * @throws DomainError VALIDATION_FAILED for an unknown time zone, an invalid date or a negative count
 */
export function computeDeadlines(input: DeadlineInput): Deadline[] {
  if (input.discoveredAt === null) {
    throw new DomainError('INCIDENT_DISCOVERY_DATE_REQUIRED', 'Deadlines run from the discovery date; confirm the incident with its discovery date first (45 CFR 164.404(a)(2)).');
  }
  if (Number.isNaN(input.discoveredAt.getTime())) throw invalid('/discoveredAt', 'must be a valid time');
  if (!Number.isSafeInteger(input.affectedCount) || input.affectedCount < 0) throw invalid('/affectedCount', 'must be a non-negative integer');
  const delay = input.lawEnforcementDelayUntil;
  if (delay !== null && Number.isNaN(delay.getTime())) throw invalid('/lawEnforcementDelayUntil', 'must be a valid time');
  const tz = input.timeZone;
  const discovered = localDate(input.discoveredAt, tz);
  const delayEnd = delay === null ? null : localDate(delay, tz);

  const make = (kind: NoticeKind, state: string | null, base: LocalDate, rule: string): Deadline => {
    const delayed = delayEnd !== null && compareDates(delayEnd, base) > 0;
    const due = delayed ? delayEnd : base;
    const dueDate = formatDate(due);
    return { kind, state, dueDate, dueAt: endOfLocalDay(dueDate, tz), rule: delayed ? `${rule}; delayed under 45 CFR 164.412` : rule };
  };

  const sixtyDays = addDays(discovered, NOTICE_DAYS);
  const out: Deadline[] = [make('individual', null, sixtyDays, '45 CFR 164.404(b)')];
  if (input.affectedCount >= HHS_IMMEDIATE_THRESHOLD) out.push(make('hhs', null, sixtyDays, '45 CFR 164.408(b)'));
  for (const state of mediaStates(input.residentsByState)) out.push(make('media', state, sixtyDays, '45 CFR 164.406'));
  if (input.affectedCount < HHS_IMMEDIATE_THRESHOLD) {
    out.push(make('annual-log', null, addDays({ year: discovered.year, month: 12, day: 31 }, NOTICE_DAYS), '45 CFR 164.408(c)'));
  }
  return out;
}

/**
 * Whole local days from `now`'s local date to the due date: 0 on the due date itself, negative when overdue.
 * @throws DomainError VALIDATION_FAILED for an unknown time zone or an invalid date
 */
export function daysLeft(deadline: Deadline, now: Date, timeZone: string): number {
  if (Number.isNaN(now.getTime())) throw invalid('/now', 'must be a valid time');
  return dayNumber(parseDate(deadline.dueDate)) - dayNumber(localDate(now, timeZone));
}

/**
 * Reminders due now and not yet sent; `sent` holds keys `${kind}:${state ?? ''}:${days}`; also an 'overdue' key per
 * deadline once past (`${kind}:${state ?? ''}:overdue`). Per deadline at most one reminder: the nearest threshold of
 * REMINDER_DAYS already reached (a skipped earlier threshold is not sent late), so each threshold fires once as long as
 * the caller adds the returned keys to `sent`.
 */
export function dueReminders(
  deadlines: readonly Deadline[],
  now: Date,
  timeZone: string,
  sent: ReadonlySet<string>,
): { readonly key: string; readonly deadline: Deadline; readonly daysLeft: number }[] {
  const out: { readonly key: string; readonly deadline: Deadline; readonly daysLeft: number }[] = [];
  const seen = new Set<string>();
  for (const deadline of deadlines) {
    const left = daysLeft(deadline, now, timeZone);
    const key = reminderKey(deadline, left);
    if (key === null || sent.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({ key, deadline, daysLeft: left });
  }
  return out;
}

/** The reminder key for a deadline `left` days away, or null when no threshold is reached yet. */
export function reminderKey(deadline: Pick<Deadline, 'kind' | 'state'>, left: number): string | null {
  const prefix = `${deadline.kind}:${deadline.state ?? ''}:`;
  if (left < 0) return `${prefix}overdue`;
  let threshold: number | null = null;
  for (const t of REMINDER_DAYS) if (left <= t && (threshold === null || t < threshold)) threshold = t;
  return threshold === null ? null : `${prefix}${threshold}`;
}

/**
 * The local calendar date of an instant in an IANA time zone.
 * @throws DomainError VALIDATION_FAILED for an unknown time zone
 */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** Adds whole calendar days to a date (UTC arithmetic on the date only, so no DST effect). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** YYYY-MM-DD */
export function formatDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/**
 * The last instant (millisecond) of a local date in a time zone: the first instant of the next local date minus 1 ms.
 * Found by bisection on whole minutes (every offset in use is whole minutes), so it holds on DST change days too.
 */
export function endOfLocalDay(date: string, timeZone: string): Date {
  const next = addDays(parseDate(date), 1);
  const nextDay = dayNumber(next);
  // Every zone is within -12h..+14h of UTC, so the next local midnight lies in this window.
  let lo = Math.floor((nextDay * DAY_MS - 15 * 3_600_000) / 60_000); // minute index, local date < next
  let hi = Math.floor((nextDay * DAY_MS + 15 * 3_600_000) / 60_000); // minute index, local date >= next
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayNumber(localDate(new Date(mid * 60_000), timeZone)) >= nextDay) hi = mid;
    else lo = mid;
  }
  return new Date(hi * 60_000 - 1);
}

function parseDate(date: string): LocalDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) throw invalid('/dueDate', 'must be a YYYY-MM-DD date');
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

function dayNumber(date: LocalDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return dayNumber(a) - dayNumber(b);
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, calendar: 'gregory', numberingSystem: 'latn', year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      throw invalid('/timeZone', 'must be an IANA time zone name');
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function invalid(pointer: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The deadline input is not valid.', { issues: [{ pointer, message }] });
}
