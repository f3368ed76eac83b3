import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, classifyInboundReply } from '../consent/inbound-intent.ts';
import { DomainError } from '../errors.ts';
import { evaluateSendWindow, type SendWindow } from '../messaging/send-window.ts';
import { classifyAppointmentReply } from './appointment-reply.ts';
import { parseReminderPolicy, type ParsedReminderPolicy, type ReminderPolicy } from './reminder-policy.ts';
import { scheduleReminders } from './reminder-schedule.ts';

const MINUTE = 60_000;

/** Zones with DST in either hemisphere, none, half- and quarter-hour offsets. */
const ZONES = ['America/New_York', 'America/Los_Angeles', 'America/Phoenix', 'Pacific/Honolulu', 'America/St_Johns', 'Europe/London', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Auckland'];
const zoneArb = fc.constantFrom(...ZONES);

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const windowArb: fc.Arbitrary<SendWindow> = fc.oneof(
  fc.constant({ start: '08:00', end: '21:00' }),
  fc.constant({ start: '08:00', end: '20:00' }),
  fc
    .tuple(fc.integer({ min: 0, max: 23 * 60 }), fc.integer({ min: 30, max: 16 * 60 }))
    .map(([start, length]) => ({ start: hhmm(start), end: hhmm(Math.min(start + length, 23 * 60 + 59)) }))
    .filter((w) => w.start < w.end),
);

const durationArb = fc.oneof(
  fc.integer({ min: 1, max: 30 }).map((d) => `P${d}D`),
  fc.integer({ min: 1, max: 200 }).map((h) => `PT${h}H`),
  fc.integer({ min: 15, max: 3000 }).map((m) => `PT${m % 60 === 0 ? m + 1 : m}M`), // whole hours would duplicate PT<h>H
  fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 23 })).map(([d, h]) => `P${d}DT${h}H`),
);
const policyArb: fc.Arbitrary<ReminderPolicy> = fc
  .uniqueArray(durationArb, { minLength: 1, maxLength: 4 })
  .map((offsets) => parseReminderPolicy({ template: 'appointment_reminder', offsets, replyWords: { confirm: ['C'], cancel: ['C2'], rebook: ['R'] } }).policy);

const instantArb = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) });

const scenarioArb = fc.record({
  now: instantArb,
  ahead: fc.integer({ min: -2 * 24 * 60, max: 40 * 24 * 60 }), // appointment start, minutes after now
  timeZone: zoneArb,
  zones: fc.uniqueArray(zoneArb, { maxLength: 2 }),
  window: windowArb,
  policy: policyArb,
});

describe('scheduleReminders properties', () => {
  test.prop([scenarioArb], { numRuns: 150 })(
    'a sendAt is never in quiet hours, never before now, and strictly before the appointment',
    ({ now, ahead, timeZone, zones, window, policy }) => {
      const startsAt = new Date(now + ahead * MINUTE);
      const result = scheduleReminders({ startsAt, timeZone }, policy, { window, zones }, new Date(now));
      expect(result).toHaveLength(policy.offsets.length);
      const effectiveZones = zones.length > 0 ? zones : [timeZone];
      for (const r of result) {
        if (!('sendAt' in r)) continue;
        expect(r.sendAt.getTime()).toBeLessThan(startsAt.getTime());
        expect(r.sendAt.getTime()).toBeGreaterThanOrEqual(now);
        expect(evaluateSendWindow(r.sendAt, effectiveZones, window)).toEqual({ open: true });
      }
      if (startsAt.getTime() <= now) expect(result.every((r) => 'skipped' in r && r.skipped === 'appointment-in-past')).toBe(true);
    },
  );

  test.prop([scenarioArb], { numRuns: 150 })(
    'moves only when the nominal time is closed: earlier to the last open minute before it, later only when nothing earlier is left',
    ({ now, ahead, timeZone, zones, window, policy }) => {
      const startsAt = now + ahead * MINUTE;
      const hoursOnly: ReminderPolicy = { ...policy, offsets: policy.offsets.filter((o) => o.days === 0) };
      const result = scheduleReminders({ startsAt: new Date(startsAt), timeZone }, hoursOnly, { window, zones }, new Date(now));
      const effectiveZones = zones.length > 0 ? zones : [timeZone];
      const openAt = (t: number): boolean => evaluateSendWindow(new Date(t), effectiveZones, window).open;
      hoursOnly.offsets.forEach((o, i) => {
        const r = result[i];
        const nominal = startsAt - o.minutes * MINUTE;
        if (r === undefined || !('sendAt' in r)) return;
        const at = r.sendAt.getTime();
        if (r.moved === null) expect(at).toBe(nominal);
        if (r.moved === 'earlier') {
          expect(openAt(nominal)).toBe(false);
          expect(at).toBeLessThan(nominal);
          expect(openAt(at + MINUTE) && at + MINUTE < nominal).toBe(false);
        }
        if (r.moved === 'later') {
          expect(openAt(nominal)).toBe(false);
          expect(at).toBeGreaterThan(nominal);
          expect(openAt(now)).toBe(false);
        }
      });
    },
  );

  test.prop([scenarioArb], { numRuns: 50 })('is deterministic: the same inputs give the same output', ({ now, ahead, timeZone, zones, window, policy }) => {
    const run = () => scheduleReminders({ startsAt: new Date(now + ahead * MINUTE), timeZone }, policy, { window, zones }, new Date(now));
    expect(run()).toEqual(run());
  });
});

/** Reply words: keywords in assorted spellings, short codes and random short text. */
const keywordArb = fc.constantFrom(...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS, ...HELP_KEYWORDS);
const spelledArb = fc
  .tuple(keywordArb, fc.constantFrom('', ' ', '!', '.', '-'), fc.boolean())
  .map(([k, punct, lower]) => `${punct}${lower ? k.toLowerCase() : k}${punct}`);
const wordArb = fc.oneof(spelledArb, fc.stringMatching(/^[A-Za-z0-9]{1,6}( [A-Za-z]{1,5})?$/), fc.string({ maxLength: 12 }));

describe('reply word properties', () => {
  test.prop([fc.array(wordArb, { maxLength: 4 }), fc.array(wordArb, { maxLength: 4 }), fc.array(wordArb, { maxLength: 4 })])(
    'an accepted policy never has a reply word the consent classifier reads as opt-out',
    (confirm, cancel, rebook) => {
      let parsed: ParsedReminderPolicy;
      try {
        parsed = parseReminderPolicy({ template: 't', offsets: ['P1D'], replyWords: { confirm: ['C', ...confirm], cancel, rebook } });
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
        return;
      }
      const all = Object.values(parsed.policy.replyWords).flat();
      for (const word of all) expect(classifyInboundReply(word).kind).not.toBe('opt-out');
      expect(new Set(all).size).toBe(all.length);
    },
  );

  /** A policy holding arbitrary words, opt-out keywords included (as if stored before validation existed). */
  const rawPolicyArb: fc.Arbitrary<ReminderPolicy> = fc
    .tuple(fc.array(wordArb, { maxLength: 4 }), fc.array(wordArb, { maxLength: 4 }), fc.array(wordArb, { maxLength: 4 }))
    .map(([confirm, cancel, rebook]) => ({ template: 't', offsets: [], replyWords: { confirm: [...confirm, 'STOP'], cancel: [...cancel, 'CANCEL'], rebook } }));

  test.prop([spelledArb, rawPolicyArb])('an opt-out keyword reply is never an appointment reply, whatever the policy', (text, policy) => {
    fc.pre(classifyInboundReply(text).kind === 'opt-out');
    expect(classifyAppointmentReply(text, policy)).toEqual({ kind: 'not-a-reply' });
  });

  const replyArb = fc.oneof(
    spelledArb,
    fc.constantFrom('please stop texting me', 'no more messages', 'Stop, wrong number', 'take me off your list', 'no mas', 'C', 'c2'),
    fc.string({ maxLength: 30 }),
  );

  test.prop([replyArb, rawPolicyArb])('any reply the consent classifier acts on (opt-out, opt-in, help) is never an appointment reply', (text, policy) => {
    if (classifyInboundReply(text).kind !== 'review') expect(classifyAppointmentReply(text, policy)).toEqual({ kind: 'not-a-reply' });
  });
});
