import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Quiet hours (reference §2.3): non-urgent automated messages go only inside the recipient's local send window
 * (default 08:00–21:00). When the recipient's zone is unknown, the window must hold in every zone the number may be
 * in — the most restrictive reading. All local-time arithmetic goes through `Intl.DateTimeFormat` with IANA zones (no
 * hard-coded offsets), so daylight-saving changes are always applied.
 *
 * Zone names are current IANA identifiers as `zone.tab` lists them per country (never legacy aliases such as
 * `Asia/Calcutta` or `US/Eastern`). Where several zones of one area follow the same rules today (America/Detroit and
 * America/New_York, America/Boise and America/Denver), one of them stands for all.
 */

/** A daily window in local wall-clock time: `HH:MM` (24-hour), start before end, both on the same day. */
export interface SendWindow {
  readonly start: string;
  readonly end: string;
}

/** Open now; or closed, with the first instant it opens in every zone (null: never within the search horizon). */
export type WindowState = { readonly open: true } | { readonly open: false; readonly opensAt: Date | null };

// ---------------------------------------------------------------------------------------------------------------
// Candidate zones
// ---------------------------------------------------------------------------------------------------------------

const ET = 'America/New_York';
const CT = 'America/Chicago';
const MT = 'America/Denver';
const AZ = 'America/Phoenix';
const PT = 'America/Los_Angeles';
const ID_SOUTH = 'America/Boise';
/**
 * British Columbia outside the Lower Mainland: Pacific; East Kootenay on Mountain; the Peace River and Fort Nelson
 * areas on Mountain standard time all year (equal to Pacific time in summer, Mountain time in winter).
 */
const BC_INTERIOR = ['America/Vancouver', 'America/Edmonton', 'America/Dawson_Creek', 'America/Fort_Nelson'];

/**
 * NANP area codes (US and Canada) and the zones their territory spans, by state or province. An area code that
 * crosses a time-zone line lists every zone it touches. The table follows official time as the IANA database
 * records it; places that keep another time unofficially (Culberson County TX, Kenton OK, Phenix City AL) are not
 * modelled. Only area codes whose territory is known with certainty are listed: any other US or Canadian number
 * (new overlays, toll-free and other non-geographic codes) gets every zone of its country.
 */
const NANP_TABLE: readonly (readonly [country: 'US' | 'CA', place: string, zones: readonly string[], areaCodes: string])[] = [
  // United States, by state. An area code crossing a zone line lists both zones.
  ['US', 'Alabama', [CT], '205 251 256 334 659 938'],
  ['US', 'Alaska (Aleutians west of 169.5°W on Hawaii-Aleutian time)', ['America/Anchorage', 'America/Adak'], '907'],
  ['US', 'Arizona (no DST)', [AZ], '480 520 602 623'],
  ['US', 'Arizona: Navajo Nation observes DST', [AZ, MT], '928'],
  ['US', 'Arkansas', [CT], '327 479 501 870'],
  ['US', 'California', [PT], '209 213 279 310 323 341 350 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 747 760 805 818 820 831 840 858 909 916 925 949 951'],
  ['US', 'Colorado', [MT], '303 719 720 970'],
  ['US', 'Connecticut', [ET], '203 475 860 959'],
  ['US', 'Delaware', [ET], '302'],
  ['US', 'District of Columbia', [ET], '202 771'],
  ['US', 'Florida', [ET], '239 305 321 352 386 407 561 656 689 727 754 772 786 813 863 904 941 954'],
  ['US', 'Florida panhandle: Central west of the Apalachicola River', [ET, CT], '448 850'],
  ['US', 'Georgia', [ET], '229 404 470 478 678 706 762 770 912'],
  ['US', 'Hawaii', ['Pacific/Honolulu'], '808'],
  ['US', 'Idaho: north Pacific, south Mountain', [ID_SOUTH, PT], '208 986'],
  ['US', 'Illinois', [CT], '217 224 309 312 331 447 464 618 630 708 773 779 815 847 872'],
  ['US', 'Indiana', [ET], '260 317 463 765'],
  ['US', 'Indiana: northwest and southwest counties on Central', [ET, CT], '219 574 812 930'],
  ['US', 'Iowa', [CT], '319 515 563 641 712'],
  ['US', 'Kansas', [CT], '316 913'],
  ['US', 'Kansas: four western counties on Mountain', [CT, MT], '620 785'],
  ['US', 'Kentucky', [ET], '502 859'],
  ['US', 'Kentucky: west on Central, east on Eastern', [ET, CT], '270 364 606'],
  ['US', 'Louisiana', [CT], '225 318 337 504 985'],
  ['US', 'Maine', [ET], '207'],
  ['US', 'Maryland', [ET], '227 240 301 410 443 667'],
  ['US', 'Massachusetts', [ET], '339 351 413 508 617 774 781 857 978'],
  ['US', 'Michigan', [ET], '231 248 269 313 517 586 616 734 810 947 989'],
  ['US', 'Michigan: Upper Peninsula, four counties on Central', [ET, CT], '906'],
  ['US', 'Minnesota', [CT], '218 320 507 612 651 763 952'],
  ['US', 'Mississippi', [CT], '228 601 662 769'],
  ['US', 'Missouri', [CT], '314 417 557 573 636 660 816'],
  ['US', 'Montana', [MT], '406'],
  ['US', 'Nebraska', [CT], '402 531'],
  ['US', 'Nebraska: west on Mountain', [CT, MT], '308'],
  ['US', 'Nevada', [PT], '702 725'],
  ['US', 'Nevada: West Wendover on Mountain', [PT, MT], '775'],
  ['US', 'New Hampshire', [ET], '603'],
  ['US', 'New Jersey', [ET], '201 551 609 640 732 848 856 862 908 973'],
  ['US', 'New Mexico', [MT], '505 575'],
  ['US', 'New York', [ET], '212 315 332 347 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934'],
  ['US', 'North Carolina', [ET], '252 336 704 743 828 910 919 980 984'],
  ['US', 'North Dakota: southwest on Mountain', [CT, MT], '701'],
  ['US', 'Ohio', [ET], '216 220 234 326 330 380 419 440 513 567 614 740 937'],
  ['US', 'Oklahoma', [CT], '405 539 572 580 918'],
  ['US', 'Oregon', [PT], '503 971'],
  ['US', 'Oregon: Malheur County on Mountain', [PT, ID_SOUTH], '458 541'],
  ['US', 'Pennsylvania', [ET], '215 223 267 272 412 445 484 570 610 717 724 814 878'],
  ['US', 'Rhode Island', [ET], '401'],
  ['US', 'South Carolina', [ET], '803 839 843 854 864'],
  ['US', 'South Dakota: west on Mountain', [CT, MT], '605'],
  ['US', 'Tennessee', [CT], '615 629 731 901'],
  ['US', 'Tennessee', [ET], '865'],
  ['US', 'Tennessee: 423 Marion, Sequatchie, Bledsoe on Central; 931 Cumberland County on Eastern', [ET, CT], '423 931'],
  ['US', 'Texas', [CT], '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979'],
  ['US', 'Texas: El Paso and Hudspeth counties', [MT], '915'],
  ['US', 'Utah', [MT], '385 435 801'],
  ['US', 'Vermont', [ET], '802'],
  ['US', 'Virginia', [ET], '276 434 540 571 703 757 804'],
  ['US', 'Washington', [PT], '206 253 360 425 509 564'],
  ['US', 'West Virginia', [ET], '304 681'],
  ['US', 'Wisconsin', [CT], '262 414 534 608 715 920'],
  ['US', 'Wyoming', [MT], '307'],
  // Canada.
  ['CA', 'Alberta', ['America/Edmonton'], '368 403 587 780 825'],
  ['CA', 'British Columbia: Lower Mainland', ['America/Vancouver'], '604'],
  ['CA', 'British Columbia: rest of the province (236, 672 and 778 are province-wide)', BC_INTERIOR, '236 250 672 778'],
  ['CA', 'Manitoba', ['America/Winnipeg'], '204 431 584'],
  ['CA', 'New Brunswick', ['America/Moncton'], '428 506'],
  ['CA', 'Newfoundland and Labrador: Labrador west and centre on Atlantic', ['America/St_Johns', 'America/Goose_Bay'], '709 879'],
  ['CA', 'Nova Scotia and Prince Edward Island', ['America/Halifax'], '782 902'],
  ['CA', 'Ontario', ['America/Toronto'], '226 249 289 343 365 382 416 437 519 548 613 647 705 742 905'],
  ['CA', 'Ontario: northwest on Central (Atikokan, on Eastern standard time all year, falls between)', ['America/Toronto', 'America/Winnipeg'], '807'],
  ['CA', 'Quebec', ['America/Toronto'], '263 354 438 450 468 514 579 819 873'],
  ['CA', 'Quebec: Magdalen Islands on Atlantic, Lower North Shore on Atlantic standard time all year', ['America/Toronto', 'America/Halifax'], '367 418 581'],
  ['CA', 'Saskatchewan (no DST); Lloydminster keeps Alberta time', ['America/Regina', 'America/Edmonton'], '306 474 639'],
  ['CA', 'Yukon, Northwest Territories, Nunavut', ['America/Whitehorse', 'America/Edmonton', 'America/Cambridge_Bay', 'America/Rankin_Inlet', 'America/Iqaluit'], '867'],
];

/** Index a table by each of its space-separated area codes; an area code listed twice is a bug in the table. */
function byAreaCode<T>(pick: (entry: (typeof NANP_TABLE)[number]) => T): ReadonlyMap<string, T> {
  const index = new Map<string, T>();
  for (const entry of NANP_TABLE) {
    for (const code of entry[3].split(' ')) {
      if (index.has(code)) throw new Error(`area code ${code} is listed twice`);
      index.set(code, pick(entry));
    }
  }
  return index;
}

/** Zones of each NANP area code listed (US and Canada), keyed by the 3-digit area code. */
export const NANP_AREA_CODE_ZONES: ReadonlyMap<string, readonly string[]> = byAreaCode((entry) => entry[2]);

/** The country each listed NANP area code belongs to (for consistency checks). */
export const NANP_AREA_CODE_COUNTRY: ReadonlyMap<string, 'US' | 'CA'> = byAreaCode((entry) => entry[0]);

/**
 * Zones of each region (ISO 3166 code as libphonenumber reports it). Regions spanning several zones list every zone
 * with distinct rules, west and east extremes included; regions whose zones all keep the same time today (Argentina)
 * list one. Regions not listed are unknown.
 */
export const REGION_ZONES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  // Several zones.
  ['US', [ET, CT, MT, AZ, PT, 'America/Anchorage', 'America/Adak', 'Pacific/Honolulu']],
  ['CA', ['America/St_Johns', 'America/Halifax', 'America/Toronto', 'America/Winnipeg', 'America/Regina', 'America/Edmonton', 'America/Whitehorse', 'America/Vancouver']],
  ['MX', ['America/Cancun', 'America/Mexico_City', 'America/Matamoros', 'America/Ciudad_Juarez', 'America/Mazatlan', 'America/Hermosillo', 'America/Tijuana']],
  ['BR', ['America/Noronha', 'America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco']],
  ['AU', ['Australia/Lord_Howe', 'Australia/Sydney', 'Australia/Brisbane', 'Australia/Adelaide', 'Australia/Darwin', 'Australia/Eucla', 'Australia/Perth']],
  ['RU', ['Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka']],
  ['ID', ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura']],
  ['CN', ['Asia/Shanghai', 'Asia/Urumqi']],
  ['ES', ['Europe/Madrid', 'Atlantic/Canary']],
  ['PT', ['Europe/Lisbon', 'Atlantic/Azores']],
  ['NZ', ['Pacific/Auckland', 'Pacific/Chatham']],
  ['CL', ['America/Santiago', 'America/Punta_Arenas', 'Pacific/Easter']],
  ['EC', ['America/Guayaquil', 'Pacific/Galapagos']],
  // One zone.
  ...(
    [
      ['GB', 'Europe/London'],
      ['IE', 'Europe/Dublin'],
      ['FR', 'Europe/Paris'],
      ['DE', 'Europe/Berlin'],
      ['IT', 'Europe/Rome'],
      ['NL', 'Europe/Amsterdam'],
      ['BE', 'Europe/Brussels'],
      ['CH', 'Europe/Zurich'],
      ['AT', 'Europe/Vienna'],
      ['SE', 'Europe/Stockholm'],
      ['NO', 'Europe/Oslo'],
      ['DK', 'Europe/Copenhagen'],
      ['FI', 'Europe/Helsinki'],
      ['PL', 'Europe/Warsaw'],
      ['GR', 'Europe/Athens'],
      ['TR', 'Europe/Istanbul'],
      ['IL', 'Asia/Jerusalem'],
      ['AE', 'Asia/Dubai'],
      ['SA', 'Asia/Riyadh'],
      ['IN', 'Asia/Kolkata'],
      ['PK', 'Asia/Karachi'],
      ['PH', 'Asia/Manila'],
      ['SG', 'Asia/Singapore'],
      ['HK', 'Asia/Hong_Kong'],
      ['TW', 'Asia/Taipei'],
      ['JP', 'Asia/Tokyo'],
      ['KR', 'Asia/Seoul'],
      ['NG', 'Africa/Lagos'],
      ['KE', 'Africa/Nairobi'],
      ['ZA', 'Africa/Johannesburg'],
      ['EG', 'Africa/Cairo'],
      ['CO', 'America/Bogota'],
      ['PE', 'America/Lima'],
      ['AR', 'America/Argentina/Buenos_Aires'],
      ['JM', 'America/Jamaica'],
      ['DO', 'America/Santo_Domingo'],
      ['PR', 'America/Puerto_Rico'],
      ['VI', 'America/St_Thomas'],
      ['GU', 'Pacific/Guam'],
      ['MP', 'Pacific/Saipan'],
      ['AS', 'Pacific/Pago_Pago'],
    ] as const
  ).map(([region, zone]) => [region, [zone]] as const),
]);

/**
 * The time zones whose local time governs a send to this patient (reference §2.3).
 *
 * @param patientTimeZone - the patient's recorded IANA zone, if any; it wins when present
 * @param e164 - the number the message goes to, in E.164 form
 * @returns the patient's zone; else, for US and Canadian numbers whose area code is listed, the zones that area code
 *   spans; else every zone of the number's region. Empty when the region is unknown or not listed (or the number
 *   does not parse): callers then hold to their configured default zone.
 */
export function candidateZones(patientTimeZone: string | null, e164: string): readonly string[] {
  if (patientTimeZone !== null && patientTimeZone !== '') return [patientTimeZone];
  const number = parsePhoneNumberFromString(e164);
  if (number === undefined) return [];
  if (number.countryCallingCode === '1') {
    const byAreaCode = NANP_AREA_CODE_ZONES.get(number.nationalNumber.slice(0, 3));
    if (byAreaCode !== undefined) return byAreaCode;
  }
  const region = number.country;
  if (region === undefined) return [];
  return REGION_ZONES.get(region) ?? [];
}

// ---------------------------------------------------------------------------------------------------------------
// Window evaluation
// ---------------------------------------------------------------------------------------------------------------

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** How far ahead an opening is looked for. A daily window that overlaps at all does so within a day or two. */
const SEARCH_HORIZON_MS = 3 * DAY_MS;
/**
 * Offsets are sampled this often to find DST transitions. Every zone's transitions are weeks apart (the closest,
 * Morocco's around Ramadan, about a month), so no two fall between samples.
 */
const TRANSITION_PROBE_MS = DAY_MS;

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

/** A wall-clock reading in a zone (exported for the reminder scheduler, src/core/scheduling). */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly minuteOfDay: number;
  /** UTC offset in whole minutes (local − UTC). */
  readonly offset: number;
}

/** The wall-clock date and time in a zone at an instant. */
export function localTime(zone: string, instant: number): LocalTime {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatFor(zone).formatToParts(instant)) {
    const value = Number(part.value);
    if (part.type === 'year') year = value;
    else if (part.type === 'month') month = value;
    else if (part.type === 'day') day = value;
    else if (part.type === 'hour') hour = value;
    else if (part.type === 'minute') minute = value;
    else if (part.type === 'second') second = value;
  }
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return { year, month, day, minuteOfDay: hour * 60 + minute, offset: Math.round((asUtc - wholeSecond) / MINUTE_MS) };
}

/** Every instant at which the zone's clock shows this local date and minute, earliest first: none in a DST gap, two in an overlap. */
export function instantsShowing(zone: string, year: number, month: number, day: number, minuteOfDay: number): number[] {
  const naive = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  // The offset in force at any such instant is the offset a day before or a day after (transitions are weeks apart).
  const offsets = new Set([naive - DAY_MS, naive + DAY_MS].map((t) => localTime(zone, t).offset));
  const found: number[] = [];
  for (const offset of offsets) {
    const instant = naive - offset * MINUTE_MS;
    const local = localTime(zone, instant);
    if (local.year === year && local.month === month && local.day === day && local.minuteOfDay === minuteOfDay) found.push(instant);
  }
  return found.sort((a, b) => a - b);
}

/** Instants (whole minutes) in (from, to] at which the zone's UTC offset changes. */
function transitionsBetween(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  let before = from;
  let offset = localTime(zone, before).offset;
  while (before < to) {
    const after = Math.min(before + TRANSITION_PROBE_MS, to);
    const next = localTime(zone, after).offset;
    if (next !== offset) {
      // Binary search on whole minutes for the first one with the new offset.
      let lo = Math.floor(before / MINUTE_MS);
      let hi = Math.ceil(after / MINUTE_MS);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (localTime(zone, mid * MINUTE_MS).offset === offset) lo = mid;
        else hi = mid;
      }
      found.push(hi * MINUTE_MS);
    }
    before = after;
    offset = next;
  }
  return found;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string, name: string): number {
  const match = HH_MM.exec(hhmm);
  if (match === null) throw new RangeError(`send window ${name} must be HH:MM, got ${JSON.stringify(hhmm)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function isOpenIn(zone: string, instant: number, start: number, end: number): boolean {
  const local = localTime(zone, instant).minuteOfDay;
  return local >= start && local < end;
}

/**
 * Whether a message may go now under quiet hours (reference §2.3): open only when the local wall-clock time is inside
 * [start, end) in every zone given (the most restrictive zone wins).
 *
 * @param now - the moment of sending
 * @param zones - the zones that must all be inside the window (from {@link candidateZones}, or the configured default
 *   when that is empty); an empty list is always open
 * @param window - the daily window, `HH:MM` start before end (a RangeError otherwise)
 * @returns `{ open: true }`; or `{ open: false, opensAt }` with the earliest instant after `now` (to the minute) at
 *   which the window is open in every zone, DST changes included. `opensAt` is null when no such instant exists in
 *   the next 72 hours — the zones are further apart than the window allows, so their windows never overlap; callers
 *   then decide by a single zone (the dispatcher uses the first candidate zone) rather than hold the message forever.
 */
export function evaluateSendWindow(now: Date, zones: readonly string[], window: SendWindow): WindowState {
  const start = minutesOf(window.start, 'start');
  const end = minutesOf(window.end, 'end');
  if (start >= end) throw new RangeError(`send window start ${window.start} must be before end ${window.end}`);
  const t = now.getTime();
  const openAt = (instant: number): boolean => zones.every((zone) => isOpenIn(zone, instant, start, end));
  if (openAt(t)) return { open: true };

  // The common window opens when the last zone enters its own window: at an instant where some zone's clock shows
  // `start`, or where a DST change moves some zone's clock into its window. Those are the only candidates.
  const horizon = t + SEARCH_HORIZON_MS;
  const candidates = new Set<number>();
  for (const zone of zones) {
    const today = localTime(zone, t);
    for (let d = 0; d <= Math.ceil(SEARCH_HORIZON_MS / DAY_MS); d++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + d));
      for (const instant of instantsShowing(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start)) {
        candidates.add(instant);
      }
    }
    for (const instant of transitionsBetween(zone, t, horizon)) candidates.add(instant);
  }
  const ordered = [...candidates].filter((c) => c > t && c <= horizon).sort((a, b) => a - b);
  const opens = ordered.find(openAt);
  return { open: false, opensAt: opens === undefined ? null : new Date(opens) };
}
