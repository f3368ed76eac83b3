import { sql, type Kysely } from 'kysely';
import type { MessageRecord, ReportedMessage } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { MessageListQuery, Row } from './message.repository.ts';
import type { Database } from './schema.ts';

/** Sender and decider types that name a principal (the others are the system, a patient or a carrier). */
const PRINCIPAL_TYPES = sql.raw(`('user', 'agent', 'integration')`);

/**
 * The regulator's query (issue 6 item 3) as one statement: the message page that `list` selects, each row joined to
 * its sender's name, its template version with the approver, the first time its timeline reached each status (a
 * lateral aggregate over `message_status_event (message_id, status)`), and, only when asked, its encrypted content.
 * Runs inside the caller's row-level-security scope like the list (migration 0013 grants the viewer role the
 * few principal and template columns it reads). Nothing is fetched per row.
 * @param db - the database or the viewer's transaction
 * @param cipher - decrypts the content
 * @param page - the list's query for the filter (null: the visibility admits nothing)
 * @param toRecord - maps a message row
 * @param options - whether to read and decrypt content
 */
export async function reportPage(
  db: Kysely<Database>,
  cipher: FieldCipher,
  page: MessageListQuery | null,
  toRecord: (r: Row) => MessageRecord,
  options: { readonly content: boolean },
): Promise<ReportedMessage[]> {
  if (page === null) return [];
  const base = db
    .selectFrom(page.as('m'))
    .selectAll('m')
    .leftJoin('principal as sp', (j) => j.on(sql<boolean>`sp.id = CASE WHEN m.sender_type IN ${PRINCIPAL_TYPES} THEN m.sender_id::uuid END`))
    .leftJoin('template_version as tv', 'tv.id', 'm.template_version_id')
    .leftJoin('template as t', 't.id', 'tv.template_id')
    .leftJoin('principal as ap', (j) => j.on(sql<boolean>`ap.id = CASE WHEN tv.decided_by_type IN ${PRINCIPAL_TYPES} THEN tv.decided_by_id::uuid END`))
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('message_status_event as e')
          .whereRef('e.message_id', '=', 'm.id')
          .select((e) => [
            e.fn.min('e.occurred_at').filterWhere('e.status', '=', 'sent').as('sent_at'),
            e.fn.min('e.occurred_at').filterWhere('e.status', '=', 'delivered').as('delivered_at'),
            e.fn.min('e.occurred_at').filterWhere('e.status', '=', 'read').as('read_at'),
            e.fn.min('e.occurred_at').filterWhere('e.status', '=', 'failed').as('failed_at'),
          ])
          .as('ev'),
      (j) => j.onTrue(),
    )
    .select([
      'sp.display_name as sender_name',
      't.id as tpl_id',
      't.name as tpl_name',
      'tv.version as tpl_version',
      'tv.status as tpl_status',
      'tv.decided_by_type as tpl_decided_by_type',
      'tv.decided_by_id as tpl_decided_by_id',
      'tv.decided_at as tpl_decided_at',
      'ap.display_name as tpl_decided_by_name',
      'ev.sent_at',
      'ev.delivered_at',
      'ev.read_at',
      'ev.failed_at',
    ]);
  const rows = await base
    .$if(options.content, (q) =>
      q
        .innerJoin('message as mc', 'mc.id', 'm.id')
        .leftJoin('secure_message as sm', 'sm.message_id', 'm.id')
        .select(['mc.body_enc', 'mc.override_justification_enc', 'sm.content_enc']),
    )
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id', 'desc')
    .execute();
  return rows.map((r) => ({
    ...toRecord(r),
    senderName: r.sender_name,
    approval:
      r.tpl_id === null || r.tpl_name === null || r.tpl_version === null || r.tpl_status === null
        ? null
        : {
            templateId: r.tpl_id,
            templateName: r.tpl_name,
            version: r.tpl_version,
            status: r.tpl_status,
            decidedBy: r.tpl_decided_by_type === null ? null : { type: r.tpl_decided_by_type, id: r.tpl_decided_by_id ?? '', name: r.tpl_decided_by_name },
            decidedAt: r.tpl_decided_at,
          },
    times: { sentAt: asDate(r.sent_at), deliveredAt: asDate(r.delivered_at), readAt: asDate(r.read_at), failedAt: asDate(r.failed_at) },
    content:
      r.body_enc === undefined
        ? null
        : {
            body: cipher.decrypt(r.body_enc),
            secureContent: r.content_enc === null || r.content_enc === undefined ? null : cipher.decrypt(r.content_enc),
            overrideJustification: r.override_justification_enc === null || r.override_justification_enc === undefined ? null : cipher.decrypt(r.override_justification_enc),
          },
  }));
}

/** An aggregate over timestamps comes back as a Date from node-postgres and PGlite alike; anything else is absent. */
function asDate(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value);
  return null;
}
