import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHeader, formatIssue, validateRow, validateRows, type ImportRow } from '../src/app/import-patients.ts';
import type { AppDeps } from '../src/app/context.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { reveal } from '../src/core/phi/phi.ts';
import { runCli, type CliResult } from './support/cli.ts';

const HEADER = 'givenName,familyName,birthDate,phone,whatsapp,language,timezone,wardId,mrn';
const GOOD = [
  HEADER,
  'Ada,Lovelace,1980-12-10,(415) 555-0132,,en,America/Chicago,,MRN-1',
  'Grace,Hopper,1906-12-09,+1 415 555 0133,+1 415 555 0134,en-US,,,',
  'Alan,Turing,1912-06-23,415.555.0135,,,,,MRN-3',
].join('\n');
// line 3: invalid phone; line 4: impossible date. The canary values must never be printed.
const BAD_PHONE = 'CANARYPHONE';
const BAD_DATE = '1985-02-30';
const BAD_NAME = 'Canaryname';
const MIXED = [
  HEADER,
  'Mary,Seacole,1950-01-01,(415) 555-0140,,,,,',
  `${BAD_NAME},Phone,1960-01-01,${BAD_PHONE},,,,,`,
  `${BAD_NAME},Date,${BAD_DATE},(415) 555-0141,,,,,`,
  'Florence,Nightingale,1920-05-12,(415) 555-0142,,,,,',
].join('\n');


let dir: string;

function runImport(args: string[]): Promise<CliResult> {
  return runCli(['patients', 'import', ...args], {
    env: {
      ...process.env,
      WARDLINE_DATA_DIR: join(dir, 'data'),
      WARDLINE_ADMIN_TOKEN: 'x'.repeat(32),
      DATABASE_URL: '',
      WARDLINE_DISPATCHER: 'off',
    },
  });
}

/** Opens the CLI's data dir after the CLI exited, counts patients and their audit events. */
async function counts(): Promise<{ patients: number; audited: number }> {
  const config = loadConfig({ WARDLINE_DATA_DIR: join(dir, 'data'), WARDLINE_LOG_LEVEL: 'silent', WARDLINE_DISPATCHER: 'off' });
  const container = await createContainer(config);
  try {
    const db = container.database.db;
    const p = await db.selectFrom('patient').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const a = await db
      .selectFrom('audit_event')
      .where('action', '=', 'patient.created')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return { patients: Number(p.n), audited: Number(a.n) };
  } finally {
    await container.close();
  }
}

// One data dir for the file (PGlite start-up and migrations are slow): the cases build on each other.
describe('wardline patients import (real CLI, PGlite)', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-import-'));
    await writeFile(join(dir, 'good.csv'), GOOD);
    await writeFile(join(dir, 'mixed.csv'), MIXED);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file with bad rows: imports nothing, exits 1, names lines and fields but no values', async () => {
    const r = await runImport([join(dir, 'mixed.csv')]);
    const out = r.stdout + r.stderr;
    expect(r.code).toBe(1);
    expect(out).toContain('line 3: phone ');
    expect(out).toContain('line 4: birthDate ');
    expect(out).not.toMatch(/line [25]:/);
    for (const value of [BAD_PHONE, BAD_DATE, BAD_NAME, '555-0140', 'Seacole']) expect(out).not.toContain(value);
    expect(await counts()).toEqual({ patients: 0, audited: 0 });
  });

  it('imports a good file of 3 rows', async () => {
    const r = await runImport([join(dir, 'good.csv')]);
    expect(r.stderr).not.toMatch(/line \d+:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported 3 patients (0 rows skipped)');
    expect(r.stderr).toContain('100%');
    expect(await counts()).toEqual({ patients: 3, audited: 3 });
  });

  it('with --skip-invalid imports the good rows and still lists the skipped ones', async () => {
    const r = await runImport(['--skip-invalid', join(dir, 'mixed.csv')]);
    const out = r.stdout + r.stderr;
    expect(r.code).toBe(0);
    expect(out).toContain('line 3: phone ');
    expect(out).toContain('line 4: birthDate ');
    expect(r.stdout).toContain('imported 2 patients (2 rows skipped)');
    for (const value of [BAD_PHONE, BAD_DATE, BAD_NAME]) expect(out).not.toContain(value);
    expect(await counts()).toEqual({ patients: 5, audited: 5 });
  });

  it('refuses a header with an unknown or missing column', async () => {
    await writeFile(join(dir, 'header.csv'), 'givenName,familyname,birthDate,phone\nA,B,1980-01-01,(415) 555-0150\n');
    const r = await runImport([join(dir, 'header.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 1: unknown column "familyname"');
    expect(r.stderr).toContain('line 1: missing column familyName');
  });
});

describe('validateRow', () => {
  const row = (record: Record<string, string>, line = 2): ImportRow => ({ line, record });
  const good = { givenName: ' Ada ', familyName: 'Lovelace', birthDate: '1980-12-10', phone: '(415) 555-0132', mrn: 'M-1', language: 'en', timezone: 'America/Chicago' };

  it('turns a good row into a patient with E.164 phones and PHI-wrapped fields', () => {
    const r = validateRow(row({ ...good, whatsapp: '+44 20 7946 0958' }), 'US');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(reveal(r.patient.givenName)).toBe('Ada');
    expect(reveal(r.patient.phone)).toBe('+14155550132');
    expect(r.patient.whatsapp && reveal(r.patient.whatsapp)).toBe('+442079460958');
    expect(r.patient.externalIds && reveal(r.patient.externalIds)).toEqual({ mrn: 'M-1' });
    expect(r.patient).toMatchObject({ wardId: null, language: 'en', timezone: 'America/Chicago' });
    expect(JSON.stringify(r.patient)).not.toContain('Ada');
  });

  it('leaves optional columns null when empty', () => {
    const r = validateRow(row({ givenName: 'A', familyName: 'B', birthDate: '2000-02-29', phone: '4155550132', whatsapp: '', mrn: '' }), 'US');
    expect(r.ok && r.patient).toMatchObject({ whatsapp: null, externalIds: null, language: null, timezone: null, wardId: null });
  });

  it('reports every problem of a row by line and field, never by value', () => {
    const r = validateRow(
      row({ givenName: '', familyName: 'Secretname', birthDate: '2001-02-29', phone: 'SECRETPHONE', whatsapp: '12', language: 'English', timezone: 'Mars/Base', wardId: 'ward-7' }, 7),
      'US',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field)).toEqual(['givenName', 'birthDate', 'phone', 'whatsapp', 'language', 'timezone', 'wardId']);
    const text = r.issues.map(formatIssue).join('\n');
    expect(text).toMatch(/^line 7: givenName is required$/m);
    expect(text).toMatch(/^line 7: birthDate must be a date, YYYY-MM-DD$/m);
    for (const value of ['Secretname', '2001-02-29', 'SECRETPHONE', 'English', 'Mars/Base', 'ward-7']) expect(text).not.toContain(value);
  });

  it('requires givenName, familyName, birthDate and phone', () => {
    const r = validateRow(row({}), 'US');
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      'line 2: givenName is required',
      'line 2: familyName is required',
      'line 2: birthDate is required',
      'line 2: phone is required',
    ]);
  });

  it('uses the default region for numbers without a country code', () => {
    const r = validateRow(row({ ...good, phone: '020 7946 0958' }), 'GB');
    expect(r.ok && reveal(r.patient.phone)).toBe('+442079460958');
  });

  it('checks wards exist (once per ward) in validateRows', async () => {
    const known = '11111111-1111-4111-8111-111111111111';
    const unknown = '22222222-2222-4222-8222-222222222222';
    const lookups: string[] = [];
    const deps = {
      settings: { defaultRegion: 'US' },
      store: { wards: { exists: async (id: string) => (lookups.push(id), id === known) } },
    } as unknown as Pick<AppDeps, 'store' | 'settings'>;
    const result = await validateRows(deps, [
      row({ ...good, wardId: known }, 2),
      row({ ...good, wardId: unknown }, 3),
      row({ ...good, wardId: known }, 4),
      row({ ...good, phone: 'x' }, 5),
    ]);
    expect(result.rows).toBe(4);
    expect(result.valid).toHaveLength(2);
    expect(result.badRows).toBe(2);
    expect(result.issues.map(formatIssue)).toEqual(['line 3: wardId names no ward', 'line 5: phone is not a phone number']);
    expect(lookups).toEqual([known, unknown]);
  });

  it('checks the header', () => {
    expect(checkHeader(HEADER.split(','))).toEqual([]);
    expect(checkHeader(['givenName', 'familyName', 'birthDate', 'phone'])).toEqual([]);
    expect(checkHeader(['givenName', 'familyName', 'phone', 'phone', 'dob'])).toEqual([
      'column phone appears twice',
      'unknown column "dob" (expected: givenName, familyName, birthDate, phone, whatsapp, language, timezone, wardId, mrn)',
      'missing column birthDate',
    ]);
  });
});
