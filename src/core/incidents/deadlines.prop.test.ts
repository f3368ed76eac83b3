import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { REMINDER_DAYS, computeDeadlines, daysLeft, dueReminders, type Deadline, type DeadlineInput } from './deadlines.ts';

// Property tests of the deadline calculator (45 CFR 164.404(b), 164.406, 164.408(b)/(c), 164.412; issue 7 "Prove it"):
// dates across year ends, leap years and DST changes in several US time zones.

const ZONES = ['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu', 'America/Phoenix', 'UTC'] as const;
const zoneArb = fc.constantFrom(...ZONES);

/** DST starts and ends in the US (second Sunday of March, first Sunday of November), 2026-2029. */
const DST_DAYS = ['2026-03-08', '2026-11-01', '2027-03-14', '2027-11-07', '2028-03-12', '2028-11-05', '2029-03-11', '2029-11-04'];
/** Discovery days whose +60 lands on 29 February 2028, or that straddle year ends. */
const EDGE_DAYS = ['2027-12-31', '2028-01-01', '2027-12-31', '2026-12-31', '2027-01-01', '2028-02-29', '2027-12-01', '2027-12-30', '2028-12-31', '2029-01-01'];

/** Instants: anywhere 2025-2031, or within a day of a DST change or an edge day (any hour, any zone). */
const instantArb = fc.oneof(
  fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2031-12-31T23:59:59Z'), noInvalidDate: true }),
  fc
    .tuple(fc.constantFrom(...DST_DAYS, ...EDGE_DAYS), fc.integer({ min: -36 * 60, max: 36 * 60 }), fc.integer({ min: 0, max: 59_999 }))
    .map(([day, minutes, ms]) => new Date(Date.parse(`${day}T00:00:00Z`) + minutes * 60_000 + ms)),
);

// ---- an oracle that does not share code with the module: string dates and a hand-written calendar

/** YYYY-MM-DD of an instant in a zone, via toLocaleDateString (not formatToParts). */
function oracleLocal(instant: Date, timeZone: string): string {
  return instant.toLocaleDateString('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
}
function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
function monthDays(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}
function oracleAddDays(date: string, days: number): string {
  let [y, m, d] = date.split('-').map(Number) as [number, number, number];
  for (let i = 0; i < days; i++) {
    d++;
    if (d > monthDays(y, m)) {
      d = 1;
      m++;
      if (m > 12) {
        m = 1;
        y++;
      }
    }
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
function maxDate(a: string, b: string): string {
  return a >= b ? a : b;
}

const residentsArb = fc.dictionary(fc.constantFrom('NY', 'NJ', 'CA', 'HI', 'AZ', 'PR'), fc.constantFrom(0, 1, 499, 500, 501, 2000), { maxKeys: 6 });
const affectedArb = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(499, 500, 501));

const inputArb: fc.Arbitrary<DeadlineInput> = fc.record({
  discoveredAt: instantArb,
  affectedCount: affectedArb,
  residentsByState: residentsArb,
  lawEnforcementDelayUntil: fc.constant(null),
  timeZone: zoneArb,
});

function get(deadlines: readonly Deadline[], kind: Deadline['kind'], state: string | null = null): Deadline | undefined {
  return deadlines.find((d) => d.kind === kind && d.state === state);
}

describe('computeDeadlines properties', () => {
  test.prop([inputArb], { numRuns: 500 })('individual notice is due on the local discovery date + 60 calendar days (164.404(b))', (input) => {
    const discovered = oracleLocal(input.discoveredAt as Date, input.timeZone);
    const individual = get(computeDeadlines(input), 'individual');
    expect(individual?.dueDate).toBe(oracleAddDays(discovered, 60));
    expect(individual?.rule).toBe('45 CFR 164.404(b)');
  });

  test.prop([inputArb], { numRuns: 300 })('dueAt is the last millisecond of the local due date', (input) => {
    for (const d of computeDeadlines(input)) {
      expect(oracleLocal(d.dueAt, input.timeZone)).toBe(d.dueDate);
      expect(oracleLocal(new Date(d.dueAt.getTime() + 1), input.timeZone)).toBe(oracleAddDays(d.dueDate, 1));
    }
  });

  test.prop([inputArb])('HHS notice iff 500 or more affected, on the individual due date (164.408(b))', (input) => {
    const deadlines = computeDeadlines(input);
    const hhs = deadlines.filter((d) => d.kind === 'hhs');
    expect(hhs.length).toBe(input.affectedCount >= 500 ? 1 : 0);
    if (hhs[0] !== undefined) {
      expect(hhs[0].dueDate).toBe(get(deadlines, 'individual')?.dueDate);
      expect(hhs[0].rule).toBe('45 CFR 164.408(b)');
    }
  });

  test.prop([inputArb])('media notice exactly for the states with more than 500 residents, same date (164.406)', (input) => {
    const deadlines = computeDeadlines(input);
    const media = deadlines.filter((d) => d.kind === 'media');
    const expected = Object.entries(input.residentsByState)
      .filter(([, c]) => c > 500)
      .map(([s]) => s)
      .sort();
    expect(media.map((d) => d.state).sort()).toEqual(expected);
    for (const d of media) expect(d.dueDate).toBe(get(deadlines, 'individual')?.dueDate);
  });

  test.prop([inputArb], { numRuns: 300 })('annual log iff fewer than 500, due 60 days after Dec 31 of the discovery year (164.408(c))', (input) => {
    const log = computeDeadlines(input).filter((d) => d.kind === 'annual-log');
    expect(log.length).toBe(input.affectedCount < 500 ? 1 : 0);
    if (log[0] !== undefined) {
      const year = Number(oracleLocal(input.discoveredAt as Date, input.timeZone).slice(0, 4));
      expect(log[0].dueDate).toBe(oracleAddDays(`${year}-12-31`, 60));
      expect(log[0].dueDate).toBe(isLeap(year + 1) ? `${year + 1}-02-29` : `${year + 1}-03-01`);
    }
  });

  test.prop([inputArb, instantArb], { numRuns: 300 })('a law-enforcement delay never makes a deadline earlier, and postpones to its end (164.412)', (input, until) => {
    const plain = computeDeadlines(input);
    const delayed = computeDeadlines({ ...input, lawEnforcementDelayUntil: until });
    expect(delayed.map((d) => [d.kind, d.state])).toEqual(plain.map((d) => [d.kind, d.state]));
    const end = oracleLocal(until, input.timeZone);
    plain.forEach((p, i) => {
      const d = delayed[i] as Deadline;
      expect(d.dueDate >= p.dueDate).toBe(true);
      expect(d.dueAt.getTime()).toBeGreaterThanOrEqual(p.dueAt.getTime());
      expect(d.dueDate).toBe(maxDate(p.dueDate, end));
    });
  });

  test.prop([inputArb])('is deterministic and pure', (input) => {
    expect(computeDeadlines(input)).toEqual(computeDeadlines(input));
  });
});

describe('daysLeft and dueReminders properties', () => {
  test.prop([inputArb, instantArb], { numRuns: 300 })('daysLeft is 0 through the whole due date and negative after', (input, now) => {
    for (const d of computeDeadlines(input)) {
      expect(daysLeft(d, d.dueAt, input.timeZone)).toBe(0);
      expect(daysLeft(d, new Date(d.dueAt.getTime() + 1), input.timeZone)).toBe(-1);
      const left = daysLeft(d, now, input.timeZone);
      const today = oracleLocal(now, input.timeZone);
      if (left >= 0) expect(oracleAddDays(today, left)).toBe(d.dueDate);
      else expect(oracleAddDays(d.dueDate, -left)).toBe(today);
      expect(left < 0).toBe(now.getTime() > d.dueAt.getTime());
    }
  });

  const sentArb = fc.array(
    fc.tuple(fc.constantFrom('individual', 'hhs', 'media', 'annual-log'), fc.constantFrom('', 'NY', 'CA'), fc.constantFrom(...REMINDER_DAYS.map(String), 'overdue')).map(([k, s, d]) => `${k}:${s}:${d}`),
    { maxLength: 20 },
  );

  test.prop([inputArb, fc.array(fc.integer({ min: 0, max: 500 * 24 }), { maxLength: 40 }), sentArb], { numRuns: 300 })(
    'never returns a key in `sent`, and each key at most once over time',
    (input, hourOffsets, initiallySent) => {
      const deadlines = computeDeadlines(input);
      const start = (input.discoveredAt as Date).getTime();
      const sent = new Set(initiallySent);
      const returned = new Set<string>();
      for (const h of [...hourOffsets].sort((a, b) => a - b)) {
        const now = new Date(start + h * 3_600_000);
        const reminders = dueReminders(deadlines, now, input.timeZone, sent);
        for (const r of reminders) {
          expect(sent.has(r.key)).toBe(false);
          expect(returned.has(r.key)).toBe(false);
          expect(r.daysLeft).toBe(daysLeft(r.deadline, now, input.timeZone));
          const suffix = r.key.split(':')[2];
          if (r.daysLeft < 0) expect(suffix).toBe('overdue');
          else expect(Number(suffix)).toBeGreaterThanOrEqual(r.daysLeft);
          returned.add(r.key);
        }
        for (const r of reminders) sent.add(r.key);
      }
    },
  );

  test.prop([inputArb, fc.integer({ min: 1, max: 20 })], { numRuns: 100 })(
    'checked every few hours, each threshold fires exactly once per deadline, then overdue once',
    (input, stepHours) => {
      const deadlines = computeDeadlines(input);
      const sent = new Set<string>();
      const fired: string[] = [];
      const start = (input.discoveredAt as Date).getTime();
      const last = Math.max(...deadlines.map((d) => d.dueAt.getTime())) + 3 * 86_400_000;
      for (let t = start; t <= last; t += stepHours * 3_600_000) {
        for (const r of dueReminders(deadlines, new Date(t), input.timeZone, sent)) {
          sent.add(r.key);
          fired.push(r.key);
        }
      }
      for (const d of deadlines) {
        const prefix = `${d.kind}:${d.state ?? ''}:`;
        const mine = fired.filter((k) => k.startsWith(prefix));
        // thresholds already passed at discovery (e.g. 30 for a 60-day deadline checked from day 0) fire in order
        const expected = REMINDER_DAYS.filter((days) => days <= daysLeft(d, new Date(start), input.timeZone)).map((days) => `${prefix}${days}`);
        expect(mine).toEqual([...expected, `${prefix}overdue`]);
      }
    },
  );
});
