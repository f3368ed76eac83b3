import type { Kysely, Selectable } from 'kysely';
import type { Channel } from '../../core/messaging/channel.ts';
import type { InboundMessageId, PatientId, WardId } from '../../core/ids.ts';
import type { InboundRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { visibleTo } from './access.repository.ts';
import type { Database, InboundMessageTable } from './schema.ts';

function toRecord(r: Selectable<InboundMessageTable>): InboundRecord {
  return {
    id: r.id as InboundMessageId,
    patientId: r.patient_id as PatientId | null,
    wardId: r.ward_id as WardId | null,
    channel: r.channel as Channel,
    intent: r.intent as InboundRecord['intent'],
    reviewReason: r.review_reason,
    needsReview: r.needs_review,
    receivedAt: r.received_at,
  };
}

/** Patients' replies: body encrypted, sender kept only as a blind index. */
export function createInboundRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['inbound'] {
  return {
    async insert(r) {
      await db
        .insertInto('inbound_message')
        .values({
          id: r.id,
          patient_id: r.patientId,
          ward_id: r.wardId,
          channel: r.channel,
          from_index: cipher.blindIndex(r.fromIndex),
          body_enc: cipher.encrypt(r.body),
          intent: r.intent,
          review_reason: r.reviewReason,
          needs_review: r.needsReview,
          provider_message_id: r.providerMessageId,
          received_at: r.receivedAt,
        })
        .execute();
    },
    async lastReceived(patientIds, channel) {
      if (patientIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('inbound_message')
        .select(['patient_id', (eb) => eb.fn.max('received_at').as('last')])
        .where('patient_id', 'in', [...patientIds])
        .where('channel', '=', channel)
        .groupBy('patient_id')
        .execute();
      return new Map(rows.flatMap((r) => (r.patient_id === null ? [] : [[r.patient_id as PatientId, new Date(r.last)] as const])));
    },
    async list(f) {
      let q = db.selectFrom('inbound_message').selectAll().where('needs_review', '=', f.needsReview);
      if (f.visibility !== null) {
        if (f.visibility.wardIds.length === 0 && f.visibility.patientIds.length === 0) return [];
        q = q.where(visibleTo(f.visibility));
      }
      const rows = await q.orderBy('received_at', 'desc').limit(f.limit).execute();
      return rows.map(toRecord);
    },
    async ofPatient(patientId, limit) {
      const rows = await db
        .selectFrom('inbound_message')
        .selectAll()
        .where('patient_id', '=', patientId)
        .orderBy('received_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...toRecord(r), body: cipher.decrypt(r.body_enc) }));
    },
  };
}
