import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { DomainError } from '../errors.ts';
import { composeNoticeLetter, type NoticeLetterInput } from './notice-letter.ts';
import { domainErrorOf } from '../testing/domain-error.ts';

/** Issue 7 item 4: the individual notice has every element of 45 CFR 164.404(c)(1), A–E in order, never an empty one. */

const INPUT: NoticeLetterInput = {
  hospital: { name: 'Riverside General Hospital', address: ['100 River Road', 'Springfield, IL 62701'], tollFreePhone: '1-800-555-0199', email: 'privacy@riverside.example', website: 'https://riverside.example/privacy' },
  recipient: { name: 'Canary Patient', address: ['12 Elm Street', 'Springfield, IL 62702'] },
  breachDate: '2026-03-02',
  discoveryDate: '2026-03-05',
  whatHappened: 'An appointment reminder meant for you was sent by text message to a phone number that no longer belongs to you.',
  phiInvolved: ['your first name', 'the date and time of an appointment'],
  stepsForIndividual: ['Tell us your current mobile number.', 'Watch for messages about appointments you did not make.'],
  whatWeAreDoing: ['stopped all messages to the old number', 'withdrawn the link in the message'],
  letterDate: '2026-03-20',
  incidentReference: 'inc-0001',
};

const text = (l: ReturnType<typeof composeNoticeLetter>): string => l.sections.flatMap((s) => [s.heading, ...s.paragraphs]).join('\n');

function issuesOf(fn: () => unknown): string[] {
  const err = domainErrorOf(fn);
  expect(err.code).toBe('VALIDATION_FAILED');
  return err.issues.map((i) => i.pointer);
}

describe('composeNoticeLetter', () => {
  it('has sections A to E in order, each with a heading and non-empty paragraphs', () => {
    const letter = composeNoticeLetter(INPUT);
    expect(letter.title.trim()).not.toBe('');
    expect(letter.sections.map((s) => s.element)).toEqual(['A', 'B', 'C', 'D', 'E']);
    for (const s of letter.sections) {
      expect(s.heading.trim()).not.toBe('');
      expect(s.paragraphs.length).toBeGreaterThan(0);
      for (const p of s.paragraphs) expect(p.trim()).not.toBe('');
    }
  });

  it('carries every required element: A dates, B types of PHI, C steps, D what we do, E all four contact routes', () => {
    const [a, b, c, d, e] = composeNoticeLetter(INPUT).sections.map((s) => s.paragraphs.join('\n'));
    expect(a).toContain(INPUT.whatHappened);
    expect(a).toContain('This happened on March 2, 2026.');
    expect(a).toContain('We found out about it on March 5, 2026.');
    for (const x of INPUT.phiInvolved) expect(b).toContain(`\u2022 ${x}`);
    for (const x of INPUT.stepsForIndividual) expect(c).toContain(`\u2022 ${x}`);
    for (const x of INPUT.whatWeAreDoing) expect(d).toContain(`\u2022 ${x}`);
    expect(e).toContain('1-800-555-0199 (toll-free)');
    expect(e).toContain('privacy@riverside.example');
    expect(e).toContain('https://riverside.example/privacy');
    expect(e).toContain('Riverside General Hospital, 100 River Road, Springfield, IL 62701');
    expect(e).toContain('inc-0001');
  });

  it('says so when the breach date is unknown (164.404(c)(1)(A) "if known")', () => {
    const a = composeNoticeLetter({ ...INPUT, breachDate: null }).sections[0]!.paragraphs.join(' ');
    expect(a).toContain('We do not know the exact date');
    expect(a).toContain('March 5, 2026');
  });

  it('keeps the recipient out of the sections (the PDF adds the address block)', () => {
    expect(text(composeNoticeLetter(INPUT))).not.toContain('Canary');
  });

  it.each([
    ['whatHappened', { whatHappened: '   ' }, '/whatHappened'],
    ['no PHI types', { phiInvolved: [] }, '/phiInvolved'],
    ['a blank PHI type', { phiInvolved: ['your name', ' '] }, '/phiInvolved'],
    ['no steps', { stepsForIndividual: [] }, '/stepsForIndividual'],
    ['nothing we are doing', { whatWeAreDoing: [] }, '/whatWeAreDoing'],
    ['an impossible discovery date', { discoveryDate: '2026-02-30' }, '/discoveryDate'],
    ['a malformed breach date', { breachDate: '03/02/2026' }, '/breachDate'],
    ['a malformed letter date', { letterDate: '' }, '/letterDate'],
    ['no reference', { incidentReference: '' }, '/incidentReference'],
  ] as const)('throws on %s', (_name, patch, pointer) => {
    expect(issuesOf(() => composeNoticeLetter({ ...INPUT, ...patch }))).toEqual([pointer]);
  });

  it.each(['tollFreePhone', 'email', 'website', 'name'] as const)('throws when the contact %s is blank (element E)', (field) => {
    expect(issuesOf(() => composeNoticeLetter({ ...INPUT, hospital: { ...INPUT.hospital, [field]: '' } }))).toEqual([`/hospital/${field}`]);
  });

  it('throws when the postal address is blank, and lists every problem at once without echoing input', () => {
    expect(issuesOf(() => composeNoticeLetter({ ...INPUT, hospital: { ...INPUT.hospital, address: ['', ' '] } }))).toEqual(['/hospital/address']);
    const secret = 'Secretcanary';
    try {
      composeNoticeLetter({ ...INPUT, whatHappened: '', phiInvolved: [], discoveryDate: secret });
      expect.unreachable();
    } catch (e) {
      const err = e as DomainError;
      expect(err.issues.map((i) => i.pointer)).toEqual(['/whatHappened', '/discoveryDate', '/phiInvolved']);
      expect(JSON.stringify({ m: err.message, d: err.safeDetail, i: err.issues })).not.toContain(secret);
    }
  });
});

const nonBlank = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
const date = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const inputArb: fc.Arbitrary<NoticeLetterInput> = fc.record({
  hospital: fc.record({ name: nonBlank, address: fc.array(nonBlank, { minLength: 1, maxLength: 3 }), tollFreePhone: nonBlank, email: nonBlank, website: nonBlank }),
  recipient: fc.record({ name: fc.string(), address: fc.array(fc.string(), { maxLength: 3 }) }),
  breachDate: fc.option(date, { nil: null }),
  discoveryDate: date,
  whatHappened: nonBlank,
  phiInvolved: fc.array(nonBlank, { minLength: 1, maxLength: 5 }),
  stepsForIndividual: fc.array(nonBlank, { minLength: 1, maxLength: 5 }),
  whatWeAreDoing: fc.array(nonBlank, { minLength: 1, maxLength: 5 }),
  letterDate: date,
  incidentReference: nonBlank,
});

describe('composeNoticeLetter (properties)', () => {
  test.prop([inputArb])('any complete input gives A..E in order, nothing blank, every item and contact route present', (input) => {
    const letter = composeNoticeLetter(input);
    expect(letter.sections.map((s) => s.element)).toEqual(['A', 'B', 'C', 'D', 'E']);
    for (const s of letter.sections) for (const p of s.paragraphs) expect(p.trim()).not.toBe('');
    const [a, b, c, d, e] = letter.sections.map((s) => s.paragraphs.join('\n'));
    expect(a).toContain(input.whatHappened.trim());
    for (const x of input.phiInvolved) expect(b).toContain(x.trim());
    for (const x of input.stepsForIndividual) expect(c).toContain(x.trim());
    for (const x of input.whatWeAreDoing) expect(d).toContain(x.trim());
    for (const x of [input.hospital.tollFreePhone, input.hospital.email, input.hospital.website, ...input.hospital.address]) expect(e).toContain(x.trim());
  });

  test.prop([inputArb, fc.constantFrom('whatHappened', 'phiInvolved', 'stepsForIndividual', 'whatWeAreDoing', 'tollFreePhone', 'email', 'website', 'address')])(
    'emptying any required element throws, never returns a letter with a hole',
    (input, field) => {
      const broken: NoticeLetterInput =
        field === 'whatHappened'
          ? { ...input, whatHappened: ' ' }
          : field === 'phiInvolved' || field === 'stepsForIndividual' || field === 'whatWeAreDoing'
            ? { ...input, [field]: [] }
            : field === 'address'
              ? { ...input, hospital: { ...input.hospital, address: [] } }
              : { ...input, hospital: { ...input.hospital, [field]: '' } };
      expect(() => composeNoticeLetter(broken)).toThrow(DomainError);
    },
  );
});
