import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Quiet hours (reference §2.3): non-urgent messages go only inside the recipient's local send window (default
 * 08:00–21:00). When the recipient's zone is unknown, the window must hold in every zone the number's region spans —
 * the most restrictive reading. All time arithmetic goes through `Intl` with IANA zones, so DST is always right.
 */

/** A daily window in local wall-clock time, `HH:MM`, start before end. */
export interface SendWindow {
  readonly start: string;
  readonly end: string;
}

/**
 * IANA zones of regions that span several. Territories with their own region code (PR, GU, VI, AS, MP) are their own
 * entries; area codes are not resolved further (see docs/decisions/0006).
 */
const MULTI_ZONE_REGIONS: Readonly<Record<string, readonly string[]>> = {
  US: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu'],
  CA: ['America/St_Johns', 'America/Halifax', 'America/Toronto', 'America/Winnipeg', 'America/Regina', 'America/Edmonton', 'America/Vancouver'],
  MX: ['America/Cancun', 'America/Mexico_City', 'America/Mazatlan', 'America/Hermosillo', 'America/Tijuana'],
  BR: ['America/Noronha', 'America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco'],
  AU: ['Australia/Sydney', 'Australia/Brisbane', 'Australia/Adelaide', 'Australia/Darwin', 'Australia/Perth'],
  ES: ['Europe/Madrid', 'Atlantic/Canary'],
  PT: ['Europe/Lisbon', 'Atlantic/Azores'],
  ID: ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'],
  RU: ['Europe/Kaliningrad', 'Europe/Moscow', 'Asia/Yekaterinburg', 'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Vladivostok', 'Asia/Kamchatka'],
};

const SINGLE_ZONE_REGIONS: Readonly<Record<string, string>> = {
  GB: 'Europe/London', IE: 'Europe/Dublin', FR: 'Europe/Paris', DE: 'Europe/Berlin', IT: 'Europe/Rome', NL: 'Europe/Amsterdam',
  BE: 'Europe/Brussels', CH: 'Europe/Zurich', AT: 'Europe/Vienna', SE: 'Europe/Stockholm', NO: 'Europe/Oslo', DK: 'Europe/Copenhagen',
  PL: 'Europe/Warsaw', IL: 'Asia/Jerusalem', AE: 'Asia/Dubai', IN: 'Asia/Kolkata', PH: 'Asia/Manila', SG: 'Asia/Singapore',
  JP: 'Asia/Tokyo', KR: 'Asia/Seoul', CN: 'Asia/Shanghai', NG: 'Africa/Lagos', ZA: 'Africa/Johannesburg', NZ: 'Pacific/Auckland',
  PR: 'America/Puerto_Rico', VI: 'America/St_Thomas', GU: 'Pacific/Guam', AS: 'Pacific/Pago_Pago', MP: 'Pacific/Saipan',
  CO: 'America/Bogota', PE: 'America/Lima', AR: 'America/Argentina/Buenos_Aires', CL: 'America/Santiago',
};

/**
 * @param patientTimeZone - the patient's IANA zone, if recorded
 * @param e164 - the number the message goes to
 * @returns the zones whose local time governs the send: the patient's own, else every zone of the number's region;
 *   empty when the region is unknown (callers then use the configured default zone)
 */
export function candidateZones(patientTimeZone: string | null, e164: string): readonly string[] {
  if (patientTimeZone !== null) return [patientTimeZone];
  const region = parsePhoneNumberFromString(e164)?.country;
  if (region === undefined) return [];
  const multi = MULTI_ZONE_REGIONS[region];
  if (multi !== undefined) return multi;
  const single = SINGLE_ZONE_REGIONS[region];
  return single === undefined ? [] : [single];
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  return format;
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly minuteOfDay: number;
}

function wallTime(zone: string, instant: number): WallTime & { readonly asUtc: number } {
  const parts: Record<string, number> = {};
  for (const p of formatFor(zone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return { year, month, day, minuteOfDay: hour * 60 + minute, asUtc: Date.UTC(year, month - 1, day, hour, minute, second) };
}

/** The instant at which the zone's clock shows the given local date and minute (DST-correct). */
function instantOf(zone: string, year: number, month: number, day: number, minuteOfDay: number): number {
  const guess = Date.UTC(year, month - 1, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  const offset = (t: number): number => wallTime(zone, t).asUtc - Math.floor(t / 1000) * 1000;
  let t = guess - offset(guess);
  const corrected = guess - offset(t);
  if (corrected !== t) t = corrected;
  return t;
}

function minutes(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function openIn(zone: string, instant: number, start: number, end: number): boolean {
  const local = wallTime(zone, instant).minuteOfDay;
  return local >= start && local < end;
}

export type WindowState = { readonly open: true } | { readonly open: false; readonly opensAt: Date | null };

/**
 * @param now - the moment of sending
 * @param zones - the zones that must all be inside the window (most restrictive wins)
 * @param window - the daily window
 * @returns open now; or the earliest later instant at which it is open in every zone — null when the zones' windows
 *   never overlap in the next three days (zones further apart than the window is long); callers then fall back to
 *   the first zone
 */
export function evaluateSendWindow(now: Date, zones: readonly string[], window: SendWindow): WindowState {
  const start = minutes(window.start);
  const end = minutes(window.end);
  const t = now.getTime();
  if (zones.every((z) => openIn(z, t, start, end))) return { open: true };
  // The common window opens when the last zone enters its own window: the candidates are the instants at which each
  // zone's clock shows `start` today, tomorrow or the day after.
  const candidates: number[] = [];
  for (const zone of zones) {
    const today = wallTime(zone, t);
    for (let d = 0; d <= 3; d++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + d));
      const at = instantOf(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start);
      if (at > t) candidates.push(at);
    }
  }
  candidates.sort((a, b) => a - b);
  const opens = candidates.find((c) => zones.every((z) => openIn(z, c, start, end)));
  return { open: false, opensAt: opens === undefined ? null : new Date(opens) };
}
