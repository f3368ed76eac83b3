import { describe, expect, it } from 'vitest';
import { classifyAppointmentReply } from './appointment-reply.ts';
import { parseReminderPolicy } from './reminder-policy.ts';

const { policy } = parseReminderPolicy({
  template: 'appointment_reminder',
  offsets: ['P7D'],
  replyWords: { confirm: ['C', 'YES', 'Si'], cancel: ['C2', 'NO'], rebook: ['REBOOK'] },
});

describe('classifyAppointmentReply', () => {
  it.each([
    ['C', 'confirm'],
    ['c', 'confirm'],
    [' c. ', 'confirm'],
    ['Si', 'confirm'],
    ['C2', 'cancel'],
    ['c-2!', 'cancel'],
    ['C 2', 'cancel'],
    ['no', 'cancel'],
    ['Rebook', 'rebook'],
    ['re-book', 'rebook'],
  ])('reads %j as %s', (text, kind) => {
    expect(classifyAppointmentReply(text, policy)).toEqual({ kind });
  });

  it.each(['STOP', 'cancel', 'Cancel!', 'END', 'quit', 'please stop texting me', 'no more'])('lets the opt-out %j win', (text) => {
    expect(classifyAppointmentReply(text, policy)).toEqual({ kind: 'not-a-reply' });
  });

  it.each(['YES', 'yes!', 'HELP', 'info', 'START'])('lets the opt-in or help keyword %j win even when the policy lists it', (text) => {
    expect(classifyAppointmentReply(text, policy)).toEqual({ kind: 'not-a-reply' });
  });

  it.each(['', '   ', 'C2 but I will be late', 'confirm', 'wrong number', 'ok'])('does not read %j as a reply', (text) => {
    expect(classifyAppointmentReply(text, policy)).toEqual({ kind: 'not-a-reply' });
  });
});
