import { describe, expect, it } from 'vitest';
import { reveal } from '../phi/phi.ts';
import { parseRecipientList, type RecipientList, type RecipientListOptions } from './recipient-list.ts';
import { domainErrorOf } from '../testing/domain-error.ts';

const US = { defaultRegion: 'US' };

function parse(text: string | Uint8Array, options: RecipientListOptions = US): RecipientList {
  return parseRecipientList(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, options);
}

describe('parseRecipientList', () => {
  it('reads MRN and phone columns, normalising numbers to E.164', () => {
    const list = parse('MRN,Phone,Name\nA-100,(415) 555-0100,Ann\nB-200,,Bob\n,+44 20 7946 0958,Cy\n');
    expect(list.rejects).toEqual([]);
    expect(list.rows.map((r) => [r.line, r.mrn && reveal(r.mrn), r.phone && reveal(r.phone)])).toEqual([
      [2, 'A-100', '+14155550100'],
      [3, 'B-200', null],
      [4, null, '+442079460958'],
    ]);
  });

  it('accepts a UTF-8 file with a byte-order mark (Excel "CSV UTF-8")', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('mrn\nÉ-1\nA-2\n', 'utf8')]);
    const list = parse(bytes);
    // the BOM does not become part of the header name; É is not a valid MRN character but is read correctly
    expect(list.rows.map((r) => r.line)).toEqual([3]);
    expect(list.rejects).toEqual([{ line: 2, reason: 'invalid-mrn' }]);
  });

  it('refuses a UTF-16 file, naming the problem', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('mrn\nA-1\n', 'utf16le')]);
    const e = domainErrorOf(() => parse(le));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.safeDetail).toMatch(/UTF-16.*CSV UTF-8/);
    const be = Buffer.from([0xfe, 0xff, 0x00, 0x6d]);
    expect(domainErrorOf(() => parse(be)).safeDetail).toMatch(/UTF-16/);
    // UTF-16 without a BOM is full of NUL bytes
    expect(domainErrorOf(() => parse(Buffer.from('mrn\nA-1\n', 'utf16le'))).code).toBe('VALIDATION_FAILED');
  });

  it('refuses a Latin-1 file (é as one byte) without echoing its content', () => {
    const bytes = Buffer.from('mrn,phone\nRen\xe9-1,4155550100\n', 'latin1');
    const e = domainErrorOf(() => parse(bytes));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.safeDetail).toMatch(/not UTF-8.*CSV UTF-8/);
    expect(JSON.stringify({ d: e.safeDetail, i: e.issues, x: e.extensions })).not.toMatch(/4155550100|Ren/);
  });

  it('rejects later duplicates by MRN (case-insensitive) or by normalised number, keeping the first', () => {
    const list = parse('mrn,phone\nA-1,4155550100\na-1,4155550101\nB-2,+1 415 555 0100\nC-3,4155550102\n');
    expect(list.rows.map((r) => r.line)).toEqual([2, 5]);
    expect(list.rejects).toEqual([
      { line: 3, reason: 'duplicate' },
      { line: 4, reason: 'duplicate' },
    ]);
  });

  it('turns malformed rows into rejects with line and reason only', () => {
    const list = parse('mrn,phone\nA-1,4155550100\nA-2\n\n,\nA-3,not a number\nA 4,4155550103\nA-5,4155550104,extra\nA-6,"4155550105"\n');
    expect(list.rows.map((r) => r.line)).toEqual([2, 9]);
    expect(list.rejects).toEqual([
      { line: 3, reason: 'wrong-column-count' },
      { line: 4, reason: 'empty' },
      { line: 5, reason: 'empty' },
      { line: 6, reason: 'invalid-phone' },
      { line: 7, reason: 'invalid-mrn' },
      { line: 8, reason: 'wrong-column-count' },
    ]);
    for (const r of list.rejects) expect(Object.keys(r).sort()).toEqual(['line', 'reason']);
  });

  it('a row whose quote never closes is one malformed-csv reject, not a silent drop', () => {
    const list = parse('mrn\nA-1\n"A-2\nA-3\n');
    expect(list.rows.map((r) => r.line)).toEqual([2]);
    expect(list.rejects.map((r) => r.reason)).toEqual(['malformed-csv']);
  });

  it('every data row is either a recipient or a reject', () => {
    const text = 'phone\n4155550100\n4155550100\nx\n\n4155550101\n';
    const list = parse(text);
    expect(list.rows.length + list.rejects.length).toBe(5);
  });

  it('refuses a file without a header, without an mrn/phone column, or naming a column twice', () => {
    expect(domainErrorOf(() => parse('')).safeDetail).toMatch(/no header/);
    expect(domainErrorOf(() => parse('name,dob\nAnn,1990-01-01\n')).safeDetail).toMatch(/no mrn or phone column/);
    expect(domainErrorOf(() => parse('phone,mobile\n1,2\n')).safeDetail).toMatch(/more than once/);
  });

  it('bounds rows and bytes', () => {
    expect(domainErrorOf(() => parse('mrn\nA-1\nA-2\nA-3\n', { defaultRegion: 'US', maxRows: 2 })).safeDetail).toMatch(/more than 2 rows/);
    expect(domainErrorOf(() => parse('mrn\nA-1\n', { defaultRegion: 'US', maxBytes: 5 })).safeDetail).toMatch(/larger than 5 bytes/);
    expect(parse('mrn\nA-1\nA-2\n', { defaultRegion: 'US', maxRows: 2 }).rows).toHaveLength(2);
  });

  it('keeps MRNs and numbers inside Phi', () => {
    const list = parse('mrn,phone\nA-1,4155550100\n');
    expect(JSON.stringify(list)).not.toMatch(/A-1|4155550100/);
  });
});
