/**
 * Audit exports as text (issue 6 item 4; docs/audit-export.md, docs/decisions/0016-audit-exports.md): the records an
 * export is made of, and their CSV and JSON Lines forms. Pure: no I/O, no clock.
 *
 * Every export is framed: a header record first (what the export covers, and where the hash chain stood), the events,
 * then a trailer record that says `complete` with the counts. A file cut short has no trailer, so it is recognisably
 * incomplete. Audit events hold ids and codes, never PHI, so nothing here needs redaction.
 */

/** An audit event as the hash chain covers it (`ChainedEvent` in adapters/crypto/audit-chain.ts hashes exactly these fields). */
export interface ExportEvent {
  readonly eventId: string;
  /** ISO 8601 UTC with microseconds, exactly as the chain hashed it. */
  readonly occurredAt: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly action: string;
  readonly outcome: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly patientId: string | null;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly sourceAddress: string | null;
  readonly onBehalfOf: string | null;
  readonly details: unknown;
}

/** An event's link in the chain: hash = SHA-256(previousHash ‖ "\n" ‖ canonical(event)). */
export interface ChainLink {
  readonly position: number;
  readonly previousHash: string;
  readonly hash: string;
}

export interface ExportedEvent {
  readonly event: ExportEvent;
  readonly chain: ChainLink;
  /** `event.details` as JSON text, when the reader has it: CSV writes it as is, saving a stringify per row. */
  readonly detailsJson?: string;
}

export const EXPORT_FORMATS = ['csv', 'jsonl', 'fhir'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What was asked for: one patient or everything the caller may export, optionally within [from, to). */
export interface ExportScope {
  readonly patientId: string | null;
  /** ISO 8601, inclusive; null: from the start. */
  readonly from: string | null;
  /** ISO 8601, exclusive; null: up to the chain's head. */
  readonly to: string | null;
  /** True when nothing narrows the export (every event up to the head): its links must then run 1, 2, 3 … */
  readonly full: boolean;
}

export interface ExportCheckpoint {
  readonly position: number;
  readonly hash: string;
  readonly keyId: string;
  readonly signature: string;
  readonly signedAt: string;
}

/** The first record: what the export covers and the chain's head and newest signed checkpoint when it started. */
export interface ExportHeader {
  readonly type: 'header';
  readonly format: 'wardline-audit-export';
  readonly version: 1;
  readonly exportId: string;
  readonly generatedAt: string;
  readonly scope: ExportScope;
  /** The export holds sealed events up to this position only. */
  readonly chain: { readonly position: number; readonly hash: string };
  readonly checkpoint: ExportCheckpoint | null;
  /** The installation's checkpoint key, embedded for convenience: verifying against it alone is weaker (see verify-export). */
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** The last record: present only when every page was written. */
export interface ExportTrailer {
  readonly type: 'trailer';
  readonly complete: true;
  readonly exportId: string;
  readonly events: number;
  readonly communications: number;
  /** The position of the last exported event (0 when none). */
  readonly lastPosition: number;
}

/** @param header - the export's header @returns its JSON Lines line (with the newline) */
export function jsonlHeader(header: ExportHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/**
 * One `JSON.stringify` of the whole line: a flat string. (Splicing the database's details text into a template made
 * each line a rope of pieces that joining a page had to walk, which cost more than the stringify it saved.)
 * @param x - an exported event @returns its JSON Lines line
 */
export function jsonlEvent(x: ExportedEvent): string {
  return `${JSON.stringify({ type: 'event', event: x.event, chain: x.chain })}\n`;
}

/** @param trailer - the trailer @returns its JSON Lines line */
export function jsonlTrailer(trailer: ExportTrailer): string {
  return `${JSON.stringify(trailer)}\n`;
}

/**
 * CSV columns (RFC 4180). One table; `record` tells the header row (first), event rows and the trailer row (last)
 * apart. Header and trailer carry their fields as JSON in `details`; `position` and `hash` give the chain's head.
 */
export const CSV_COLUMNS = [
  'record',
  'position',
  'previous_hash',
  'hash',
  'event_id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'action',
  'outcome',
  'target_type',
  'target_id',
  'patient_id',
  'reason',
  'request_id',
  'source_address',
  'on_behalf_of',
  'details',
] as const;

/** A field that needs quoting or a formula guard. */
const NEEDS_CARE = /[",\r\n]|^[=+\-@\t\r']/;

/**
 * Quotes a field when it needs it (comma, quote, CR or LF), and defuses spreadsheet formulas: a text field starting
 * with `=`, `+`, `-`, `@` (or `'`, so the prefix can be undone) is prefixed with `'` (OWASP CSV injection).
 * Ids, codes and hashes never start so.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (value === '') return "'"; // an empty text, told apart from null (an empty field)
  if (!NEEDS_CARE.test(value)) return value; // ids, codes, hashes, times: the common case, one test
  const text = /^[=+\-@\t\r']/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const row = (fields: readonly (string | number | null)[]): string => `${fields.map(csvField).join(',')}\r\n`;

/** @returns the column names line */
export function csvColumns(): string {
  return row(CSV_COLUMNS);
}

/** @param header - the export's header @returns its CSV row */
export function csvHeader(header: ExportHeader): string {
  const { type: _type, chain, ...rest } = header;
  return row(['header', chain.position, null, chain.hash, ...Array<null>(13).fill(null), JSON.stringify(rest)]);
}

/** @param e - an exported event @returns its CSV row (`details` as JSON) */
export function csvEvent(e: ExportedEvent): string {
  const v = e.event;
  return row([
    'event',
    e.chain.position,
    e.chain.previousHash,
    e.chain.hash,
    v.eventId,
    v.occurredAt,
    v.actorType,
    v.actorId,
    v.action,
    v.outcome,
    v.targetType,
    v.targetId,
    v.patientId,
    v.reason,
    v.requestId,
    v.sourceAddress,
    v.onBehalfOf,
    e.detailsJson ?? JSON.stringify(v.details ?? {}),
  ]);
}

/** @param trailer - the trailer @returns its CSV row */
export function csvTrailer(trailer: ExportTrailer): string {
  const { type: _type, ...rest } = trailer;
  return row(['trailer', trailer.lastPosition, null, null, ...Array<null>(13).fill(null), JSON.stringify(rest)]);
}

/**
 * Reads an event back from a parsed CSV row (the inverse of `csvEvent`). Throws on a row of the wrong shape.
 * @param r - the row's fields by column name
 */
export function eventFromCsv(r: Readonly<Record<string, string>>): ExportedEvent {
  const text = (k: (typeof CSV_COLUMNS)[number]): string => {
    const t = r[k] ?? '';
    return t.startsWith("'") ? t.slice(1) : t;
  };
  const nullable = (k: (typeof CSV_COLUMNS)[number]): string | null => ((r[k] ?? '') === '' ? null : text(k));
  return {
    event: {
      eventId: text('event_id'),
      occurredAt: text('occurred_at'),
      actorType: text('actor_type'),
      actorId: nullable('actor_id'),
      action: text('action'),
      outcome: text('outcome'),
      targetType: text('target_type'),
      targetId: nullable('target_id'),
      patientId: nullable('patient_id'),
      reason: nullable('reason'),
      requestId: nullable('request_id'),
      sourceAddress: nullable('source_address'),
      onBehalfOf: nullable('on_behalf_of'),
      details: JSON.parse(text('details') || '{}') as unknown,
    },
    chain: { position: Number(text('position')), previousHash: text('previous_hash'), hash: text('hash') },
  };
}
