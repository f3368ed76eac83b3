/**
 * Parses an uploaded recipient list for a bulk send (issue 8 item 2, "Bad input"): a CSV file with a header row and a
 * column for the MRN and/or the phone number. Other columns are ignored (and never read into memory as recipients).
 *
 * Every data row ends up either a recipient or a reject with its line number and reason, so the preview can count
 * every skip by reason and nothing is dropped silently. Rejects never carry the row's content: MRNs and phone numbers
 * are identifiers under 45 CFR 164.514(b)(2)(i), PHI that must not leak into errors or logs (164.312). Recipients keep
 * them inside `Phi`.
 *
 * The file must be UTF-8 (with or without a byte-order mark). Anything else is refused as a whole, naming the problem:
 * guessing an encoding would turn a Latin-1 "é" into the wrong MRN or a wrong name, and a bulk send to a wrong
 * selection is exactly the incident this feature must prevent.
 *
 * Pure: no I/O; the bytes come in.
 */
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { DomainError } from '../errors.ts';
import type { E164 } from '../ids.ts';
import { phi, type Phi } from '../phi/phi.ts';
import { parsePhone } from '../patients/phone-number.ts';

/** The most data rows a list may have (issue 8's benchmark goes to 100,000 recipients). */
export const MAX_RECIPIENT_ROWS = 200_000;
/** The most bytes a list may have: about 160 bytes a row at the row limit. */
export const MAX_RECIPIENT_BYTES = 32 * 1024 * 1024;

/** Header names (trimmed, case-insensitive) recognised for each column. */
export const MRN_HEADERS: readonly string[] = ['mrn', 'medical record number'];
export const PHONE_HEADERS: readonly string[] = ['phone', 'phone number', 'mobile'];

/** Why a row was not taken. `duplicate`: the same MRN or the same normalised number as an earlier row. */
export const REJECT_REASONS = ['wrong-column-count', 'empty', 'invalid-phone', 'invalid-mrn', 'duplicate', 'malformed-csv'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A recipient as listed: at least one of MRN and phone. Matching to a patient happens later. */
export interface RecipientRow {
  /** the file's line number (1 = the header) */
  readonly line: number;
  readonly mrn: Phi<string> | null;
  readonly phone: Phi<E164> | null;
}

/** A refused row: its line and reason only, never its content. */
export interface RecipientReject {
  readonly line: number;
  readonly reason: RejectReason;
}

export interface RecipientList {
  readonly rows: readonly RecipientRow[];
  readonly rejects: readonly RecipientReject[];
}

export interface RecipientListOptions {
  /** region assumed for numbers without a country code (ISO 3166 alpha-2), as for patients */
  readonly defaultRegion: string;
  readonly maxRows?: number;
  readonly maxBytes?: number;
}

/** An MRN: letters, digits and - . / _ only, 1 to 64 of them (hospital formats vary; no spaces or control characters). */
const MRN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-./_]{0,63}$/;

/**
 * Parses the bytes of an uploaded list.
 * @param bytes - the file as uploaded (a Buffer is a Uint8Array)
 * @throws DomainError VALIDATION_FAILED when the file as a whole is refused: too large, not UTF-8, no header row,
 *   no MRN or phone column, a column named twice, or too many rows. Row problems are rejects, not errors.
 */
export function parseRecipientList(bytes: Uint8Array, options: RecipientListOptions): RecipientList {
  const maxBytes = options.maxBytes ?? MAX_RECIPIENT_BYTES;
  const maxRows = options.maxRows ?? MAX_RECIPIENT_ROWS;
  if (bytes.length > maxBytes) refuse(`The file is larger than ${maxBytes} bytes; split the list.`, 'too-large');
  const text = decodeUtf8(bytes);

  const rejects: RecipientReject[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: false,
      skip_records_with_error: true,
      // csv-parse errors may quote field values (PHI): keep the line only.
      on_skip: (err) => {
        rejects.push({ line: errorLine(err), reason: 'malformed-csv' });
        return undefined;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof CsvError) refuse(`The file is not valid CSV near line ${errorLine(error)}.`, 'malformed-csv');
    throw error;
  }

  const header = records[0];
  if (header === undefined || header.record.every((f) => f.trim() === '')) refuse('The file has no header row; the first line must name the columns (mrn and/or phone).', 'no-header');
  const names = header.record.map((h) => h.trim().toLowerCase());
  const mrnColumn = findColumn(names, MRN_HEADERS);
  const phoneColumn = findColumn(names, PHONE_HEADERS);
  if (mrnColumn === null && phoneColumn === null) refuse('The header row has no mrn or phone column.', 'no-recipient-column');
  const data = records.slice(1);
  if (data.length > maxRows) refuse(`The file has more than ${maxRows} rows; split the list.`, 'too-many-rows');

  const rows: RecipientRow[] = [];
  const seenMrns = new Set<string>();
  const seenPhones = new Set<string>();
  for (const { record, info } of data) {
    const line = info.lines;
    if (record.every((f) => f.trim() === '')) {
      rejects.push({ line, reason: 'empty' });
      continue;
    }
    if (record.length !== names.length) {
      rejects.push({ line, reason: 'wrong-column-count' });
      continue;
    }
    const mrnText = mrnColumn === null ? '' : (record[mrnColumn] ?? '').trim();
    const phoneText = phoneColumn === null ? '' : (record[phoneColumn] ?? '').trim();
    if (mrnText === '' && phoneText === '') {
      rejects.push({ line, reason: 'empty' });
      continue;
    }
    if (mrnText !== '' && !MRN_PATTERN.test(mrnText)) {
      rejects.push({ line, reason: 'invalid-mrn' });
      continue;
    }
    let e164: E164 | null = null;
    if (phoneText !== '') {
      const parsed = parsePhone(phoneText, options.defaultRegion);
      if (!parsed.ok) {
        rejects.push({ line, reason: 'invalid-phone' });
        continue;
      }
      e164 = parsed.e164;
    }
    const mrnKey = mrnText.toUpperCase();
    if ((mrnText !== '' && seenMrns.has(mrnKey)) || (e164 !== null && seenPhones.has(e164))) {
      rejects.push({ line, reason: 'duplicate' });
      continue;
    }
    if (mrnText !== '') seenMrns.add(mrnKey);
    if (e164 !== null) seenPhones.add(e164);
    rows.push(Object.freeze({ line, mrn: mrnText === '' ? null : phi(mrnText), phone: e164 === null ? null : phi(e164) }));
  }
  rejects.sort((a, b) => a.line - b.line);
  return Object.freeze({ rows: Object.freeze(rows), rejects: Object.freeze(rejects) });
}

/**
 * Decodes UTF-8, dropping a byte-order mark; refuses UTF-16 (by its BOM, or by the NUL bytes UTF-16 text is full
 * of) and any byte sequence that is not UTF-8, such as Latin-1 or Windows-1252 exports.
 */
function decodeUtf8(bytes: Uint8Array): string {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    refuse('The file is UTF-16, not UTF-8; save it as "CSV UTF-8".', 'utf-16');
  }
  if (bytes.includes(0)) refuse('The file holds NUL bytes (UTF-16 or not a text file); save it as "CSV UTF-8".', 'not-text');
  const hasBom = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hasBom ? bytes.subarray(3) : bytes);
  } catch {
    refuse('The file is not UTF-8 (perhaps Latin-1 or Windows-1252); save it as "CSV UTF-8".', 'not-utf-8');
  }
}

function findColumn(names: readonly string[], accepted: readonly string[]): number | null {
  const hits = names.flatMap((n, i) => (accepted.includes(n) ? [i] : []));
  if (hits.length > 1) refuse(`The header row names the ${accepted[0] ?? ''} column more than once.`, 'duplicate-column');
  return hits[0] ?? null;
}

function errorLine(err: CsvError | undefined): number {
  const lines = err?.['lines'];
  return typeof lines === 'number' ? lines : 0;
}

function refuse(detail: string, problem: string): never {
  throw new DomainError('VALIDATION_FAILED', detail, { issues: [{ pointer: '/file', message: detail }], extensions: { problem } });
}
