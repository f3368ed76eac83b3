import { describe, expect, it } from 'vitest';
import { parseReminderPolicy } from './reminder-policy.ts';
import { scheduleReminders, type ReminderSendWindow } from './reminder-schedule.ts';

const policyOf = (...offsets: string[]) => parseReminderPolicy({ template: 'appointment_reminder', offsets, replyWords: { confirm: ['C'] } }).policy;
const dayWindow: ReminderSendWindow = { window: { start: '08:00', end: '21:00' }, zones: [] };
const NY = 'America/New_York';

describe('scheduleReminders', () => {
  it('sends 7 days and 48 hours before, 7 days in calendar days across the spring DST change', () => {
    // 10:00 EDT on 10 March 2026; DST began on 8 March.
    const appointment = { startsAt: new Date('2026-03-10T14:00:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('P7D', 'PT48H'), dayWindow, new Date('2026-03-01T12:00:00Z'))).toEqual([
      { offset: 'P7D', sendAt: new Date('2026-03-03T15:00:00Z'), moved: null }, // 10:00 EST
      { offset: 'PT48H', sendAt: new Date('2026-03-08T14:00:00Z'), moved: null }, // exactly 48 h earlier: 10:00 EDT
    ]);
  });

  it('counts days on the calendar and hours as elapsed time across the autumn DST change', () => {
    // 10:00 EST on 2 November 2026; DST ended on 1 November.
    const appointment = { startsAt: new Date('2026-11-02T15:00:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('P2D', 'PT48H'), dayWindow, new Date('2026-10-01T00:00:00Z'))).toEqual([
      { offset: 'P2D', sendAt: new Date('2026-10-31T14:00:00Z'), moved: null }, // 10:00 EDT
      { offset: 'PT48H', sendAt: new Date('2026-10-31T15:00:00Z'), moved: null }, // 11:00 EDT
    ]);
  });

  it('moves a reminder that falls in quiet hours earlier, to the last minute of the previous window', () => {
    // 09:00 EST on 15 January; 12 hours before is 21:00 the evening before, just closed.
    const appointment = { startsAt: new Date('2026-01-15T14:00:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('PT12H'), dayWindow, new Date('2026-01-10T00:00:00Z'))).toEqual([
      { offset: 'PT12H', sendAt: new Date('2026-01-15T01:59:00Z'), moved: 'earlier' }, // 20:59 EST on the 14th
    ]);
  });

  it('moves later when the earlier time has passed, if still before the appointment', () => {
    // 11:00 EST; 4 hours before is 07:00, in quiet hours; now is 22:00 the night before, after the window closed.
    const appointment = { startsAt: new Date('2026-01-15T16:00:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('PT4H'), dayWindow, new Date('2026-01-15T03:00:00Z'))).toEqual([
      { offset: 'PT4H', sendAt: new Date('2026-01-15T13:00:00Z'), moved: 'later' }, // 08:00 EST
    ]);
  });

  it('skips when no allowed time is left before the appointment', () => {
    // 07:30 EST; 1 hour before is 06:30; now is 23:00 the night before.
    const appointment = { startsAt: new Date('2026-01-15T12:30:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('PT1H'), dayWindow, new Date('2026-01-15T04:00:00Z'))).toEqual([{ offset: 'PT1H', skipped: 'outside-send-window' }]);
  });

  it('skips reminders whose moment has passed, and all of them for a past appointment', () => {
    const appointment = { startsAt: new Date('2026-03-10T14:00:00Z'), timeZone: NY };
    expect(scheduleReminders(appointment, policyOf('P7D', 'PT48H'), dayWindow, new Date('2026-03-05T12:00:00Z'))).toEqual([
      { offset: 'P7D', skipped: 'too-late' },
      { offset: 'PT48H', sendAt: new Date('2026-03-08T14:00:00Z'), moved: null },
    ]);
    expect(scheduleReminders(appointment, policyOf('P7D', 'PT48H'), dayWindow, new Date('2026-03-10T14:00:00Z'))).toEqual([
      { offset: 'P7D', skipped: 'appointment-in-past' },
      { offset: 'PT48H', skipped: 'appointment-in-past' },
    ]);
  });

  it("uses the recipient's zones when given, not the appointment's", () => {
    // 12:00 EST appointment; the patient is in Honolulu, where 24 hours before is 07:00.
    const appointment = { startsAt: new Date('2026-01-15T17:00:00Z'), timeZone: NY };
    const result = scheduleReminders(appointment, policyOf('PT24H'), { ...dayWindow, zones: ['Pacific/Honolulu'] }, new Date('2026-01-01T00:00:00Z'));
    expect(result).toEqual([{ offset: 'PT24H', sendAt: new Date('2026-01-14T06:59:00Z'), moved: 'earlier' }]); // 20:59 HST on the 13th
  });

  it('reschedules by recomputing from the new start', () => {
    const policy = policyOf('PT48H');
    const now = new Date('2026-01-01T00:00:00Z');
    const before = scheduleReminders({ startsAt: new Date('2026-01-15T15:00:00Z'), timeZone: NY }, policy, dayWindow, now);
    const after = scheduleReminders({ startsAt: new Date('2026-01-20T15:00:00Z'), timeZone: NY }, policy, dayWindow, now);
    expect(before).toEqual([{ offset: 'PT48H', sendAt: new Date('2026-01-13T15:00:00Z'), moved: null }]);
    expect(after).toEqual([{ offset: 'PT48H', sendAt: new Date('2026-01-18T15:00:00Z'), moved: null }]);
  });
});
