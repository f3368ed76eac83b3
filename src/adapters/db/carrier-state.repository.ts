import { sql, type Kysely } from 'kysely';
import type { PatientId } from '../../core/ids.ts';
import type { ContactPointRecord, StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/** Sender pacing rows (one per sender, locked while slots are reserved). */
export function createSenderRepository(db: Kysely<Database>): StoreSession['senders'] {
  return {
    async reserve(senderId, plan) {
      await db.insertInto('sender_pace').values({ sender_id: senderId, next_slot_at: new Date(0) }).onConflict((oc) => oc.doNothing()).execute();
      const row = await db.selectFrom('sender_pace').select('next_slot_at').where('sender_id', '=', senderId).forUpdate().executeTakeFirstOrThrow();
      const result = plan(row.next_slot_at.getTime() === 0 ? null : row.next_slot_at);
      await db.updateTable('sender_pace').set({ next_slot_at: result.next }).where('sender_id', '=', senderId).execute();
      return result;
    },
  };
}

/** What carriers reported about contact points (no PHI: ids, states and carrier codes). */
export function createContactPointRepository(db: Kysely<Database>): StoreSession['contactPoints'] {
  return {
    async get(patientIds) {
      const result = new Map<PatientId, ContactPointRecord[]>();
      if (patientIds.length === 0) return result;
      const rows = await db.selectFrom('contact_point_state').selectAll().where('patient_id', 'in', [...patientIds]).execute();
      for (const r of rows) {
        const list = result.get(r.patient_id as PatientId) ?? [];
        list.push({ kind: r.kind, state: r.state, reason: r.reason, changedAt: r.changed_at });
        result.set(r.patient_id as PatientId, list);
      }
      return result;
    },
    async set(patientId, record) {
      await db
        .insertInto('contact_point_state')
        .values({ patient_id: patientId, kind: record.kind, state: record.state, reason: record.reason, changed_at: record.changedAt })
        .onConflict((oc) =>
          oc.columns(['patient_id', 'kind']).doUpdateSet({
            state: sql`excluded.state`,
            reason: sql`excluded.reason`,
            changed_at: sql`excluded.changed_at`,
          }),
        )
        .execute();
    },
    async clear(patientIds, kind, states) {
      if (patientIds.length === 0) return;
      let q = db.deleteFrom('contact_point_state').where('patient_id', 'in', [...patientIds]).where('kind', '=', kind);
      if (states !== undefined) q = q.where('state', 'in', [...states]);
      await q.execute();
    },
  };
}

/** Signed webhook deliveries already processed. */
export function createWebhookReceiptRepository(db: Kysely<Database>): StoreSession['webhooks'] {
  return {
    async remember(provider, digest) {
      const rows = await db
        .insertInto('webhook_receipt')
        .values({ provider, digest })
        .onConflict((oc) => oc.doNothing())
        .returning('digest')
        .execute();
      return rows.length > 0;
    },
  };
}
