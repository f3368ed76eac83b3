import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AuditExportReader, EventPageQuery } from '../../app/audit-export.ts';
import type { ExportedEvent, ExportEvent } from '../../core/audit/export-format.ts';
import type { ExportMessage } from '../../core/audit/fhir-audit.ts';
import { visibleTo } from './access.repository.ts';
import { inViewerScope } from './row-security.ts';
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

/** The scope's conditions on `e` (audit_event) — the same for a page and for the count. */
function scopeOf(q: Omit<EventPageQuery, 'after' | 'limit'>): RawBuilder<unknown> {
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

/**
 * @param r - a row
 * @param previousHash - the previous seal's hash; null when that seal is missing (the verifier reports it)
 */
function toExported(r: EventRow, previousHash: string | null): ExportedEvent {
  const detailsJson = typeof r.details === 'string' ? r.details : JSON.stringify(r.details);
  // A plain literal of own data properties, `details` parsed at once: what the chain's canonical form hashes. (A lazy
  // getter here cost more than the parse: a closure per row, and V8's slow dictionary mode for the object.) JSON Lines
  // and CSV still write `detailsJson`, the database's own text.
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
  return { event, detailsJson, chain: { position: Number(r.position), previousHash: previousHash ?? 'missing', hash: r.hash } };
}

const ISO = (column: RawBuilder<unknown>): RawBuilder<string> => sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * @param db - the database
 * @returns the reader an export streams from
 */
export function createAuditExportReader(db: Kysely<Database>): AuditExportReader {
  return {
    async events(q) {
      // One transaction per page, with two local settings: the time as UTC text (`timestamptz_out` is far cheaper
      // than `to_char`, and keeps the microseconds a JavaScript Date would lose), and no parallel workers — a page is
      // a short index walk, but with the whole remaining range as its estimate PostgreSQL would start workers for
      // every page (≈150 ms each; bench/audit-export.bench.ts).
      return db.transaction().execute(async (trx) => {
        await sql`SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('TimeZone', 'UTC', true)`.execute(trx);
        const { rows } = await sql<EventRow>`SELECT s.position, s.hash, e.event_id, e.occurred_at::text AS occurred_at_text,
            e.actor_type, e.actor_id, e.action, e.outcome, e.target_type, e.target_id, e.patient_id, e.reason, e.request_id,
            e.source_address, e.on_behalf_of, e.details::text AS details
          FROM audit_seal s JOIN audit_event e ON e.id = s.event_pk
          WHERE s.position > ${q.after} AND ${scopeOf(q)}
          ORDER BY s.position LIMIT ${q.limit}`.execute(trx);
        // The previous seal's hash: the row before when consecutive (a full export: every row but the page's first),
        // else looked up by position in one query for the page.
        const wanted = rows.filter((r, i) => Number(r.position) > 1 && Number(rows[i - 1]?.position ?? -1) !== Number(r.position) - 1).map((r) => String(Number(r.position) - 1));
        const looked =
          wanted.length === 0
            ? []
            : (await sql<{ position: string | number; hash: string }>`SELECT position, hash FROM audit_seal WHERE position = ANY (${`{${wanted.join(',')}}`}::bigint[])`.execute(trx)).rows;
        const byPosition = new Map(looked.map((l) => [Number(l.position), l.hash]));
        return rows.map((r, i) => {
          const position = Number(r.position);
          const before = rows[i - 1];
          const previous = position === 1 ? GENESIS : before !== undefined && Number(before.position) === position - 1 ? before.hash : (byPosition.get(position - 1) ?? null);
          return toExported(r, previous);
        });
      });
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
