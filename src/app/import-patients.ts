import { actorOf, NO_SHARING, type Actor } from '../core/access/actor.ts';
import { SEEDED_PERMISSION_SETS } from '../core/access/permissions.ts';
import { FIELD_RULE_TEXT, isCalendarDate, isLanguageTag, isTimeZone, NAME_MAX_LENGTH } from '../core/patients/patient-fields.ts';
import { isUuid, type PatientId, type PrincipalId, type WardId } from '../core/ids.ts';
import { PHONE_PROBLEM_TEXT, parsePhone } from '../core/patients/phone-number.ts';
import { phi } from '../core/phi/phi.ts';
import { requirePermission, requireWardPlacement } from './access.ts';
import type { AppDeps, RequestContext } from './context.ts';
import { insertPatient, type ValidatedPatient } from './patients.ts';

/**
 * Bulk registration of patients from a CSV file (`wardline patients import`). Two steps, both free of I/O
 * formats: rows (already split into named fields by the caller) are validated into patients, then the
 * patients are inserted — all in ONE transaction, so a database failure half-way leaves nothing behind.
 * Problems name the line and the field, never the value (the values are PHI).
 */

/** Every column the file may have; the first four are required in every row. */
export const IMPORT_COLUMNS = ['givenName', 'familyName', 'birthDate', 'phone', 'whatsapp', 'language', 'timezone', 'wardId', 'mrn'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly ImportColumn[] = ['givenName', 'familyName', 'birthDate', 'phone'];

/** The administrator created by `bootstrapAdmin`; the CLI imports as this principal. */
export const ADMIN_PRINCIPAL_ID = '00000000-0000-4000-8000-000000000001' as PrincipalId;
export const ADMIN_ACTOR: Actor = actorOf(
  { id: ADMIN_PRINCIPAL_ID, kind: 'user', permissionSets: ['administrator'] },
  [SEEDED_PERMISSION_SETS.administrator],
  NO_SHARING,
  null,
);

/** One problem with one row: `line N: <field> <reason>`. The reason is a fixed sentence, never the value. */
export interface RowIssue {
  readonly line: number;
  readonly field: string;
  readonly reason: string;
}

/** A data row of the file; `line` counts the header as line 1. */
export interface ImportRow {
  readonly line: number;
  readonly record: Readonly<Record<string, string | undefined>>;
}

/** @param issue - a row problem @returns its one-line, PHI-free rendering */
export function formatIssue(issue: RowIssue): string {
  return `line ${issue.line}: ${issue.field} ${issue.reason}`;
}

/**
 * Checks the header row: every required column present, no unknown or repeated column (a typo would
 * otherwise silently drop data).
 * @param header - the column names as read
 * @returns the problems (empty when the header is fine)
 */
export function checkHeader(header: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set<string>(IMPORT_COLUMNS);
  const seen = new Set<string>();
  for (const name of header) {
    if (!known.has(name)) problems.push(`unknown column ${JSON.stringify(name.slice(0, 40))} (expected: ${IMPORT_COLUMNS.join(', ')})`);
    else if (seen.has(name)) problems.push(`column ${name} appears twice`);
    seen.add(name);
  }
  for (const name of REQUIRED_COLUMNS) if (!seen.has(name)) problems.push(`missing column ${name}`);
  return problems;
}

const MAX_MRN = 100;

/**
 * Validates one row into a patient. Pure: the ward's existence is checked by `validateRows`. Collects every
 * problem of the row; the messages never contain the value.
 * @param row - the row, its fields by column name
 * @param defaultRegion - region assumed for phone numbers without a country code
 */
export function validateRow(
  row: ImportRow,
  defaultRegion: string,
): { ok: true; patient: ValidatedPatient } | { ok: false; issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const problem = (field: string, reason: string): void => {
    issues.push({ line: row.line, field, reason });
  };
  const field = (name: ImportColumn): string | null => {
    const value = row.record[name]?.trim() ?? '';
    return value === '' ? null : value;
  };
  const required = (name: ImportColumn): string | null => {
    const value = field(name);
    if (value === null) problem(name, 'is required');
    return value;
  };

  const givenName = required('givenName');
  if (givenName !== null && givenName.length > NAME_MAX_LENGTH) problem('givenName', `must be at most ${NAME_MAX_LENGTH} characters`);
  const familyName = required('familyName');
  if (familyName !== null && familyName.length > NAME_MAX_LENGTH) problem('familyName', `must be at most ${NAME_MAX_LENGTH} characters`);
  const birthDate = required('birthDate');
  if (birthDate !== null && !isCalendarDate(birthDate)) problem('birthDate', FIELD_RULE_TEXT.birthDate);

  const parseNumber = (name: 'phone' | 'whatsapp', value: string | null) => {
    if (value === null) return null;
    const result = parsePhone(value, defaultRegion);
    if (result.ok) return phi(result.e164);
    problem(name, PHONE_PROBLEM_TEXT[result.problem]);
    return null;
  };
  const phone = parseNumber('phone', required('phone'));
  const whatsapp = parseNumber('whatsapp', field('whatsapp'));

  const language = field('language');
  if (language !== null && !isLanguageTag(language)) problem('language', FIELD_RULE_TEXT.language);
  const timezone = field('timezone');
  if (timezone !== null && !isTimeZone(timezone)) problem('timezone', FIELD_RULE_TEXT.timezone);
  const wardId = field('wardId');
  if (wardId !== null && !isUuid(wardId)) problem('wardId', 'must be a ward id (UUID)');
  const mrn = field('mrn');
  if (mrn !== null && mrn.length > MAX_MRN) problem('mrn', `must be at most ${MAX_MRN} characters`);

  if (issues.length > 0 || givenName === null || familyName === null || birthDate === null || phone === null) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    patient: {
      wardId: wardId === null ? null : (wardId.toLowerCase() as WardId),
      givenName: phi(givenName),
      familyName: phi(familyName),
      birthDate: phi(birthDate),
      phone,
      whatsapp,
      externalIds: mrn === null ? null : phi({ mrn }),
      language,
      timezone,
    },
  };
}

export interface ValidationResult {
  /** The good rows, in file order. */
  readonly valid: ValidatedPatient[];
  /** Every problem of every bad row, in file order. */
  readonly issues: RowIssue[];
  /** How many rows were bad. */
  readonly badRows: number;
  /** How many data rows were read. */
  readonly rows: number;
}

/**
 * Validates every row (streamed: only the validated patients are kept), including that named wards exist.
 * @param deps - store (ward lookups, cached per ward) and settings (default phone region)
 * @param rows - the data rows
 */
export async function validateRows(
  deps: Pick<AppDeps, 'store' | 'settings'>,
  rows: AsyncIterable<ImportRow> | Iterable<ImportRow>,
): Promise<ValidationResult> {
  const wards = new Map<string, boolean>();
  const valid: ValidatedPatient[] = [];
  const issues: RowIssue[] = [];
  let badRows = 0;
  let count = 0;
  for await (const row of rows) {
    count++;
    const result = validateRow(row, deps.settings.defaultRegion);
    if (!result.ok) {
      badRows++;
      issues.push(...result.issues);
      continue;
    }
    const { wardId } = result.patient;
    if (wardId !== null) {
      let exists = wards.get(wardId);
      if (exists === undefined) {
        exists = await deps.store.wards.exists(wardId);
        wards.set(wardId, exists);
      }
      if (!exists) {
        badRows++;
        issues.push({ line: row.line, field: 'wardId', reason: 'names no ward' });
        continue;
      }
    }
    valid.push(result.patient);
  }
  return { valid, issues, badRows, rows: count };
}

export interface ImportOptions {
  /** Rows per progress step (default 500). */
  readonly batchSize?: number;
  /** Called after each batch with the rows written so far (not yet committed). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Inserts validated patients and audits each `patient.created`, in batches within ONE transaction: either
 * every patient is imported or none is.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `patient.manage` and access to every patient's ward
 * @param patients - the validated patients
 * @param options - batch size and progress callback
 * @returns how many were imported
 */
export async function importPatients(
  deps: AppDeps,
  ctx: RequestContext,
  patients: readonly ValidatedPatient[],
  options: ImportOptions = {},
): Promise<{ imported: number }> {
  await requirePermission(deps.store, ctx, 'patient.manage');
  await requireWardPlacement(deps.store, ctx, [...new Set(patients.map((p) => p.wardId))]);
  const batchSize = Math.max(1, options.batchSize ?? 500);
  if (patients.length === 0) return { imported: 0 };
  await deps.store.transaction(async (tx) => {
    for (let start = 0; start < patients.length; start += batchSize) {
      const end = Math.min(start + batchSize, patients.length);
      for (let i = start; i < end; i++) {
        await insertPatient(tx, ctx, deps.ids.uuid() as PatientId, patients[i] as ValidatedPatient);
      }
      options.onProgress?.(end, patients.length);
    }
  });
  return { imported: patients.length };
}
