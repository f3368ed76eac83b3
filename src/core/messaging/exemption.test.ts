import { describe, expect, it } from 'vitest';
import { EXEMPT_MAX_CHARACTERS, EXEMPT_MAX_PER_DAY, EXEMPT_MAX_PER_WEEK, checkHealthcareExemption } from './exemption.ts';

const now = new Date('2026-01-20T12:00:00Z');
const HOUR = 3_600_000;
const hoursAgo = (h: number): Date => new Date(now.getTime() - h * HOUR);
const check = (body: string, previousSends: readonly Date[] = []) => checkHealthcareExemption({ body, now, previousSends });

describe('healthcare exemption limits (reference §2.1)', () => {
  it('exports the limits of FCC 15-72', () => {
    expect([EXEMPT_MAX_CHARACTERS, EXEMPT_MAX_PER_DAY, EXEMPT_MAX_PER_WEEK]).toEqual([160, 1, 3]);
  });

  it('allows 160 characters and refuses 161', () => {
    expect(check('a'.repeat(160))).toEqual({ ok: true });
    expect(check('a'.repeat(161))).toEqual({ ok: false, rule: 'body-too-long', limit: 160 });
  });

  it('counts characters as the segment calculator does: a GSM extension character counts 2', () => {
    expect(check('€'.repeat(80))).toEqual({ ok: true });
    expect(check(`${'€'.repeat(80)}a`)).toEqual({ ok: false, rule: 'body-too-long', limit: 160 });
    expect(check(`[${'a'.repeat(159)}`)).toMatchObject({ ok: false, rule: 'body-too-long' });
  });

  it('holds a UCS-2 body to 160 characters too (graphemes), though it spans several segments', () => {
    expect(check('ç'.repeat(160))).toEqual({ ok: true });
    expect(check('ç'.repeat(161))).toEqual({ ok: false, rule: 'body-too-long', limit: 160 });
    // An emoji is one character however many code units it has.
    expect(check(`${'ç'.repeat(159)}👩‍👩‍👧`)).toEqual({ ok: true });
  });

  it('allows one message in any rolling 24 hours', () => {
    expect(check('Reminder', [hoursAgo(23)])).toEqual({ ok: false, rule: 'daily-limit', limit: 1 });
    expect(check('Reminder', [new Date(now.getTime() - 24 * HOUR + 1)])).toMatchObject({ ok: false, rule: 'daily-limit' });
    expect(check('Reminder', [hoursAgo(24)])).toEqual({ ok: true });
    expect(check('Reminder', [hoursAgo(25)])).toEqual({ ok: true });
    expect(check('Reminder', [now])).toMatchObject({ ok: false, rule: 'daily-limit' });
  });

  it('allows three messages in any rolling 7 days', () => {
    expect(check('Reminder', [hoursAgo(25), hoursAgo(60)])).toEqual({ ok: true });
    expect(check('Reminder', [hoursAgo(25), hoursAgo(60), hoursAgo(150)])).toEqual({ ok: false, rule: 'weekly-limit', limit: 3 });
    expect(check('Reminder', [hoursAgo(25), hoursAgo(60), hoursAgo(167)])).toMatchObject({ ok: false, rule: 'weekly-limit' });
    expect(check('Reminder', [hoursAgo(25), hoursAgo(60), hoursAgo(168)])).toEqual({ ok: true });
    expect(check('Reminder', [hoursAgo(25), hoursAgo(60), hoursAgo(170), hoursAgo(500)])).toEqual({ ok: true });
  });

  it('counts sends on either side of this one (any order), as a rolling window does', () => {
    const later = (h: number): Date => new Date(now.getTime() + h * HOUR);
    expect(check('Reminder', [later(5)])).toMatchObject({ ok: false, rule: 'daily-limit' });
    // 50 h before, 50 h and 100 h after: the week starting 50 h before holds four with this one.
    expect(check('Reminder', [hoursAgo(50), later(50), later(100)])).toMatchObject({ ok: false, rule: 'weekly-limit' });
    // Spread so that no 7-day window holds four.
    expect(check('Reminder', [hoursAgo(100), hoursAgo(50), later(70)])).toEqual({ ok: true });
  });

  it('checks the body before the frequency', () => {
    expect(check('a'.repeat(161), [hoursAgo(1)])).toMatchObject({ rule: 'body-too-long' });
    expect(check('a', [hoursAgo(1), hoursAgo(30), hoursAgo(60)])).toMatchObject({ rule: 'daily-limit' });
  });
});
