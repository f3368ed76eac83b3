import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { DomainError } from '../errors.ts';
import { annualLogCsv, type AnnualLogEntry } from './annual-log.ts';

/** Issue 7 item 4: the annual log of breaches under 500 individuals (45 CFR 164.408(c)) as RFC 4180 CSV. */

const HEADER =
  'Calendar year,Incident reference,Breach start date,Breach end date,Discovery date,Individuals affected,Type of breach,Location of breached information,Type of PHI involved,Safeguards in place before the breach,Actions taken in response,Individual notice provided on';

const ENTRY: AnnualLogEntry = {
  incidentId: 'inc-b',
  breachStart: '2026-03-02',
  breachEnd: null,
  discoveredOn: '2026-03-05',
  affected: 1,
  breachType: 'Unauthorized access/disclosure',
  location: 'Other: text message to a reassigned number',
  phiTypes: ['Demographic', 'Clinical'],
  safeguards: 'Consent checks, minimum necessary templates, secure links',
  actionsTaken: ['Revoked secure links', 'Suspended the contact point'],
  individualNoticeOn: '2026-03-20',
};

/** Undoes the formula guard: a text field starting with ' had it added. */
const unguard = (s: string): string => (s.startsWith("'") ? s.slice(1) : s);

const parseCsv = (csv: string): Record<string, string>[] => parse(csv, { columns: true, record_delimiter: '\r\n', relax_quotes: false });

describe('annualLogCsv', () => {
  it('starts with the header row and ends lines with CRLF', () => {
    const csv = annualLogCsv(2026, [ENTRY]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(3);
    expect(csv.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('an empty year is the header only', () => {
    expect(annualLogCsv(2026, [])).toBe(`${HEADER}\r\n`);
  });

  it('quotes commas, quotes and line breaks, and guards formulas', () => {
    const csv = annualLogCsv(2026, [{ ...ENTRY, location: 'Mail, "wrong" address', safeguards: 'line one\nline two', breachType: '=HYPERLINK("http://x")', actionsTaken: ['-1+1', '@SUM(A1)'] }]);
    expect(csv).toContain('"Mail, ""wrong"" address"');
    expect(csv).toContain('"line one\nline two"');
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain("'-1+1; @SUM(A1)");
    const [r] = parseCsv(csv);
    expect(r!['Type of breach']).toBe(`'=HYPERLINK("http://x")`);
    for (const v of Object.values(r!)) expect(v).not.toMatch(/^[=+\-@]/);
  });

  it('round-trips through a CSV parser, ordered by discovery date then reference', () => {
    const entries: AnnualLogEntry[] = [ENTRY, { ...ENTRY, incidentId: 'inc-a', discoveredOn: '2026-01-10', breachStart: null, affected: 499, individualNoticeOn: null, phiTypes: [], actionsTaken: [] }, { ...ENTRY, incidentId: 'inc-a2' }];
    const rows = parseCsv(annualLogCsv(2026, entries));
    expect(rows.map((r) => r['Incident reference'])).toEqual(['inc-a', 'inc-a2', 'inc-b']);
    expect(rows[0]).toEqual({
      'Calendar year': '2026',
      'Incident reference': 'inc-a',
      'Breach start date': '',
      'Breach end date': '',
      'Discovery date': '2026-01-10',
      'Individuals affected': '499',
      'Type of breach': 'Unauthorized access/disclosure',
      'Location of breached information': 'Other: text message to a reassigned number',
      'Type of PHI involved': '',
      'Safeguards in place before the breach': 'Consent checks, minimum necessary templates, secure links',
      'Actions taken in response': '',
      'Individual notice provided on': '',
    });
    expect(rows[2]!['Type of PHI involved']!.split('; ')).toEqual(['Demographic', 'Clinical']);
    expect(rows[2]!['Actions taken in response']!.split('; ')).toEqual(['Revoked secure links', 'Suspended the contact point']);
  });

  it.each([
    ['an entry discovered in another year', { discoveredOn: '2025-12-31' }, '/entries/0/discoveredOn'],
    ['a malformed discovery date', { discoveredOn: '5 March 2026' }, '/entries/0/discoveredOn'],
    ['a malformed breach date', { breachEnd: 'yesterday' }, '/entries/0/breachEnd'],
    ['500 or more affected (those go to HHS with the notices)', { affected: 500 }, '/entries/0/affected'],
    ['no one affected', { affected: 0 }, '/entries/0/affected'],
    ['a fractional count', { affected: 1.5 }, '/entries/0/affected'],
    ['a blank reference', { incidentId: ' ' }, '/entries/0/incidentId'],
  ] as const)('refuses %s, naming the field, never the value', (_name, patch, pointer) => {
    try {
      annualLogCsv(2026, [{ ...ENTRY, ...patch }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      const err = e as DomainError;
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.issues.map((i) => i.pointer)).toEqual([pointer]);
    }
  });

  it('refuses a year that is not a four-digit integer', () => {
    expect(() => annualLogCsv(26.5, [])).toThrow(DomainError);
    expect(() => annualLogCsv(99999, [])).toThrow(DomainError);
  });
});

const textArb = fc.string({ maxLength: 30, unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', '=', '+', '-', '@', "'", ';', 'é', '\t') });
const itemArb = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'b', ',', '"', '=', '-', '\n', 'é') }).filter((s) => s.trim() === s && s !== '');
const dateArb = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const entryArb: fc.Arbitrary<AnnualLogEntry> = fc.record({
  incidentId: fc.uuid(),
  breachStart: fc.option(dateArb, { nil: null }),
  breachEnd: fc.option(dateArb, { nil: null }),
  discoveredOn: dateArb,
  affected: fc.integer({ min: 1, max: 499 }),
  breachType: textArb,
  location: textArb,
  phiTypes: fc.array(itemArb, { maxLength: 3 }),
  safeguards: textArb,
  actionsTaken: fc.array(itemArb, { maxLength: 3 }),
  individualNoticeOn: fc.option(dateArb, { nil: null }),
});

describe('annualLogCsv (properties)', () => {
  test.prop([fc.array(entryArb, { maxLength: 8 })])('every entry round-trips through a CSV parser, and no field starts a formula', (entries) => {
    const rows = parseCsv(annualLogCsv(2026, entries));
    expect(rows).toHaveLength(entries.length);
    const byId = new Map(entries.map((e) => [e.incidentId, e]));
    for (const r of rows) {
      for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
      const e = byId.get(r['Incident reference']!)!;
      expect(unguard(r['Type of breach']!)).toBe(e.breachType.trim());
      expect(unguard(r['Location of breached information']!)).toBe(e.location.trim());
      expect(unguard(r['Safeguards in place before the breach']!)).toBe(e.safeguards.trim());
      expect(unguard(r['Type of PHI involved']!)).toBe(e.phiTypes.join('; '));
      expect(unguard(r['Actions taken in response']!)).toBe(e.actionsTaken.join('; '));
      expect(r['Individuals affected']).toBe(String(e.affected));
      expect(r['Breach start date']).toBe(e.breachStart ?? '');
      expect(r['Individual notice provided on']).toBe(e.individualNoticeOn ?? '');
    }
    const discovered = rows.map((r) => r['Discovery date']!);
    expect(discovered).toEqual([...discovered].sort());
  });
});
