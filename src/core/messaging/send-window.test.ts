import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { NANP_AREA_CODE_COUNTRY, NANP_AREA_CODE_ZONES, REGION_ZONES, candidateZones, evaluateSendWindow } from './send-window.ts';

const W = { start: '08:00', end: '21:00' };
const at = (iso: string): Date => new Date(iso);
const closedUntil = (iso: string) => ({ open: false, opensAt: new Date(iso) });

describe('evaluateSendWindow (reference §2.3)', () => {
  it('is open from start (inclusive) to end (exclusive), local time', () => {
    // New York in January is UTC−5: 08:00 = 13:00Z, 21:00 = 02:00Z next day.
    expect(evaluateSendWindow(at('2026-01-15T13:00:00Z'), ['America/New_York'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-01-16T01:59:59Z'), ['America/New_York'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-01-15T12:59:59Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-01-15T13:00:00Z'));
    expect(evaluateSendWindow(at('2026-01-16T02:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-01-16T13:00:00Z'));
  });

  it('names the next morning when the evening window has passed', () => {
    expect(evaluateSendWindow(at('2026-05-04T21:30:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-05-05T07:00:00Z'));
  });

  it('is DST-correct in New York: spring forward (2026-03-08) and fall back (2026-11-01)', () => {
    // 01:00 EST; clocks jump 02:00 → 03:00; 08:00 EDT is 12:00Z.
    expect(evaluateSendWindow(at('2026-03-08T06:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-03-08T12:00:00Z'));
    // 21:00 EDT that evening is 01:00Z.
    expect(evaluateSendWindow(at('2026-03-09T00:59:00Z'), ['America/New_York'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-03-09T01:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-03-09T12:00:00Z'));
    // Fall back: 01:00 EST (second pass); 08:00 EST is 13:00Z; 21:00 EST is 02:00Z.
    expect(evaluateSendWindow(at('2026-11-01T06:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-11-01T13:00:00Z'));
    expect(evaluateSendWindow(at('2026-11-02T01:59:00Z'), ['America/New_York'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-11-02T02:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-11-02T13:00:00Z'));
    // The evening before the change the window opened an hour earlier in UTC terms: 08:00 EDT = 12:00Z.
    expect(evaluateSendWindow(at('2026-10-31T11:00:00Z'), ['America/New_York'], W)).toEqual(closedUntil('2026-10-31T12:00:00Z'));
  });

  it('is DST-correct in London: spring forward (2026-03-29) and fall back (2026-10-25)', () => {
    expect(evaluateSendWindow(at('2026-03-29T03:00:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-03-29T07:00:00Z'));
    expect(evaluateSendWindow(at('2026-03-28T03:00:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-03-28T08:00:00Z'));
    expect(evaluateSendWindow(at('2026-10-25T03:00:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-10-25T08:00:00Z'));
    // The evening before, 21:00 BST is 20:00Z; the evening of the change, 21:00 GMT is 21:00Z.
    expect(evaluateSendWindow(at('2026-10-24T19:59:00Z'), ['Europe/London'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-10-24T20:00:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-10-25T08:00:00Z'));
    expect(evaluateSendWindow(at('2026-10-25T20:30:00Z'), ['Europe/London'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-10-25T21:00:00Z'), ['Europe/London'], W)).toEqual(closedUntil('2026-10-26T08:00:00Z'));
  });

  it('is DST-correct in the southern hemisphere (Sydney, 2026-10-04)', () => {
    // 02:00 AEST becomes 03:00 AEDT at 16:00Z on 3 October; 08:00 AEDT is 21:00Z.
    expect(evaluateSendWindow(at('2026-10-03T15:30:00Z'), ['Australia/Sydney'], W)).toEqual(closedUntil('2026-10-03T21:00:00Z'));
  });

  it('opens at the DST jump when the start time does not exist that day', () => {
    // A 02:30–05:00 window on the spring-forward day: 02:30 never happens; the clock reads 03:00 EDT at 07:00Z.
    expect(evaluateSendWindow(at('2026-03-08T06:00:00Z'), ['America/New_York'], { start: '02:30', end: '05:00' })).toEqual(
      closedUntil('2026-03-08T07:00:00Z'),
    );
  });

  it('handles the repeated hour when clocks go back', () => {
    const win = { start: '01:30', end: '03:00' };
    // 01:45 EDT, first pass: open.
    expect(evaluateSendWindow(at('2026-11-01T05:45:00Z'), ['America/New_York'], win)).toEqual({ open: true });
    // 01:15 EST, second pass: closed until 01:30 EST.
    expect(evaluateSendWindow(at('2026-11-01T06:15:00Z'), ['America/New_York'], win)).toEqual(closedUntil('2026-11-01T06:30:00Z'));
  });

  it('takes the most restrictive zone: Hawaii and New York overlap 08:00 Honolulu – 21:00 New York', () => {
    const zones = ['America/New_York', 'Pacific/Honolulu'];
    // January: Honolulu UTC−10, New York UTC−5 → open 18:00Z–02:00Z.
    expect(evaluateSendWindow(at('2026-01-15T14:00:00Z'), zones, W)).toEqual(closedUntil('2026-01-15T18:00:00Z'));
    expect(evaluateSendWindow(at('2026-01-15T18:00:00Z'), zones, W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-01-16T01:30:00Z'), zones, W)).toEqual({ open: true });
    expect(evaluateSendWindow(at('2026-01-16T02:00:00Z'), zones, W)).toEqual(closedUntil('2026-01-16T18:00:00Z'));
    // July: New York UTC−4 (Hawaii has no DST) → open 18:00Z–01:00Z.
    expect(evaluateSendWindow(at('2026-07-16T01:30:00Z'), zones, W)).toEqual(closedUntil('2026-07-16T18:00:00Z'));
    expect(evaluateSendWindow(at('2026-07-16T00:59:00Z'), zones, W)).toEqual({ open: true });
  });

  it('covers every US zone for a number whose area code is not listed: 13:00–21:00 Eastern in January', () => {
    const zones = candidateZones(null, '+18005550123');
    // Adak and Honolulu are UTC−10 in January: 08:00 there is 18:00Z = 13:00 Eastern.
    expect(evaluateSendWindow(at('2026-01-15T17:59:00Z'), zones, W)).toEqual(closedUntil('2026-01-15T18:00:00Z'));
    expect(evaluateSendWindow(at('2026-01-16T01:59:00Z'), zones, W)).toEqual({ open: true });
  });

  it('reports null when the windows never overlap (zones further apart than the window allows)', () => {
    expect(evaluateSendWindow(at('2026-01-15T12:00:00Z'), ['Europe/London', 'Asia/Shanghai', 'America/Los_Angeles'], W)).toEqual({
      open: false,
      opensAt: null,
    });
    // Two zones 12 hours apart never share a 4-hour window.
    expect(evaluateSendWindow(at('2026-01-15T12:00:00Z'), ['Europe/London', 'Pacific/Auckland'], { start: '09:00', end: '13:00' })).toEqual({
      open: false,
      opensAt: null,
    });
  });

  it('finds the narrow overlap across Russia’s eleven zones (08:00–11:00 Kaliningrad)', () => {
    expect(evaluateSendWindow(at('2026-01-15T12:00:00Z'), candidateZones(null, '+79123456789'), W)).toEqual(closedUntil('2026-01-16T06:00:00Z'));
  });

  it('is always open with no zone to respect', () => {
    expect(evaluateSendWindow(at('2026-01-15T04:00:00Z'), [], W)).toEqual({ open: true });
  });

  it('rejects a malformed window', () => {
    expect(() => evaluateSendWindow(at('2026-01-15T04:00:00Z'), ['Europe/London'], { start: '8:00', end: '21:00' })).toThrow(RangeError);
    expect(() => evaluateSendWindow(at('2026-01-15T04:00:00Z'), ['Europe/London'], { start: '21:00', end: '08:00' })).toThrow(RangeError);
    expect(() => evaluateSendWindow(at('2026-01-15T04:00:00Z'), ['Europe/London'], { start: '08:00', end: '24:00' })).toThrow(RangeError);
    expect(() => evaluateSendWindow(at('2026-01-15T04:00:00Z'), ['Europe/London'], { start: '08:00', end: '08:00' })).toThrow(RangeError);
  });
});

describe('candidateZones', () => {
  it('uses the patient’s recorded zone first', () => {
    expect(candidateZones('Europe/Madrid', '+14155550100')).toEqual(['Europe/Madrid']);
  });

  it.each([
    ['+12125550123', ['America/New_York']],
    ['+13125550123', ['America/Chicago']],
    ['+13035550123', ['America/Denver']],
    ['+16025550123', ['America/Phoenix']],
    ['+14155550123', ['America/Los_Angeles']],
    ['+18085550123', ['Pacific/Honolulu']],
    ['+19075550123', ['America/Anchorage', 'America/Adak']],
    ['+19155550123', ['America/Denver']],
    ['+18505550123', ['America/New_York', 'America/Chicago']],
    ['+19315550123', ['America/New_York', 'America/Chicago']],
    ['+12085550123', ['America/Boise', 'America/Los_Angeles']],
    ['+19285550123', ['America/Phoenix', 'America/Denver']],
    ['+14165550123', ['America/Toronto']],
    ['+16045550123', ['America/Vancouver']],
    ['+18075550123', ['America/Toronto', 'America/Winnipeg']],
    ['+13065550123', ['America/Regina', 'America/Edmonton']],
    ['+17095550123', ['America/St_Johns', 'America/Goose_Bay']],
  ])('resolves a US or Canadian number by area code: %s', (e164, zones) => {
    expect(candidateZones(null, e164)).toEqual(zones);
  });

  it('gives every zone of the country when the area code is not listed (toll-free, non-geographic)', () => {
    expect(candidateZones(null, '+18005550123')).toEqual(REGION_ZONES.get('US'));
    expect(candidateZones(null, '+16002345678')).toEqual(REGION_ZONES.get('CA'));
    expect(REGION_ZONES.get('US')).toEqual(expect.arrayContaining(['America/New_York', 'America/Anchorage', 'Pacific/Honolulu']));
  });

  it.each([
    ['+442079460958', ['Europe/London']],
    ['+34612345678', ['Europe/Madrid', 'Atlantic/Canary']],
    ['+919812345678', ['Asia/Kolkata']],
    ['+17875550123', ['America/Puerto_Rico']],
    ['+16715550123', ['Pacific/Guam']],
  ])('resolves other numbers by region: %s', (e164, zones) => {
    expect(candidateZones(null, e164)).toEqual(zones);
  });

  it.each([
    ['+525512345678', 'MX'],
    ['+5511912345678', 'BR'],
    ['+61412345678', 'AU'],
    ['+6281234567890', 'ID'],
    ['+79123456789', 'RU'],
    ['+642101234567', 'NZ'],
  ])('lists every zone of a region spanning several: %s', (e164, region) => {
    expect(candidateZones(null, e164)).toEqual(REGION_ZONES.get(region));
    expect(REGION_ZONES.get(region)?.length).toBeGreaterThan(1);
  });

  it('returns no zone for an unknown region or a number that does not parse', () => {
    expect(candidateZones(null, '+88216000000')).toEqual([]);
    expect(candidateZones(null, '+15552345678')).toEqual([]);
    expect(candidateZones(null, 'not a number')).toEqual([]);
  });
});

describe('zone tables', () => {
  const LEGACY = new Set(['Asia/Calcutta', 'Asia/Saigon', 'Asia/Katmandu', 'Asia/Rangoon', 'Europe/Kiev', 'America/Buenos_Aires', 'America/Godthab', 'America/Indianapolis', 'America/Fort_Wayne', 'America/Montreal', 'America/Yellowknife', 'America/Creston', 'America/Atikokan', 'America/Blanc-Sablon', 'America/Thunder_Bay', 'America/Nipigon', 'America/Rainy_River', 'America/Pangnirtung', 'Pacific/Enderbury', 'Atlantic/Faeroe']);
  const allZones = [...new Set([...NANP_AREA_CODE_ZONES.values(), ...REGION_ZONES.values()].flat())];

  it('lists only zones Intl accepts, by current IANA name', () => {
    for (const zone of allZones) {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone }), zone).not.toThrow();
      expect(zone, zone).toMatch(/^(Africa|America|Asia|Atlantic|Australia|Europe|Pacific)\/[A-Za-z_]+(\/[A-Za-z_]+)?$/);
      expect(LEGACY.has(zone), zone).toBe(false);
    }
  });

  it('lists each zone once per entry', () => {
    for (const zones of [...NANP_AREA_CODE_ZONES.values(), ...REGION_ZONES.values()]) {
      expect(zones.length).toBeGreaterThan(0);
      expect(new Set(zones).size).toBe(zones.length);
    }
  });

  it('puts every area code in the country libphonenumber assigns it to', () => {
    for (const [code, country] of NANP_AREA_CODE_COUNTRY) {
      expect(code).toMatch(/^[2-9][0-8]\d$/);
      expect(parsePhoneNumberFromString(`+1${code}2345678`)?.country, code).toBe(country);
    }
  });

  it('keys regions by codes libphonenumber reports', () => {
    for (const [region, zones] of REGION_ZONES) {
      expect(region).toMatch(/^[A-Z]{2}$/);
      expect(zones.length).toBeGreaterThan(0);
    }
  });
});
