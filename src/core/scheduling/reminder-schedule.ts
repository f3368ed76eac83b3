import { evaluateSendWindow, instantsShowing, localTime, type SendWindow } from '../messaging/send-window.ts';
import type { ReminderOffset, ReminderPolicy } from './reminder-policy.ts';

/**
 * When each reminder of an appointment goes (issue 8 item 1), under quiet hours (compliance-and-protocols digest
 * §2.3: 47 CFR 64.1200(c)(1) and stricter state rules; default 08:00–21:00 in the recipient's local time).
 *
 * Pure: no clock (the caller passes `now`), no I/O. All local-time arithmetic goes through `Intl.DateTimeFormat`
 * with IANA zones, so DST changes are applied.
 *
 * Rescheduling is calling {@link scheduleReminders} again: when an appointment moves, the caller recomputes the
 * reminders from the new start and replaces every pending (not yet sent) one; when it is cancelled, every pending
 * reminder is cancelled. Reminders already sent stay as they are.
 */

/** Why a reminder is not sent. */
export type SkipReason =
  /** The appointment starts at or before `now`. */
  | 'appointment-in-past'
  /** The reminder's moment has already passed (the appointment was booked or moved too late for it). */
  | 'too-late'
  /** Quiet hours leave no allowed time between `now` and the appointment. */
  | 'outside-send-window';

/**
 * One reminder. `moved` says how quiet hours shifted it: `earlier` to the end of the previous allowed window (the
 * preferred move: a reminder must never arrive after its moment, nor at night), `later` to the next allowed time
 * when the earlier one had already passed; null when the nominal time was allowed.
 */
export type ScheduledReminder =
  | { readonly offset: string; readonly sendAt: Date; readonly moved: 'earlier' | 'later' | null }
  | { readonly offset: string; readonly skipped: SkipReason };

/** Quiet-hours settings for the recipient (the types of `send-window.ts`). */
export interface ReminderSendWindow {
  /** The daily window, e.g. `{ start: '08:00', end: '21:00' }`. */
  readonly window: SendWindow;
  /**
   * The zones whose local time must all be inside the window (`candidateZones` of the recipient). Empty: the
   * appointment's zone.
   */
  readonly zones: readonly string[];
}

export interface Appointment {
  readonly startsAt: Date;
  /** The appointment's IANA zone: calendar days of the offsets count in it. */
  readonly timeZone: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How far back a window end is looked for; a daily window that opens at all does so within a day or two. */
const SEARCH_BACK_DAYS = 3;

/**
 * The nominal reminder time: `days` calendar days earlier at the same wall-clock time in the appointment's zone
 * (the earlier instant when that time occurs twice, the earlier reading when it falls in a DST gap), then `minutes`
 * of elapsed time earlier.
 */
function nominalTime(startsAt: number, zone: string, offset: ReminderOffset): number {
  let base = startsAt;
  if (offset.days > 0) {
    const local = localTime(zone, startsAt);
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day - offset.days));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const subMinute = startsAt - Math.floor(startsAt / MINUTE_MS) * MINUTE_MS;
    const showing = instantsShowing(zone, y, m, d, local.minuteOfDay);
    if (showing[0] !== undefined) {
      base = showing[0] + subMinute;
    } else {
      // DST gap: read the wall-clock time with the offsets on either side and take the earlier instant.
      const naive = Date.UTC(y, m - 1, d, 0, local.minuteOfDay);
      base = Math.min(...[naive - DAY_MS, naive + DAY_MS].map((t) => naive - localTime(zone, t).offset * MINUTE_MS)) + subMinute;
    }
  }
  return base - offset.minutes * MINUTE_MS;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string): number {
  const match = HH_MM.exec(hhmm);
  if (match === null) throw new RangeError('send window times must be HH:MM');
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The latest instant in [from, before) at which the window is open in every zone, to the minute, or null. The open
 * set ends where some zone's clock reaches `end` or a DST change moves a clock out of the window, so the candidates
 * are the minute before each such instant, and `before` itself minus a minute.
 */
function latestOpenBefore(before: number, from: number, zones: readonly string[], window: SendWindow): number | null {
  const isOpen = (t: number): boolean => evaluateSendWindow(new Date(t), zones, window).open;
  const end = minutesOf(window.end);
  const candidates = new Set<number>();
  for (const zone of zones) {
    const today = localTime(zone, before);
    for (let d = 0; d <= SEARCH_BACK_DAYS; d++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day - d));
      for (const instant of instantsShowing(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), end)) {
        candidates.add(instant - MINUTE_MS);
      }
    }
    // DST changes: probe daily and find the minute before each change by bisection.
    let hi = before;
    let offset = localTime(zone, hi).offset;
    for (let d = 0; d < SEARCH_BACK_DAYS; d++) {
      const lo = hi - DAY_MS;
      const earlier = localTime(zone, lo).offset;
      if (earlier !== offset) {
        let a = Math.floor(lo / MINUTE_MS);
        let b = Math.ceil(hi / MINUTE_MS);
        while (b - a > 1) {
          const mid = Math.floor((a + b) / 2);
          if (localTime(zone, mid * MINUTE_MS).offset === earlier) a = mid;
          else b = mid;
        }
        candidates.add(b * MINUTE_MS - MINUTE_MS);
      }
      hi = lo;
      offset = earlier;
    }
  }
  const ordered = [...candidates].filter((c) => c >= from && c < before).sort((a, b) => b - a);
  return ordered.find(isOpen) ?? null;
}

function scheduleOne(offset: ReminderOffset, appointment: Appointment, zones: readonly string[], window: SendWindow, now: number): ScheduledReminder {
  const startsAt = appointment.startsAt.getTime();
  const at = nominalTime(startsAt, appointment.timeZone, offset);
  if (at <= now) return { offset: offset.duration, skipped: 'too-late' };
  if (evaluateSendWindow(new Date(at), zones, window).open) return { offset: offset.duration, sendAt: new Date(at), moved: null };
  const earlier = latestOpenBefore(at, now, zones, window);
  if (earlier !== null) return { offset: offset.duration, sendAt: new Date(earlier), moved: 'earlier' };
  const state = evaluateSendWindow(new Date(now), zones, window);
  const later = state.open ? now : state.opensAt?.getTime() ?? null;
  if (later === null || later >= startsAt) return { offset: offset.duration, skipped: 'outside-send-window' };
  return { offset: offset.duration, sendAt: new Date(later), moved: 'later' };
}

/**
 * Computes when each reminder of the policy goes, one entry per offset in the policy's order (largest offset first).
 *
 * For each offset: the nominal time is the appointment start minus the offset (days in the appointment's calendar,
 * see `ReminderOffset`). If that has passed, `too-late`. If it falls in quiet hours, the reminder moves EARLIER to
 * the last allowed minute of the previous window (a reminder must never arrive after its moment, and never at
 * night); if that is before `now`, it moves LATER to the next allowed time, provided that is still before the
 * appointment; otherwise `outside-send-window`. Every `sendAt` is at or after `now`, strictly before the appointment
 * and inside the window in every zone. Two offsets may end on the same `sendAt`; the caller may send one.
 *
 * @param appointment - start instant and the appointment's IANA zone
 * @param policy - a validated policy (`parseReminderPolicy`)
 * @param sendWindow - the quiet-hours window and the recipient's zones
 * @param now - the current instant (reminders are never scheduled before it)
 * @returns one entry per policy offset, `{ sendAt }` or `{ skipped }`; all `appointment-in-past` when the
 *   appointment starts at or before `now`
 * @throws RangeError for a malformed window or an unknown zone (configuration errors, not patient input)
 */
export function scheduleReminders(appointment: Appointment, policy: ReminderPolicy, sendWindow: ReminderSendWindow, now: Date): ScheduledReminder[] {
  const t = now.getTime();
  if (appointment.startsAt.getTime() <= t) return policy.offsets.map((o) => ({ offset: o.duration, skipped: 'appointment-in-past' as const }));
  const zones = sendWindow.zones.length > 0 ? sendWindow.zones : [appointment.timeZone];
  return policy.offsets.map((o) => scheduleOne(o, appointment, zones, sendWindow.window, t));
}
