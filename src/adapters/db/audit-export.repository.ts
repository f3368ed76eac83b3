import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { StringDecoder } from 'node:string_decoder';
import type { AuditExportReader, EventScope } from '../../app/audit-export.ts';
import type { ExportedEvent, ExportEvent } from '../../core/audit/export-format.ts';
import type { ExportMessage } from '../../core/audit/fhir-audit.ts';
import { visibleTo } from './access.repository.ts';
import { inViewerScope } from './row-security.ts';
import type { DatabaseHandle } from './database.ts';
import type { Database } from './schema.ts';

/**
 * The paged reads of an audit export (src/app/audit-export.ts; docs/decisions/0016-audit-exports.md). Events are read
 * in chain order by keyset on the seal's position (its primary key), with each event's own seal and the previous one
 * joined, so every row carries its link; messages by keyset on (created_at, id), under row-level security. Never
 * more than a page in memory.
 */

interface EventRow {
  position: string | number;
  hash: string;
  /** The seal before this one (null: none, at position 1 or where it is missing). */
  previous_hash: string | null;
  event_id: string;
  /** `timestamptz_out` in UTC: `2026-01-02 03:04:05.123456+00` (trailing zeros of the fraction dropped). */
  occurred_at_text: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  target_type: string;
  target_id: string | null;
  patient_id: string | null;
  reason: string | null;
  request_id: string | null;
  source_address: string | null;
  on_behalf_of: string | null;
  details: unknown;
}

const GENESIS = '0'.repeat(64);
const uuids = (ids: readonly string[]): string => `{${ids.join(',')}}`;

/** The scope's conditions on `e` (audit_event) — the same for the rows and for the count. */
function scopeOf(q: EventScope): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`s.position <= ${q.upTo}`];
  if (q.patientId !== null) parts.push(sql`e.patient_id = ${q.patientId}::uuid`);
  if (q.from !== null) parts.push(sql`e.occurred_at >= ${q.from}`);
  if (q.to !== null) parts.push(sql`e.occurred_at < ${q.to}`);
  const v = q.visibility;
  if (v !== null) {
    // Events of the patients the caller may see; an event without a patient is for organisation-wide callers only.
    parts.push(sql`(e.patient_id = ANY (${uuids(v.patientIds)}::uuid[])
      OR e.patient_id IN (SELECT p.id FROM patient p WHERE p.ward_id = ANY (${uuids(v.wardIds)}::uuid[])))`);
  }
  return sql.join(parts, sql` AND `);
}

/**
 * The time as the sealer hashed it (`YYYY-MM-DD"T"HH24:MI:SS.US"Z"`), from PostgreSQL's UTC text.
 * @param text - `timestamptz` output with TimeZone UTC
 */
export function isoMicros(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (m === null) throw new Error('unexpected timestamp text from the database');
  return `${m[1] ?? ''}T${m[2] ?? ''}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

/** @param r - a row (its `previous_hash` null where that seal is missing: the verifier reports it) */
function toExported(r: EventRow): ExportedEvent {
  const detailsJson = typeof r.details === 'string' ? r.details : JSON.stringify(r.details);
  // A plain literal of own data properties, `details` parsed at once: what the chain's canonical form hashes. (A lazy
  // getter here cost more than the parse: a closure per row, and V8's slow dictionary mode for the object.) CSV writes
  // `detailsJson`, the database's own text.
  const event: ExportEvent = {
    eventId: r.event_id,
    occurredAt: isoMicros(r.occurred_at_text),
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    outcome: r.outcome,
    targetType: r.target_type,
    targetId: r.target_id,
    patientId: r.patient_id,
    reason: r.reason,
    requestId: r.request_id,
    sourceAddress: r.source_address,
    onBehalfOf: r.on_behalf_of,
    details: JSON.parse(detailsJson) as unknown,
  };
  const position = Number(r.position);
  return { event, detailsJson, chain: { position, previousHash: position === 1 ? GENESIS : (r.previous_hash ?? 'missing'), hash: r.hash } };
}

/**
 * The export's rows in chain order: each sealed event with its own seal and the previous one (so every row carries
 * its link, also where a scope skips positions). The time comes as `timestamptz` text under `TimeZone` UTC —
 * far cheaper than `to_char`, and it keeps the microseconds a JavaScript Date would lose.
 */
function eventsQuery(q: EventScope, after?: { readonly position: number; readonly limit: number }): RawBuilder<EventRow> {
  return sql<EventRow>`SELECT s.position, s.hash, prev.hash AS previous_hash, e.event_id, e.occurred_at::text AS occurred_at_text,
      e.actor_type, e.actor_id, e.action, e.outcome, e.target_type, e.target_id, e.patient_id, e.reason, e.request_id,
      e.source_address, e.on_behalf_of, e.details::text AS details
    FROM audit_seal s JOIN audit_event e ON e.id = s.event_pk LEFT JOIN audit_seal prev ON prev.position = s.position - 1
    WHERE ${scopeOf(q)}${after === undefined ? sql`` : sql` AND s.position > ${after.position}`}
    ORDER BY s.position${after === undefined ? sql`` : sql` LIMIT ${after.limit}`}`;
}

/**
 * PostgreSQL: the whole export as one `COPY … TO STDOUT` (one statement, so one snapshot), parsed from COPY's text
 * format into pages. The socket's buffer reads ahead while a page is formatted and written; a slow consumer pauses
 * the stream (constant memory). Rows, not a result set: no per-row protocol parsing (bench/audit-export.bench.ts).
 */
async function* copyPages(copyOut: NonNullable<DatabaseHandle['copyOut']>, query: CompiledQuery, pageSize: number): AsyncGenerator<ExportedEvent[], void, undefined> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let page: ExportedEvent[] = [];
  for await (const chunk of copyOut(query)) {
    const text = rest + decoder.write(chunk);
    const end = text.lastIndexOf('\n');
    rest = text.slice(end + 1);
    if (end === -1) continue;
    for (const line of text.slice(0, end).split('\n')) {
      page.push(toExported(copyRow(line)));
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
  }
  if (rest + decoder.end() !== '') throw new Error('the COPY output ended inside a row');
  if (page.length > 0) yield page;
}

/** COPY text format: tab-separated, `\N` for null, backslash escapes for backslash, tab, newline and the like. */
const COPY_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
function copyField(field: string | undefined): string | null {
  if (field === undefined) throw new Error('a COPY row has too few fields');
  if (field === '\\N') return null;
  return field.includes('\\') ? field.replace(/\\(.)/g, (_m, c: string) => COPY_ESCAPES[c] ?? c) : field;
}
const copyText = (field: string | undefined): string => copyField(field) ?? '';

/** @param line - one row of `eventsQuery`'s COPY text, its columns in that order */
function copyRow(line: string): EventRow {
  const f = line.split('\t');
  return {
    position: copyText(f[0]),
    hash: copyText(f[1]),
    previous_hash: copyField(f[2]),
    event_id: copyText(f[3]),
    occurred_at_text: copyText(f[4]),
    actor_type: copyText(f[5]),
    actor_id: copyField(f[6]),
    action: copyText(f[7]),
    outcome: copyText(f[8]),
    target_type: copyText(f[9]),
    target_id: copyField(f[10]),
    patient_id: copyField(f[11]),
    reason: copyField(f[12]),
    request_id: copyField(f[13]),
    source_address: copyField(f[14]),
    on_behalf_of: copyField(f[15]),
    details: copyText(f[16]),
  };
}

/**
 * PGlite (no streaming COPY): keyset pages on the seal's position, each in its own short transaction (PGlite has one
 * connection; a transaction held for the whole download would stop every other query), the next page read while
 * the caller handles this one (two pages in memory at most).
 */
async function* keysetPages(db: Kysely<Database>, q: EventScope, pageSize: number): AsyncGenerator<ExportedEvent[], void, undefined> {
  const read = (position: number): Promise<ExportedEvent[]> => {
    const pending = db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('TimeZone', 'UTC', true)`.execute(trx);
      const { rows } = await eventsQuery(q, { position, limit: pageSize }).execute(trx);
      return rows.map((r) => toExported(r));
    });
    pending.catch(() => undefined); // awaited below; a consumer that stops early leaves it unawaited
    return pending;
  };
  for (let next: Promise<ExportedEvent[]> | null = read(0); next !== null; ) {
    const page: ExportedEvent[] = await next;
    const last = page.at(-1)?.chain.position;
    next = page.length === pageSize && last !== undefined ? read(last) : null;
    if (page.length > 0) yield page;
  }
}

const ISO = (column: RawBuilder<unknown>): RawBuilder<string> => sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * @param database - the database (its `copyOut` on PostgreSQL)
 * @returns the reader an export streams from
 */
export function createAuditExportReader(database: Pick<DatabaseHandle, 'db' | 'copyOut'>): AuditExportReader {
  const { db } = database;
  return {
    eventPages(q, pageSize) {
      const copyOut = database.copyOut;
      return copyOut === null ? keysetPages(db, q, pageSize) : copyPages(copyOut, eventsQuery(q).compile(db), pageSize);
    },
    async countEvents(q) {
      const { rows } = await sql<{ n: string | number }>`SELECT count(*) AS n FROM audit_seal s JOIN audit_event e ON e.id = s.event_pk WHERE ${scopeOf(q)}`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },
    async messages(q) {
      const v = q.visibility;
      if (q.categories.length === 0 || (v !== null && v.wardIds.length === 0 && v.patientIds.length === 0)) return { rows: [], cursor: null };
      // Two lines of defence, as every staff read: the SQL filter, and row-level security for the caller's visibility.
      const rows = await inViewerScope(db, v, async (trx) => {
        let query = trx
          .selectFrom('message')
          .select(['id', 'patient_id', 'channel', 'category', 'purpose', 'status', 'status_reason', 'urgent', 'sender_type', 'sender_id', 'in_reply_to'])
          .select([ISO(sql`created_at`).as('created_iso'), ISO(sql`updated_at`).as('updated_iso')])
          .where('category', 'in', [...q.categories]);
        if (v !== null) query = query.where(visibleTo(v));
        if (q.patientId !== null) query = query.where('patient_id', '=', q.patientId);
        if (q.from !== null) query = query.where('created_at', '>=', q.from);
        if (q.to !== null) query = query.where('created_at', '<', q.to);
        const after = q.after;
        if (after !== null) query = query.where(sql<boolean>`(created_at, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
        return (query.orderBy('created_at').orderBy('id').limit(q.limit).execute());
      });
      const last = rows.at(-1);
      return {
        rows: rows.map(
          (r): ExportMessage => ({
            id: r.id,
            patientId: r.patient_id,
            channel: r.channel,
            category: r.category,
            purpose: r.purpose,
            status: r.status,
            statusReason: r.status_reason,
            urgent: r.urgent,
            senderType: r.sender_type,
            senderId: r.sender_id,
            inReplyTo: r.in_reply_to,
            createdAt: r.created_iso,
            updatedAt: r.updated_iso,
          }),
        ),
        cursor: last === undefined ? null : { createdAt: last.created_iso, id: last.id },
      };
    },
  };
}
