import type { Kysely, Selectable } from 'kysely';
import type { ConsentSource, ConsentStatus, Purpose } from '../../core/consent/consent.ts';
import type { PatientId } from '../../core/ids.ts';
import type { Channel } from '../../core/messaging/channel.ts';
import type { ConsentEventRecord, StoreSession } from '../../app/ports.ts';
import type { ConsentEventTable, Database } from './schema.ts';

function toRecord(r: Selectable<ConsentEventTable>): ConsentEventRecord {
  return {
    id: r.id,
    sequence: r.seq,
    channel: r.channel as Channel,
    purpose: r.purpose as Purpose,
    status: r.status as ConsentStatus,
    source: r.source as ConsentSource,
    occurredAt: r.recorded_at,
    evidence: {
      ...(r.wording_shown === null ? {} : { wordingShown: r.wording_shown }),
      ...(r.captured_by === null ? {} : { capturedBy: r.captured_by }),
      ...(r.captured_at === null ? {} : { capturedAt: r.captured_at.toISOString() }),
    },
    recordedBy: { type: r.recorded_by_type, id: r.recorded_by_id },
  };
}

/**
 * @param json - a consent_event row as PostgreSQL's json_agg renders it (timestamps as ISO strings)
 * @returns the ledger record
 */
export function consentEventFromJson(json: Record<string, unknown>): ConsentEventRecord {
  const row = json as unknown as Selectable<ConsentEventTable> & { recorded_at: string; captured_at: string | null };
  return toRecord({ ...row, recorded_at: new Date(row.recorded_at), captured_at: row.captured_at === null ? null : new Date(row.captured_at) });
}

/** The append-only consent ledger (the table's trigger refuses UPDATE and DELETE). */
export function createConsentRepository(db: Kysely<Database>): StoreSession['consents'] {
  return {
    async append(e) {
      await db
        .insertInto('consent_event')
        .values({
          id: e.id,
          patient_id: e.patientId,
          channel: e.channel,
          purpose: e.purpose,
          status: e.status,
          source: e.source,
          wording_shown: e.evidence.wordingShown ?? null,
          captured_by: e.evidence.capturedBy ?? null,
          captured_at: e.evidence.capturedAt ?? null,
          recorded_by_type: e.recordedBy.type,
          recorded_by_id: e.recordedBy.id,
          inbound_message_id: e.inboundMessageId,
        })
        .execute();
    },
    async ledger(patientId) {
      const rows = await db
        .selectFrom('consent_event')
        .selectAll()
        .where('patient_id', '=', patientId)
        .orderBy('seq')
        .execute();
      return rows.map(toRecord);
    },
    async lockPatient(patientId) {
      await db.selectFrom('patient').select('id').where('id', '=', patientId).forNoKeyUpdate().execute();
    },
    async lockPatientsOfMessages(messageIds) {
      if (messageIds.length === 0) return;
      await db
        .selectFrom('patient')
        .select('id')
        .where('id', 'in', db.selectFrom('message').select('patient_id').where('id', 'in', [...messageIds]))
        .orderBy('id')
        .forNoKeyUpdate()
        .execute();
    },
    async ledgers(patientIds) {
      const byPatient = new Map<PatientId, ConsentEventRecord[]>(patientIds.map((id) => [id, []]));
      if (patientIds.length === 0) return byPatient;
      const rows = await db.selectFrom('consent_event').selectAll().where('patient_id', 'in', [...patientIds]).orderBy('seq').execute();
      for (const r of rows) byPatient.get(r.patient_id as PatientId)?.push(toRecord(r));
      return byPatient;
    },
  };
}
