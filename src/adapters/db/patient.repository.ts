import { sql, type Kysely, type Selectable } from 'kysely';
import type { Channel } from '../../core/messaging/channel.ts';
import { phi, reveal } from '../../core/phi/phi.ts';
import type { E164, PatientId, WardId } from '../../core/ids.ts';
import type { ContactPointKind, PatientRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { ContactPointState } from '../../core/messaging/carrier-errors.ts';
import { consentEventFromJson } from './consent.repository.ts';
import { phiPreferenceOf } from './phi-preference.repository.ts';
import type { Database, PatientTable } from './schema.ts';

function toRecord(row: Selectable<PatientTable>, cipher: FieldCipher): PatientRecord {
  const decrypt = (v: string): string => reveal(cipher.decrypt(v));
  return {
    id: row.id as PatientId,
    wardId: row.ward_id as WardId | null,
    givenName: cipher.decrypt(row.given_name_enc),
    familyName: cipher.decrypt(row.family_name_enc),
    birthDate: cipher.decrypt(row.birth_date_enc),
    phone: phi(decrypt(row.phone_enc) as E164),
    whatsapp: row.whatsapp_enc === null ? null : phi(decrypt(row.whatsapp_enc) as E164),
    externalIds:
      row.external_ids_enc === null ? null : phi(JSON.parse(decrypt(row.external_ids_enc)) as Record<string, string>),
    language: row.language,
    timezone: row.timezone,
    createdAt: row.created_at,
  };
}

/** Patients, PHI encrypted per field, found by phone through blind indexes. */
export function createPatientRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['patients'] {
  return {
    async insert(p) {
      await db
        .insertInto('patient')
        .values({
          id: p.id,
          ward_id: p.wardId,
          given_name_enc: cipher.encrypt(p.givenName),
          family_name_enc: cipher.encrypt(p.familyName),
          birth_date_enc: cipher.encrypt(p.birthDate),
          phone_enc: cipher.encrypt(p.phone),
          phone_index: cipher.blindIndex(p.phone),
          whatsapp_enc: p.whatsapp === null ? null : cipher.encrypt(p.whatsapp),
          whatsapp_index: p.whatsapp === null ? null : cipher.blindIndex(p.whatsapp),
          external_ids_enc:
            p.externalIds === null ? null : cipher.encrypt(phi(JSON.stringify(reveal(p.externalIds)))),
          language: p.language,
          timezone: p.timezone,
          created_by: p.createdBy,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('patient').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toRecord(row, cipher);
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('patient').selectAll().where('id', 'in', [...ids]).execute();
      return rows.map((r) => toRecord(r, cipher));
    },
    async getSendState(id) {
      const row = await db
        .selectFrom('patient as p')
        .select(['p.id', 'p.ward_id', 'p.phone_index', 'p.whatsapp_index', 'p.language', 'p.timezone'])
        .select(['p.given_name_enc', 'p.family_name_enc', 'p.birth_date_enc', 'p.external_ids_enc'])
        .select(
          sql<Record<string, unknown>[]>`coalesce((SELECT json_agg(c ORDER BY c.seq) FROM consent_event c WHERE c.patient_id = p.id), '[]'::json)`.as(
            'ledger',
          ),
        )
        .select(
          sql<Record<string, unknown>[]>`coalesce((SELECT json_agg(f ORDER BY f.seq) FROM phi_channel_preference f WHERE f.patient_id = p.id), '[]'::json)`.as(
            'preferences',
          ),
        )
        .select(
          sql<{ kind: ContactPointKind; state: ContactPointState; reason: string; changed_at: string }[]>`coalesce((SELECT json_agg(s) FROM contact_point_state s WHERE s.patient_id = p.id), '[]'::json)`.as(
            'contact_points',
          ),
        )
        .select(
          sql<ContactPointKind[]>`coalesce((SELECT json_agg(DISTINCT x.kind) FROM contact_point_suspension x WHERE x.patient_id = p.id AND x.lifted_at IS NULL AND x.blocks_sending), '[]'::json)`.as(
            'suspended_kinds',
          ),
        )
        .where('p.id', '=', id)
        .executeTakeFirst();
      if (row === undefined) return null;
      const decrypt = (v: string): string => reveal(cipher.decrypt(v));
      return {
        patient: {
          id: row.id as PatientId,
          wardId: row.ward_id as WardId | null,
          hasWhatsapp: row.whatsapp_index !== null,
          language: row.language,
          timezone: row.timezone,
          contactIndex: { phone: row.phone_index, whatsapp: row.whatsapp_index },
          identity: phi({
            givenName: decrypt(row.given_name_enc),
            familyName: decrypt(row.family_name_enc),
            birthDate: decrypt(row.birth_date_enc),
            externalIds: row.external_ids_enc === null ? {} : (JSON.parse(decrypt(row.external_ids_enc)) as Record<string, string>),
          }),
        },
        ledger: row.ledger.map(consentEventFromJson),
        phiPreferences: row.preferences.map(phiPreferenceOf),
        contactPoints: row.contact_points.map((c) => ({ kind: c.kind, state: c.state, reason: c.reason, changedAt: new Date(c.changed_at) })),
        suspendedKinds: row.suspended_kinds,
      };
    },
    async findByContact(channel: Channel, number) {
      const index = cipher.blindIndex(number);
      const rows = await db
        .selectFrom('patient')
        .selectAll()
        .where(channel === 'whatsapp' ? 'whatsapp_index' : 'phone_index', '=', index)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => toRecord(r, cipher));
    },
  };
}
