import { describe, expect, it } from 'vitest';
import { parseReminderPolicy } from './reminder-policy.ts';
import { domainErrorOf } from '../testing/domain-error.ts';

const valid = { template: 'appointment_reminder', offsets: ['PT48H', 'P7D'], replyWords: { confirm: ['C'], cancel: ['C2'], rebook: ['R'] } };

function issuesOf(input: unknown): readonly { pointer: string; message: string }[] {
  const e = domainErrorOf(() => parseReminderPolicy(input));
  expect(e.code).toBe('VALIDATION_FAILED');
  return e.issues;
}

describe('parseReminderPolicy', () => {
  it('accepts a policy, sorts offsets earliest reminder first and normalises reply words', () => {
    const { policy, warnings } = parseReminderPolicy({ ...valid, replyWords: { confirm: [' c! ', 'ok'], cancel: ['c-2'], rebook: ['Re book'] } });
    expect(policy.template).toBe('appointment_reminder');
    expect(policy.offsets).toEqual([
      { duration: 'P7D', days: 7, minutes: 0 },
      { duration: 'PT48H', days: 0, minutes: 2880 },
    ]);
    expect(policy.replyWords).toEqual({ confirm: ['C', 'OK'], cancel: ['C 2'], rebook: ['RE BOOK'] });
    expect(warnings).toEqual([]);
  });

  it('renders durations canonically and lets cancel and rebook be left out', () => {
    const { policy } = parseReminderPolicy({ template: 't', offsets: ['P1DT2H30M', 'PT90M'], replyWords: { confirm: ['Y1'] } });
    expect(policy.offsets.map((o) => o.duration)).toEqual(['P1DT2H30M', 'PT1H30M']);
    expect(policy.replyWords).toEqual({ confirm: ['Y1'], cancel: [], rebook: [] });
  });

  it.each(['CANCEL', 'cancel', ' Stop! ', 'END', 'quit', 'opt-out', 'OPT OUT', 'STOPALL', 'unsubscribe', 'revoke', 'Ｃａｎｃｅｌ', 'ST OP', 'C-ANCEL'])(
    'refuses the carrier opt-out keyword %j as a reply word',
    (word) => {
      const issues = issuesOf({ ...valid, replyWords: { confirm: ['C'], cancel: [word] } });
      expect(issues).toHaveLength(1);
      expect(issues[0]?.pointer).toBe('/body/replyWords/cancel/0');
      expect(issues[0]?.message).toMatch(/opt-out keyword [A-Z]+ \(FCC 24-24, Twilio defaults\).*"C2" or "NO"/);
    },
  );

  it('refuses a reply word that reads as a revocation phrase', () => {
    const issues = issuesOf({ ...valid, replyWords: { confirm: ['C'], cancel: ['stop texting me'] } });
    expect(issues[0]?.message).toMatch(/request to stop messages/);
  });

  it.each([
    ['YES', 'reply-word-is-opt-in-keyword'],
    ['start', 'reply-word-is-opt-in-keyword'],
    ['HELP', 'reply-word-is-help-keyword'],
    ['info', 'reply-word-is-help-keyword'],
  ])('accepts %j with a warning', (word, code) => {
    const { policy, warnings } = parseReminderPolicy({ ...valid, replyWords: { confirm: ['C', word] } });
    expect(policy.replyWords.confirm).toEqual(['C', word.toUpperCase()]);
    expect(warnings).toEqual([expect.objectContaining({ pointer: '/body/replyWords/confirm/1', code })]);
  });

  it('refuses a word used twice, across intents or within one, in any spelling', () => {
    const issues = issuesOf({ ...valid, replyWords: { confirm: ['C', 'R-1'], cancel: ['c'], rebook: ['R1'] } });
    expect(issues.map((i) => i.pointer)).toEqual(['/body/replyWords/cancel/0', '/body/replyWords/rebook/0']);
  });

  it('reports every problem with a pointer and never echoes the input', () => {
    const secret = 'Maria Lopez 555-0100';
    const issues = issuesOf({ template: '', offsets: ['P0D', secret, 'P7D', 'P7D', 3], replyWords: { confirm: [], cancel: [secret, 7] }, extra: secret });
    expect(issues.map((i) => i.pointer)).toEqual([
      '/body',
      '/body/template',
      '/body/offsets/0',
      '/body/offsets/1',
      '/body/offsets/3',
      '/body/offsets/4',
      '/body/replyWords/confirm',
      '/body/replyWords/cancel/0',
      '/body/replyWords/cancel/1',
    ]);
    expect(JSON.stringify(issues)).not.toContain('Maria');
  });

  it.each([null, [], 'policy', 42])('refuses a body that is not an object (%j)', (body) => {
    expect(issuesOf(body)).toEqual([{ pointer: '/body', message: 'must be an object' }]);
  });

  it('refuses offsets that are empty, too many, zero or over a year', () => {
    expect(issuesOf({ ...valid, offsets: [] })[0]?.pointer).toBe('/body/offsets');
    expect(issuesOf({ ...valid, offsets: Array.from({ length: 11 }, (_, i) => `PT${i + 1}H`) })[0]?.pointer).toBe('/body/offsets');
    expect(issuesOf({ ...valid, offsets: ['P366D'] })[0]?.message).toMatch(/at most 365 days/);
    expect(issuesOf({ ...valid, offsets: ['PT'] })[0]?.pointer).toBe('/body/offsets/0');
    expect(issuesOf({ ...valid, offsets: ['P'] })[0]?.pointer).toBe('/body/offsets/0');
    expect(issuesOf({ ...valid, offsets: ['p7d'] })[0]?.pointer).toBe('/body/offsets/0');
  });
});
