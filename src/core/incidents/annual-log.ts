import { csvField } from '../audit/export-format.ts';
import { DomainError, type FieldIssue } from '../errors.ts';

/**
 * The annual log of small breaches (issue 7 item 4). 45 CFR 164.408(c): for a breach of unsecured PHI affecting
 * fewer than 500 individuals, the covered entity keeps "a log or other documentation of such breaches" and, "not
 * later than 60 days after the end of each calendar year", notifies HHS of the breaches discovered in the preceding
 * calendar year (through the HHS breach portal, one submission per breach). The columns follow what that portal asks
 * for, so the privacy officer can copy each row into it; the CSV is also the log kept for six years (164.530(j)).
 *
 * Pure: no I/O, no clock. The log holds counts, kinds and dates, never a patient's identity.
 */

export interface AnnualLogEntry {
  readonly incidentId: string;
  /** YYYY-MM-DD, null if unknown. */
  readonly breachStart: string | null;
  /** YYYY-MM-DD, null if unknown or the same day. */
  readonly breachEnd: string | null;
  /** YYYY-MM-DD, the local date of discovery: decides which year's log the entry belongs to. */
  readonly discoveredOn: string;
  readonly affected: number;
  /** e.g. 'Unauthorized access/disclosure' (the portal's type of breach). */
  readonly breachType: string;
  /** e.g. 'Other: text message (SMS) to a wrong or reassigned number'. */
  readonly location: string;
  readonly phiTypes: readonly string[];
  readonly safeguards: string;
  readonly actionsTaken: readonly string[];
  /** YYYY-MM-DD the individual notices were sent; null while outstanding. */
  readonly individualNoticeOn: string | null;
}

/** The header row, in column order. */
const COLUMNS = [
  'Calendar year',
  'Incident reference',
  'Breach start date',
  'Breach end date',
  'Discovery date',
  'Individuals affected',
  'Type of breach',
  'Location of breached information',
  'Type of PHI involved',
  'Safeguards in place before the breach',
  'Actions taken in response',
  'Individual notice provided on',
] as const;

/** Items of a list column are joined with this separator. */
const SEPARATOR = '; ';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** An empty text or list is an empty field (csvField writes "'" for an empty text, an audit-export convention). */
const text = (s: string): string | null => (s.trim() === '' ? null : s.trim());
const list = (items: readonly string[]): string | null => text(items.map((s) => s.trim()).filter((s) => s !== '').join(SEPARATOR));

const row = (fields: readonly (string | number | null)[]): string => `${fields.map(csvField).join(',')}\r\n`;

function validate(year: number, entries: readonly AnnualLogEntry[]): void {
  const issues: FieldIssue[] = [];
  if (!Number.isInteger(year) || year < 1000 || year > 9999) issues.push({ pointer: '/year', message: 'must be a four-digit year' });
  entries.forEach((e, i) => {
    const at = `/entries/${String(i)}`;
    if (!DATE.test(e.discoveredOn)) issues.push({ pointer: `${at}/discoveredOn`, message: 'must be a date YYYY-MM-DD' });
    else if (e.discoveredOn.slice(0, 4) !== String(year)) issues.push({ pointer: `${at}/discoveredOn`, message: "must fall in the log's calendar year" });
    for (const k of ['breachStart', 'breachEnd', 'individualNoticeOn'] as const) {
      const v = e[k];
      if (v !== null && !DATE.test(v)) issues.push({ pointer: `${at}/${k}`, message: 'must be a date YYYY-MM-DD or null' });
    }
    if (!Number.isInteger(e.affected) || e.affected < 1 || e.affected >= 500) issues.push({ pointer: `${at}/affected`, message: 'must be a whole number from 1 to 499 (500 or more go to HHS with the individual notices)' });
    if (e.incidentId.trim() === '') issues.push({ pointer: `${at}/incidentId`, message: 'must not be blank' });
  });
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The annual breach log has entries that do not belong in it.', { issues });
}

/**
 * The annual log for one calendar year of discovery as RFC 4180 CSV (CRLF line ends, a header row), each field
 * through the audit export's `csvField`: quoted when it holds a comma, quote or line break, and a text starting with
 * `=`, `+`, `-` or `@` prefixed with `'` so a spreadsheet does not run it as a formula (OWASP CSV injection). List
 * columns join their items with "; ". Rows are ordered by discovery date, then incident reference.
 *
 * @param year - the calendar year of discovery the log covers (164.408(c): due 60 days after its end)
 * @param entries - the breaches under 500 individuals discovered in that year
 * @returns the CSV text; only the header row when there was no such breach
 * @throws DomainError `VALIDATION_FAILED` when an entry was discovered in another year, has a malformed date or an
 *   affected count outside 1–499: such an entry in the wrong log would be a wrong filing, so it is refused, not dropped
 */
export function annualLogCsv(year: number, entries: readonly AnnualLogEntry[]): string {
  validate(year, entries);
  const sorted = [...entries].sort((a, b) => (a.discoveredOn === b.discoveredOn ? (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0) : a.discoveredOn < b.discoveredOn ? -1 : 1));
  const lines = sorted.map((e) =>
    row([
      String(year),
      e.incidentId,
      e.breachStart,
      e.breachEnd,
      e.discoveredOn,
      e.affected,
      text(e.breachType),
      text(e.location),
      list(e.phiTypes),
      text(e.safeguards),
      list(e.actionsTaken),
      e.individualNoticeOn,
    ]),
  );
  return row(COLUMNS) + lines.join('');
}
