import type { Kysely, Selectable } from 'kysely';
import type { PatientId } from '../../core/ids.ts';
import type { Channel } from '../../core/messaging/channel.ts';
import type { PhiPreferenceRecord, PhiPreferenceSource, StoreSession } from '../../app/ports.ts';
import type { Database, PhiChannelPreferenceTable } from './schema.ts';

/** @param r - a row (or its JSON, dates as strings) @returns the record */
export function phiPreferenceOf(r: Selectable<PhiChannelPreferenceTable> | Record<string, unknown>): PhiPreferenceRecord {
  const row = r as Selectable<PhiChannelPreferenceTable>;
  return {
    id: row.id,
    patientId: row.patient_id as PatientId,
    channel: row.channel as Channel,
    status: row.status,
    contactPointIndex: row.contact_point_index,
    warningText: row.warning_text,
    source: row.source as PhiPreferenceSource,
    capturedBy: row.captured_by,
    capturedAt: new Date(row.captured_at),
    recordedBy: { type: row.recorded_by_type, id: row.recorded_by_id },
    recordedAt: new Date(row.recorded_at),
  };
}

/** The append-only ledger of patients' acceptances of unencrypted PHI per channel (trigger refuses changes). */
export function createPhiPreferenceRepository(db: Kysely<Database>): StoreSession['phiPreferences'] {
  return {
    async append(e) {
      await db
        .insertInto('phi_channel_preference')
        .values({
          id: e.id,
          patient_id: e.patientId,
          channel: e.channel,
          status: e.status,
          contact_point_index: e.contactPointIndex,
          warning_text: e.warningText,
          source: e.source,
          captured_by: e.capturedBy,
          captured_at: e.capturedAt,
          recorded_by_type: e.recordedBy.type,
          recorded_by_id: e.recordedBy.id,
        })
        .execute();
    },
    async history(patientId) {
      const rows = await db.selectFrom('phi_channel_preference').selectAll().where('patient_id', '=', patientId).orderBy('seq').execute();
      return rows.map(phiPreferenceOf);
    },
  };
}
