import { sql, type Kysely, type Selectable } from 'kysely';
import type { Purpose } from '../../core/consent/consent.ts';
import type { Category, Channel } from '../../core/messaging/channel.ts';
import type { MessageStatus } from '../../core/messaging/delivery-status.ts';
import type { InboundMessageId, MessageId, PatientId, WardId } from '../../core/ids.ts';
import type { ConsentBasis, MessageRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Database, MessageTable } from './schema.ts';

const COLUMNS = [
  'id',
  'patient_id',
  'ward_id',
  'channel',
  'category',
  'purpose',
  'template_id',
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
] as const;

type Row = Pick<Selectable<MessageTable>, (typeof COLUMNS)[number]>;

function toRecord(r: Row): MessageRecord {
  return {
    id: r.id as MessageId,
    patientId: r.patient_id as PatientId,
    wardId: r.ward_id as WardId | null,
    channel: r.channel as Channel,
    category: r.category as Category,
    purpose: r.purpose as Purpose,
    templateId: r.template_id,
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
  };
}

/** Messages (bodies encrypted) and their append-only status timeline. */
export function createMessageRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['messages'] {
  return {
    async insert(m) {
      await db
        .insertInto('message')
        .values({
          id: m.id,
          patient_id: m.patientId,
          ward_id: m.wardId,
          channel: m.channel,
          category: m.category,
          purpose: m.purpose,
          body_enc: cipher.encrypt(m.body),
          template_id: m.templateId,
          related_record: m.relatedRecord === null ? null : JSON.stringify(m.relatedRecord),
          consent_basis: m.consentBasis,
          override_justification_enc:
            m.overrideJustification === null ? null : cipher.encrypt(m.overrideJustification),
          in_reply_to: m.inReplyTo,
          status: 'queued',
          sender_type: m.sender.type,
          sender_id: m.sender.id,
          idempotency_key: m.idempotencyKey,
          request_hash: m.requestHash,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('message').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    },
    async getForUpdate(id) {
      const row = await db.selectFrom('message').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    },
    async body(id) {
      const row = await db.selectFrom('message').select('body_enc').where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : cipher.decrypt(row.body_enc);
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
      let q = db.selectFrom('message').select(COLUMNS).where('category', 'in', [...f.categories]);
      if (f.wardIds !== null) {
        if (f.wardIds.length === 0) return [];
        q = q.where('ward_id', 'in', [...f.wardIds]);
      }
      if (f.patientId !== undefined) q = q.where('patient_id', '=', f.patientId);
      if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
      if (f.to !== undefined) q = q.where('created_at', '<', f.to);
      if (f.before !== undefined) {
        const b = f.before;
        q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(b.createdAt, b.id)));
      }
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
      return rows.map(toRecord);
    },
    async queuedFor(patientId, channels) {
      const rows = await db
        .selectFrom('message')
        .select('id')
        .where('patient_id', '=', patientId)
        .where('channel', 'in', [...channels])
        .where('status', '=', 'queued')
        .forUpdate()
        .execute();
      return rows.map((r) => r.id as MessageId);
    },
    async setStatus(id, status, reason) {
      await db
        .updateTable('message')
        .set({ status, status_reason: reason, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
    },
    async setProvider(id, provider, providerMessageId) {
      await db
        .updateTable('message')
        .set({ provider, provider_message_id: providerMessageId, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
    },
    async appendStatusEvent(id, e) {
      await db
        .insertInto('message_status_event')
        .values({ message_id: id, status: e.status, reason: e.reason, source: e.source, occurred_at: e.occurredAt })
        .onConflict((oc) => oc.columns(['message_id', 'status']).doNothing())
        .execute();
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
