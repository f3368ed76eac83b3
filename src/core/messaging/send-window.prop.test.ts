import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { evaluateSendWindow, type SendWindow } from './send-window.ts';

const MINUTE = 60_000;

/** Zones with DST in either hemisphere, none, half- and quarter-hour offsets, and the date line. */
const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Adak',
  'Pacific/Honolulu',
  'America/St_Johns',
  'America/Santiago',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Auckland',
];

const zoneSet = fc.uniqueArray(fc.constantFrom(...ZONES), { minLength: 1, maxLength: 3 });

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const windowArb: fc.Arbitrary<SendWindow> = fc.oneof(
  fc.constant({ start: '08:00', end: '21:00' }),
  fc
    .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }))
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({ start: hhmm(Math.min(a, b)), end: hhmm(Math.max(a, b)) })),
);

/** DST changes of the zones above, in 2026. Instants near them are drawn more often. */
const TRANSITIONS = [
  '2026-03-08T07:00:00Z', // New York spring forward
  '2026-11-01T06:00:00Z', // New York fall back
  '2026-03-29T01:00:00Z', // London spring forward
  '2026-10-25T01:00:00Z', // London fall back
  '2026-04-04T16:00:00Z', // Sydney fall back
  '2026-10-03T16:00:00Z', // Sydney spring forward
  '2026-04-05T03:00:00Z', // Santiago fall back
  '2026-09-06T04:00:00Z', // Santiago spring forward
].map((iso) => new Date(iso).getTime());

const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }),
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -36 * 60, max: 36 * 60 }), fc.integer({ min: 0, max: 59_999 })).map(
    ([t, minutes, ms]) => t + minutes * MINUTE + ms,
  ),
);

const clocks = new Map<string, Intl.DateTimeFormat>();
/** Independent oracle: the local HH:MM, formatted by Intl as text, as minutes of the day. */
function localMinutes(zone: string, t: number): number {
  let clock = clocks.get(zone);
  if (clock === undefined) {
    clock = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clocks.set(zone, clock);
  }
  const [h = NaN, m = NaN] = clock.format(t).split(':').map(Number);
  return h * 60 + m;
}

function openByOracle(t: number, zones: readonly string[], window: SendWindow): boolean {
  const [sh = 0, sm = 0] = window.start.split(':').map(Number);
  const [eh = 0, em = 0] = window.end.split(':').map(Number);
  return zones.every((zone) => {
    const local = localMinutes(zone, t);
    return local >= sh * 60 + sm && local < eh * 60 + em;
  });
}

describe('quiet-hours properties', () => {
  test.prop([instant, zoneSet, windowArb])('open means the local time is inside [start, end) in every zone', (now, zones, window) => {
    const state = evaluateSendWindow(new Date(now), zones, window);
    expect(state.open).toBe(openByOracle(now, zones, window));
  });

  test.prop([instant, zoneSet, windowArb])('a closed window names a later whole minute at which every zone is open', (now, zones, window) => {
    const state = evaluateSendWindow(new Date(now), zones, window);
    if (state.open || state.opensAt === null) return;
    const opensAt = state.opensAt.getTime();
    expect(opensAt).toBeGreaterThan(now);
    expect(opensAt % MINUTE).toBe(0);
    expect(openByOracle(opensAt, zones, window)).toBe(true);
    expect(evaluateSendWindow(state.opensAt, zones, window)).toEqual({ open: true });
  });

  test.prop([instant, zoneSet, windowArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 40, maxLength: 40 })])(
    'no minute between now and the opening is open (sampled, plus the minute just before)',
    (now, zones, window, fractions) => {
      const state = evaluateSendWindow(new Date(now), zones, window);
      if (state.open || state.opensAt === null) return;
      const opensAt = state.opensAt.getTime();
      const minutes = Math.floor((opensAt - now) / MINUTE);
      const samples = [opensAt - MINUTE, ...fractions.map((f) => opensAt - (1 + Math.floor(f * minutes)) * MINUTE)];
      for (const t of samples) if (t > now) expect(openByOracle(t, zones, window), new Date(t).toISOString()).toBe(false);
    },
  );

  test.prop([instant, zoneSet, windowArb], { numRuns: 25 })('the opening is the first open minute (exhaustive scan)', (now, zones, window) => {
    const state = evaluateSendWindow(new Date(now), zones, window);
    if (state.open) return;
    const horizon = state.opensAt?.getTime() ?? now + 72 * 60 * MINUTE;
    for (let t = Math.floor(now / MINUTE + 1) * MINUTE; t < horizon; t += MINUTE) {
      if (openByOracle(t, zones, window)) expect.fail(`open at ${new Date(t).toISOString()} before ${state.opensAt?.toISOString() ?? 'never'}`);
    }
  });

  test.prop([instant, zoneSet])('the 08:00–21:00 window of two zones always overlaps, and opens within a day', (now, zones) => {
    fc.pre(zones.length <= 2);
    const state = evaluateSendWindow(new Date(now), zones, { start: '08:00', end: '21:00' });
    if (state.open) return;
    expect(state.opensAt).not.toBeNull();
    expect((state.opensAt?.getTime() ?? Infinity) - now).toBeLessThanOrEqual(25 * 60 * MINUTE);
  });
});
