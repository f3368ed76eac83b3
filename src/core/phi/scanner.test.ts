import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { scanText } from './scanner.ts';

const typesIn = (text: string, context?: Parameters<typeof scanText>[1]) =>
  scanText(text, context).map((f) => `${f.type}:${text.slice(f.start, f.end)}`);

describe('PHI scanner, identifier layer', () => {
  it('finds contact points, numbers with context words and dates', () => {
    const found = typesIn('Call 415-555-0132 or mail ada@example.org. MRN: 00123456, member ID XK-99812, SSN 123-45-6789, seen 03/14/2024 and on March 2nd, 2024.');
    expect(found).toEqual(
      expect.arrayContaining(['PHONE:415-555-0132', 'EMAIL:ada@example.org', 'MRN:00123456', 'HEALTH_PLAN:XK-99812', 'SSN:123-45-6789', 'DATE:03/14/2024', 'DATE:March 2nd, 2024']),
    );
  });

  it('finds names with titles, initials and context, facilities and places', () => {
    const found = typesIn('Dr. Emily T. saw Mr. James O’Neil at St. Mary’s Hospital in Chicago; patient Ana Ruiz, 94-year-old.');
    expect(found).toEqual(expect.arrayContaining(['NAME:Dr. Emily T.', 'LOCATION:Chicago', 'AGE_OVER_89:94-year-old']));
    expect(found.some((f) => f.startsWith('NAME:Ana Ruiz') || f.startsWith('NAME:patient Ana Ruiz') || f === 'NAME:Ana Ruiz')).toBe(true);
    expect(found.some((f) => f.startsWith('LOCATION:') && f.includes('Hospital'))).toBe(true);
  });

  it('treats the recipient’s own name, birth date and record number as identifiers', () => {
    const context = { names: ['Zebulon', 'Quist'], birthDate: '1980-12-10', identifiers: ['RX-4471'] };
    expect(typesIn('zebulon, your form for 12/10/1980 and RX-4471 is ready', context)).toEqual(
      expect.arrayContaining(['NAME:zebulon', 'DATE:12/10/1980', 'MRN:RX-4471']),
    );
  });

  it('leaves minimum-necessary reminders alone', () => {
    for (const text of [
      'You have a new message from Riverside Clinic. View securely: https://',
      'Reminder: your appointment is tomorrow at 9:30. Reply STOP to opt out.',
      'Your prescription is ready for pickup. Reply HELP for help.',
      'A 55-year-old male with type 2 diabetes asks about diet.',
    ]) {
      // The last line is clinical content (the clinical layer reports it); no identifier in any of them.
      expect(scanText(text).filter((f) => f.class === 'identifier' && f.type !== 'LOCATION' && f.type !== 'URL')).toEqual([]);
    }
  });
});

describe('scanner properties', () => {
  test.prop([fc.string({ maxLength: 400 })])('never throws; findings are inside the text, non-empty and sorted', (text) => {
    const findings = scanText(text);
    let last = 0;
    for (const f of findings) {
      expect(f.start).toBeGreaterThanOrEqual(0);
      expect(f.end).toBeLessThanOrEqual(text.length);
      expect(f.end).toBeGreaterThan(f.start);
      expect(f.start).toBeGreaterThanOrEqual(last);
      last = f.start;
    }
  });

  test.prop([fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), fc.constantFrom('555-201-3344', 'x@y.org', '123-45-6789')])(
    'an inserted phone number, e-mail or SSN is always found, whatever surrounds it',
    (a, b, value) => {
      const text = `${a} ${value} ${b}`;
      const at = a.length + 1;
      expect(scanText(text).some((f) => f.start <= at && f.end >= at + value.length)).toBe(true);
    },
  );
});
