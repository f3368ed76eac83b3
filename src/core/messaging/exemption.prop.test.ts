import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { EXEMPT_MAX_PER_DAY, EXEMPT_MAX_PER_WEEK, checkHealthcareExemption } from './exemption.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 1);

/** Send attempts over a month, to the minute, in the order they are checked (not necessarily chronological). */
const attempts = fc.array(fc.integer({ min: 0, max: 30 * 24 * 60 }), { maxLength: 60 }).map((minutes) => minutes.map((m) => START + m * 60_000));

/** The most of `times` inside any half-open window of this length. */
function busiest(times: readonly number[], length: number): number {
  return Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + length).length));
}

/** Feed the attempts to the checker, recording each accepted one; returns the accepted sends. */
function run(times: readonly number[]): number[] {
  const accepted: number[] = [];
  for (const t of times) {
    if (checkHealthcareExemption({ body: 'Reminder: appointment tomorrow 9:00. Reply STOP to opt out.', now: new Date(t), previousSends: accepted.map((a) => new Date(a)) }).ok) {
      accepted.push(t);
    }
  }
  return accepted;
}

describe('healthcare exemption properties', () => {
  test.prop([attempts.map((ts) => [...ts].sort((a, b) => a - b))])('sends accepted in time order never put 2 in 24 hours or 4 in 7 days', (times) => {
    const accepted = run(times);
    expect(busiest(accepted, DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_DAY);
    expect(busiest(accepted, 7 * DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_WEEK);
  });

  test.prop([attempts])('the same holds whatever order the sends are checked in', (times) => {
    const accepted = run(times);
    expect(busiest(accepted, DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_DAY);
    expect(busiest(accepted, 7 * DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_WEEK);
  });

  test.prop([attempts, fc.integer({ min: 0, max: 30 * 24 * 60 })])('a refusal is never needless: adding the send would break the limit it names', (times, minute) => {
    const accepted = run(times);
    const now = START + minute * 60_000;
    const verdict = checkHealthcareExemption({ body: 'Reminder', now: new Date(now), previousSends: accepted.map((a) => new Date(a)) });
    const withIt = [...accepted, now];
    if (verdict.ok) {
      expect(busiest(withIt, DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_DAY);
      expect(busiest(withIt, 7 * DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_WEEK);
    } else if (verdict.rule === 'daily-limit') {
      expect(busiest(withIt, DAY)).toBeGreaterThan(EXEMPT_MAX_PER_DAY);
    } else {
      expect(verdict.rule).toBe('weekly-limit');
      expect(busiest(withIt, DAY)).toBeLessThanOrEqual(EXEMPT_MAX_PER_DAY);
      expect(busiest(withIt, 7 * DAY)).toBeGreaterThan(EXEMPT_MAX_PER_WEEK);
    }
  });

  test.prop([fc.string({ unit: 'grapheme', maxLength: 200 })])('a body passes the length rule exactly when it has at most 160 characters', (body) => {
    const verdict = checkHealthcareExemption({ body, now: new Date(START), previousSends: [] });
    const [...graphemes] = new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(body);
    if (graphemes.length <= 80) expect(verdict).toEqual({ ok: true });
    if (graphemes.length > 160) expect(verdict).toMatchObject({ ok: false, rule: 'body-too-long' });
  });
});
