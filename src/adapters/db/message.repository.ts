import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Purpose } from '../../core/consent/consent.ts';
import type { Category, Channel } from '../../core/messaging/channel.ts';
import type { MessageStatus } from '../../core/messaging/delivery-status.ts';
import type { InboundMessageId, MessageId, PatientId, WardId } from '../../core/ids.ts';
import type { AuditEventInput } from '../../core/audit/audit-event.ts';
import type { AuditActor } from '../../core/access/actor.ts';
import type { ConsentBasis, MessageFilter, MessageRecord, NewMessage, StoreSession } from '../../app/ports.ts';
import { reportPage } from './message-report.repository.ts';
import { auditRow } from './audit.repository.ts';
import { secureLinkRow } from './secure-link.repository.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { visibleTo } from './access.repository.ts';
import type { Database, MessageTable } from './schema.ts';
import { phi, reveal, type Phi } from '../../core/phi/phi.ts';

/** A JSON array of strings, stored encrypted (media URLs, template parameters). */
function parseStrings(value: Phi<string>): Phi<readonly string[]> {
  const parsed: unknown = JSON.parse(reveal(value));
  return phi(Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === 'string') : []);
}

const COLUMNS = [
  'id',
  'patient_id',
  'ward_id',
  'channel',
  'category',
  'purpose',
  'template_version_id',
  'template_meta_name',
  'template_language',
  'delivery',
  'related_record',
  'consent_basis',
  'in_reply_to',
  'status',
  'status_reason',
  'sender_type',
  'sender_id',
  'idempotency_key',
  'request_hash',
  'provider',
  'provider_message_id',
  'created_at',
  'updated_at',
  'encoding',
  'segments',
  'characters',
  'media_count',
  'urgent',
  'exempt',
  'held_until',
] as const;

export type Row = Pick<Selectable<MessageTable>, (typeof COLUMNS)[number]>;

function toRecord(r: Row): MessageRecord {
  return {
    id: r.id as MessageId,
    patientId: r.patient_id as PatientId,
    wardId: r.ward_id as WardId | null,
    channel: r.channel as Channel,
    category: r.category as Category,
    purpose: r.purpose as Purpose,
    template:
      r.template_version_id === null ? null : { versionId: r.template_version_id, metaName: r.template_meta_name, language: r.template_language ?? 'en' },
    delivery: r.delivery,
    relatedRecord: r.related_record,
    consentBasis: r.consent_basis as ConsentBasis,
    inReplyTo: r.in_reply_to as InboundMessageId | null,
    status: r.status as MessageStatus,
    statusReason: r.status_reason,
    sender: { type: r.sender_type, id: r.sender_id },
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    provider: r.provider,
    providerMessageId: r.provider_message_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    // Rows written before sizes were recorded carry none; their size is unknown, not zero.
    size: { encoding: r.encoding ?? 'GSM-7', segments: r.segments ?? 0, characters: r.characters ?? 0 },
    mediaCount: r.media_count,
    urgent: r.urgent,
    exempt: r.exempt,
    heldUntil: r.held_until,
  };
}

function messageRow(m: NewMessage, cipher: FieldCipher, at: Date): Insertable<MessageTable> {
  return {
    id: m.id,
    created_at: at,
    updated_at: at,
    patient_id: m.patientId,
    ward_id: m.wardId,
    channel: m.channel,
    category: m.category,
    purpose: m.purpose,
    body_enc: cipher.encrypt(m.body),
    template_version_id: m.template?.versionId ?? null,
    template_meta_name: m.template?.metaName ?? null,
    template_language: m.template?.language ?? null,
    template_params_enc: m.template === null ? null : cipher.encrypt(phi(JSON.stringify(reveal(m.template.parameters)))),
    delivery: m.delivery,
    related_record: m.relatedRecord === null ? null : JSON.stringify(m.relatedRecord),
    consent_basis: m.consentBasis,
    override_justification_enc: m.overrideJustification === null ? null : cipher.encrypt(m.overrideJustification),
    in_reply_to: m.inReplyTo,
    status: 'queued',
    sender_type: m.sender.type,
    sender_id: m.sender.id,
    idempotency_key: m.idempotencyKey,
    request_hash: m.requestHash,
    encoding: m.size.encoding,
    segments: m.size.segments,
    characters: m.size.characters,
    media_urls_enc: m.mediaUrls === null ? null : cipher.encrypt(phi(JSON.stringify(reveal(m.mediaUrls)))),
    media_count: m.mediaUrls === null ? 0 : reveal(m.mediaUrls).length,
    urgent: m.urgent,
    exempt: m.exempt,
  };
}

/** A message to queue with its audit events. */
export interface QueuedMessage {
  readonly message: NewMessage;
  readonly audits: readonly AuditEventInput[];
  readonly at: Date;
}

/**
 * Queues messages in one statement (data-modifying CTEs): each message row, its `queued` timeline event, its outbox
 * row and its audit events. One statement is atomic without a transaction round trip of its own.
 * @param db - the database or a transaction
 * @param cipher - encrypts the bodies
 * @param uuid - audit event ids
 * @param items - the messages
 */
export async function insertQueued(
  db: Kysely<Database>,
  cipher: FieldCipher,
  uuid: () => string,
  items: readonly QueuedMessage[],
): Promise<void> {
  const secure = items.flatMap((i) => (i.message.secure === null ? [] : [{ item: i, secure: i.message.secure }]));
  const base = db
    .with('m', (q) => q.insertInto('message').values(items.map((i) => messageRow(i.message, cipher, i.at))).returning('id'))
    .with('s', (q) =>
      q.insertInto('message_status_event').values(
        items.map((i) => ({ message_id: i.message.id, status: 'queued', reason: null, source: 'wardline' as const, occurred_at: i.at })),
      ),
    )
    .with('o', (q) => q.insertInto('outbox').values(items.map((i) => ({ message_id: i.message.id, available_at: i.at }))));
  // Secure deliveries: the content (encrypted) and its first link, in the same statement as the notice.
  const withSecure =
    secure.length === 0
      ? base
      : base
          .with('sm', (q) =>
            q.insertInto('secure_message').values(
              secure.map(({ item, secure: s }) => ({ message_id: item.message.id, patient_id: item.message.patientId, content_enc: cipher.encrypt(s.content), created_at: item.at })),
            ),
          )
          .with('sl', (q) =>
            q.insertInto('secure_link').values(
              secure.map(({ item, secure: s }) => secureLinkRow({ messageId: item.message.id, noticeMessageId: item.message.id, link: s.link, createdBy: item.message.sender as AuditActor, at: item.at })),
            ),
          );
  await withSecure
    .insertInto('audit_event')
    .values(items.flatMap((i) => i.audits.map((a) => auditRow(a, uuid))))
    .execute();
}

/**
 * The newest `limit` messages matching a filter, newest first, as one query (null: the visibility admits nothing).
 * @param db - the database or a transaction
 * @param f - the filter
 */
function listQuery(db: Kysely<Database>, f: MessageFilter) {
  const listed = () => db.selectFrom('message').select(COLUMNS).where('category', 'in', [...f.categories]);
  type ListQuery = ReturnType<typeof listed>;
  // The newest `limit` rows matching the filter, in one of the branches below, newest first.
  const newest = (narrow: (q: ListQuery) => ListQuery): ListQuery => {
    let q = narrow(listed());
    if (f.patientId !== undefined) q = q.where('patient_id', '=', f.patientId);
    if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('created_at', '<', f.to);
    if (f.before !== undefined) {
      const b = f.before;
      q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(b.createdAt, b.id)));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit);
  };
  const v = f.visibility;
  if (v === null) return newest((q) => q);
  if (v.wardIds.length === 0 && v.patientIds.length === 0) return null;
  // One patient (the regulator's query): its own index drives, sharing is a plain filter on its few rows.
  if (f.patientId !== undefined) return newest((q) => q.where(visibleTo(v)));
  // Record-level sharing as one branch per ward (each an ordered scan of message_ward_created_idx that stops
  // after `limit` rows) and one for individually granted patients outside those wards, merged: an OR of the two
  // would make PostgreSQL collect and sort every row of the wards (bench/access-filter.bench.ts).
  const wards = [...v.wardIds];
  const branches = [
    ...wards.map((wardId) => newest((q) => q.where('ward_id', '=', wardId))),
    ...(v.patientIds.length === 0
      ? []
      : [newest((q) => q.where('patient_id', 'in', [...v.patientIds]).where((eb) => (wards.length === 0 ? eb.lit(true) : eb.or([eb('ward_id', 'is', null), eb('ward_id', 'not in', wards)]))))]),
  ];
  const [first, ...rest] = branches;
  if (first === undefined) return null;
  if (rest.length === 0) return first;
  const merged = rest.reduce((all, b, i) => all.unionAll(db.selectFrom(b.as(`b${String(i + 1)}`)).selectAll()), db.selectFrom(first.as('b0')).selectAll());
  return db.selectFrom(merged.as('m')).selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit);
}

/** The message list's query, for the report to wrap. */
export type MessageListQuery = NonNullable<ReturnType<typeof listQuery>>;

/** Messages (bodies encrypted) and their append-only status timeline. */
export function createMessageRepository(
  db: Kysely<Database>,
  cipher: FieldCipher,
  uuid: () => string,
): StoreSession['messages'] {
  return {
    queue: (m, audits, at) => insertQueued(db, cipher, uuid, [{ message: m, audits, at }]),
    async get(id) {
      const row = await db.selectFrom('message').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    },
    async getManyForUpdate(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('message').select(COLUMNS).where('id', 'in', [...ids]).orderBy('id').forNoKeyUpdate().execute();
      return rows.map(toRecord);
    },
    async body(id) {
      const row = await db.selectFrom('message').select('body_enc').where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : cipher.decrypt(row.body_enc);
    },
    async contents(ids) {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('message').select(['id', 'body_enc', 'media_urls_enc', 'template_params_enc']).where('id', 'in', [...ids]).execute();
      return new Map(
        rows.map((r) => [
          r.id as MessageId,
          {
            body: cipher.decrypt(r.body_enc),
            mediaUrls: r.media_urls_enc === null ? phi([]) : parseStrings(cipher.decrypt(r.media_urls_enc)),
            templateParameters: r.template_params_enc === null ? phi([]) : parseStrings(cipher.decrypt(r.template_params_enc)),
          },
        ]),
      );
    },
    async exemptSends(patientIds, since) {
      const result = new Map<PatientId, { messageId: MessageId; at: Date; handedOver: boolean }[]>();
      if (patientIds.length === 0) return result;
      const rows = await db
        .selectFrom('message')
        .select(['id', 'patient_id', 'created_at', 'status', 'provider_message_id'])
        .where('patient_id', 'in', [...patientIds])
        .where('exempt', '=', true)
        .where('created_at', '>=', since)
        .where((eb) => eb.or([eb('status', 'not in', ['failed', 'cancelled']), eb('provider_message_id', 'is not', null)]))
        .orderBy('created_at')
        .execute();
      for (const r of rows) {
        const list = result.get(r.patient_id as PatientId) ?? [];
        list.push({ messageId: r.id as MessageId, at: r.created_at, handedOver: r.provider_message_id !== null || ['sent', 'delivered', 'read'].includes(r.status) });
        result.set(r.patient_id as PatientId, list);
      }
      return result;
    },
    async hold(id, until) {
      await db.updateTable('message').set({ held_until: until, updated_at: new Date() }).where('id', '=', id).execute();
    },
    async findByIdempotencyKey(senderId, key) {
      const row = await db
        .selectFrom('message')
        .select(COLUMNS)
        .where('sender_id', '=', senderId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    },
    async findByProviderId(provider, providerMessageId) {
      const row = await db
        .selectFrom('message')
        .select('id')
        .where('provider', '=', provider)
        .where('provider_message_id', '=', providerMessageId)
        .executeTakeFirst();
      return row === undefined ? null : (row.id as MessageId);
    },
    async list(f) {
      const query = listQuery(db, f);
      return query === null ? [] : (await query.execute()).map(toRecord);
    },
    report: (f, options) => reportPage(db, cipher, listQuery(db, f), toRecord, options),
    async queuedFor(patientId, channels, purposes) {
      const rows = await db
        .selectFrom('message')
        .select('id')
        .where('patient_id', '=', patientId)
        .where('channel', 'in', [...channels])
        .where('purpose', 'in', [...purposes])
        .where('status', '=', 'queued')
        .orderBy('id')
        .forNoKeyUpdate()
        .execute();
      return rows.map((r) => r.id as MessageId);
    },
    async recordStatusChanges({ finals, events, audits }) {
      if (finals.length === 0 && events.length === 0 && audits.length === 0) return;
      // One statement: the update, the timeline and the audit rows commit together even outside a transaction.
      const ctes = [];
      if (finals.length > 0) {
        const values = finals.map(
          (f) => sql`(${f.messageId}::uuid, ${f.status}::text, ${f.reason}::text, ${f.provider?.name ?? null}::text, ${f.provider?.messageId ?? null}::text)`,
        );
        ctes.push(sql`u AS (UPDATE message m SET status = v.status, status_reason = v.reason,
          provider = coalesce(m.provider, v.provider), provider_message_id = coalesce(m.provider_message_id, v.pmid),
          updated_at = now()
          FROM (VALUES ${sql.join(values)}) AS v(id, status, reason, provider, pmid) WHERE m.id = v.id RETURNING 1)`);
      }
      if (events.length > 0) {
        const values = events.map((e) => ({ message_id: e.messageId, status: e.status, reason: e.reason, source: e.source, occurred_at: e.occurredAt }));
        const insert = db.insertInto('message_status_event').values(values).onConflict((oc) => oc.columns(['message_id', 'status']).doNothing());
        ctes.push(sql`e AS (${insert} RETURNING 1)`);
      }
      const tail = audits.length > 0 ? sql`${db.insertInto('audit_event').values(audits.map((a) => auditRow(a, uuid)))}` : sql`SELECT 1`;
      await (ctes.length > 0 ? sql`WITH ${sql.join(ctes)} ${tail}` : tail).execute(db);
    },
    async setProviders(accepted) {
      if (accepted.length === 0) return;
      const values = accepted.map((a) => sql`(${a.messageId}::uuid, ${a.provider}::text, ${a.providerMessageId}::text)`);
      await sql`UPDATE message m SET provider = v.provider, provider_message_id = v.pmid, updated_at = now()
        FROM (VALUES ${sql.join(values)}) AS v(id, provider, pmid)
        WHERE m.id = v.id AND m.provider_message_id IS NULL`.execute(db);
    },
    async timeline(id) {
      const rows = await db
        .selectFrom('message_status_event')
        .select(['status', 'reason', 'source', 'occurred_at'])
        .where('message_id', '=', id)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        status: r.status as MessageStatus,
        reason: r.reason,
        source: r.source,
        occurredAt: r.occurred_at,
      }));
    },
  };
}
