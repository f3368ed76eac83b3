import type { Kysely } from 'kysely';
import type { Channel } from '../../core/messaging/channel.ts';
import type { InboundMessageId, PatientId, WardId } from '../../core/ids.ts';
import type { InboundRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Database } from './schema.ts';

/**
 * A patient's replies with their text (the review queue in `inbound.repository.ts` lists them without it). Only the
 * conversation use case reads this, after checking the caller may see the patient, and audits the read.
 * @param db - the database or a transaction
 * @param cipher - decrypts the bodies
 */
export function createReplyRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['replies'] {
  return {
    async ofPatient(patientId, limit) {
      const rows = await db
        .selectFrom('inbound_message')
        .selectAll()
        .where('patient_id', '=', patientId)
        .orderBy('received_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id as InboundMessageId,
        patientId: r.patient_id as PatientId | null,
        wardId: r.ward_id as WardId | null,
        channel: r.channel as Channel,
        intent: r.intent as InboundRecord['intent'],
        reviewReason: r.review_reason,
        needsReview: r.needs_review,
        receivedAt: r.received_at,
        body: cipher.decrypt(r.body_enc),
      }));
    },
  };
}
