import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkHealthcareExemption } from './exemption.ts';
import { candidateZones, evaluateSendWindow } from './send-window.ts';

const W = { start: '08:00', end: '21:00' };

describe('quiet hours (reference §2.3)', () => {
  it('is open 08:00–21:00 local and names the next opening otherwise', () => {
    expect(evaluateSendWindow(new Date('2026-01-15T13:00:00Z'), ['America/New_York'], W)).toEqual({ open: true });
    expect(evaluateSendWindow(new Date('2026-01-15T02:00:00Z'), ['America/New_York'], W)).toEqual({ open: false, opensAt: new Date('2026-01-15T13:00:00Z') });
    // 21:00 is already closed.
    expect(evaluateSendWindow(new Date('2026-01-16T02:00:00Z'), ['America/New_York'], W)).toMatchObject({ open: false, opensAt: new Date('2026-01-16T13:00:00Z') });
  });

  it('is DST-correct on the spring-forward and fall-back days (New York, London)', () => {
    // 2026-03-08: New York goes to EDT at 02:00; 08:00 EDT is 12:00Z.
    expect(evaluateSendWindow(new Date('2026-03-08T06:00:00Z'), ['America/New_York'], W)).toEqual({ open: false, opensAt: new Date('2026-03-08T12:00:00Z') });
    // 2026-11-01: back to EST; 08:00 EST is 13:00Z.
    expect(evaluateSendWindow(new Date('2026-11-01T06:00:00Z'), ['America/New_York'], W)).toEqual({ open: false, opensAt: new Date('2026-11-01T13:00:00Z') });
    // 2026-03-29: London goes to BST; 08:00 BST is 07:00Z.
    expect(evaluateSendWindow(new Date('2026-03-29T03:00:00Z'), ['Europe/London'], W)).toEqual({ open: false, opensAt: new Date('2026-03-29T07:00:00Z') });
  });

  it('takes the most restrictive zone when several apply: New York and Honolulu overlap 13:00–21:00 Eastern', () => {
    const zones = ['America/New_York', 'Pacific/Honolulu'];
    expect(evaluateSendWindow(new Date('2026-01-15T17:30:00Z'), zones, W)).toEqual({ open: false, opensAt: new Date('2026-01-15T18:00:00Z') });
    expect(evaluateSendWindow(new Date('2026-01-15T18:30:00Z'), zones, W)).toEqual({ open: true });
    expect(evaluateSendWindow(new Date('2026-01-16T02:30:00Z'), zones, W)).toEqual({ open: false, opensAt: new Date('2026-01-16T18:00:00Z') });
  });

  it('says when windows never overlap (zones further apart than the window is long)', () => {
    expect(evaluateSendWindow(new Date('2026-01-15T12:00:00Z'), ['Europe/London', 'Asia/Shanghai', 'America/Los_Angeles'], W)).toEqual({ open: false, opensAt: null });
  });

  it('uses the patient’s zone, else every zone of the number’s region, else none', () => {
    expect(candidateZones('Europe/Madrid', '+14155550100')).toEqual(['Europe/Madrid']);
    expect(candidateZones(null, '+14155550100')).toContain('Pacific/Honolulu');
    expect(candidateZones(null, '+442079460958')).toEqual(['Europe/London']);
    expect(candidateZones(null, '+17875550100')).toEqual(['America/Puerto_Rico']);
    expect(candidateZones(null, '+88216000000')).toEqual([]);
  });

  it('lists only zones Intl accepts', () => {
    for (const e164 of ['+14155550100', '+16135550100', '+525512345678', '+5511912345678', '+61412345678', '+34612345678', '+79123456789']) {
      for (const zone of candidateZones(null, e164)) expect(() => new Intl.DateTimeFormat('en', { timeZone: zone })).not.toThrow();
    }
  });
});

const zoneSets = fc.constantFrom(['America/New_York'], ['Europe/London'], ['America/New_York', 'Pacific/Honolulu'], ['Australia/Sydney', 'Australia/Perth'], candidateZones(null, '+14155550100'));
const instants = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true });

describe('quiet-hours properties', () => {
  test.prop([instants, zoneSets])('a closed window names an opening that is later, open, and the first open minute', (now, zones) => {
    const state = evaluateSendWindow(now, zones, W);
    if (state.open || state.opensAt === null) return;
    expect(state.opensAt.getTime()).toBeGreaterThan(now.getTime());
    expect(evaluateSendWindow(state.opensAt, zones, W).open).toBe(true);
    const oneMinuteBefore = new Date(state.opensAt.getTime() - 60_000);
    if (oneMinuteBefore > now) expect(evaluateSendWindow(oneMinuteBefore, zones, W).open).toBe(false);
  });

  test.prop([instants, zoneSets])('open means 08:00 ≤ local time < 21:00 in every zone', (now, zones) => {
    if (!evaluateSendWindow(now, zones, W).open) return;
    for (const zone of zones) {
      const [h = 0, m = 0] = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now).split(':').map(Number);
      expect(h * 60 + m).toBeGreaterThanOrEqual(480);
      expect(h * 60 + m).toBeLessThan(1260);
    }
  });
});

describe('healthcare exemption (reference §2.1)', () => {
  const now = new Date('2026-01-20T12:00:00Z');
  const ago = (hours: number): Date => new Date(now.getTime() - hours * 3_600_000);

  it('allows 160 characters and refuses 161', () => {
    expect(checkHealthcareExemption({ body: 'a'.repeat(160), now, previousSends: [] })).toEqual({ ok: true });
    expect(checkHealthcareExemption({ body: 'a'.repeat(161), now, previousSends: [] })).toEqual({ ok: false, rule: 'body-too-long', limit: 160 });
  });

  it('allows one a day and three a week, in rolling windows', () => {
    expect(checkHealthcareExemption({ body: 'x', now, previousSends: [ago(23)] })).toMatchObject({ ok: false, rule: 'daily-limit' });
    expect(checkHealthcareExemption({ body: 'x', now, previousSends: [ago(25)] })).toEqual({ ok: true });
    expect(checkHealthcareExemption({ body: 'x', now, previousSends: [ago(25), ago(60), ago(150)] })).toMatchObject({ ok: false, rule: 'weekly-limit' });
    expect(checkHealthcareExemption({ body: 'x', now, previousSends: [ago(25), ago(60), ago(170)] })).toEqual({ ok: true });
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 30 * 24 }), { maxLength: 40 })])('sends it accepts never put 2 in 24 hours or 4 in 7 days', (hours) => {
    const accepted: Date[] = [];
    for (const h of [...hours].sort((a, b) => a - b)) {
      const at = new Date(Date.UTC(2026, 0, 1) + h * 3_600_000);
      if (checkHealthcareExemption({ body: 'Reminder', now: at, previousSends: accepted }).ok) accepted.push(at);
    }
    for (const a of accepted) {
      const within = (ms: number) => accepted.filter((b) => b.getTime() >= a.getTime() && b.getTime() - a.getTime() < ms).length;
      expect(within(24 * 3_600_000)).toBeLessThanOrEqual(1);
      expect(within(7 * 24 * 3_600_000)).toBeLessThanOrEqual(3);
    }
  });
});
