import { sql, type Kysely, type Selectable } from 'kysely';
import type { PatientId, PrincipalId } from '../../core/ids.ts';
import type { GrantRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Database, PatientGrantTable } from './schema.ts';

function grantOf(r: Selectable<PatientGrantTable>, cipher: FieldCipher | null): GrantRecord {
  return {
    id: r.id,
    kind: r.kind,
    patientId: r.patient_id as PatientId,
    principalId: r.principal_id as PrincipalId,
    reason: cipher === null || r.reason_enc === null ? null : cipher.decrypt(r.reason_enc),
    grantedBy: r.granted_by as PrincipalId,
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by as PrincipalId | null,
  };
}

/**
 * Care teams and patient grants: the sharing rules beyond wards. `loadActor` (access.repository.ts) reads the same
 * tables on every request, so a change here applies at the caller's next request.
 * @param db - the database or a transaction
 * @param cipher - encrypts grant reasons (they may name clinical facts)
 */
export function createSharingRepositories(db: Kysely<Database>, cipher: FieldCipher): Pick<StoreSession, 'careTeams' | 'grants'> {
  return {
    careTeams: {
      async insert(team) {
        const r = await db
          .insertInto('care_team')
          .values({ id: team.id, name: team.name, created_by: team.createdBy })
          .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
          .executeTakeFirst();
        return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
      },
      async exists(id) {
        return (await db.selectFrom('care_team').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
      },
      async list() {
        const rows = await db
          .selectFrom('care_team as t')
          .select((eb) => [
            't.id',
            't.name',
            't.created_at',
            eb.selectFrom('care_team_member as m').select((e) => e.fn.countAll<string>().as('n')).whereRef('m.care_team_id', '=', 't.id').as('members'),
            eb.selectFrom('care_team_patient as p').select((e) => e.fn.countAll<string>().as('n')).whereRef('p.care_team_id', '=', 't.id').as('patients'),
          ])
          .orderBy('t.name')
          .execute();
        return rows.map((r) => ({ id: r.id, name: r.name, members: Number(r.members ?? 0), patients: Number(r.patients ?? 0), createdAt: r.created_at }));
      },
      async addMember(teamId, principalId) {
        const r = await db.insertInto('care_team_member').values({ care_team_id: teamId, principal_id: principalId }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
      },
      async removeMember(teamId, principalId) {
        const r = await db.deleteFrom('care_team_member').where('care_team_id', '=', teamId).where('principal_id', '=', principalId).executeTakeFirst();
        return r.numDeletedRows > 0n;
      },
      async addPatient(teamId, patientId) {
        const r = await db.insertInto('care_team_patient').values({ care_team_id: teamId, patient_id: patientId }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
      },
      async removePatient(teamId, patientId) {
        const r = await db.deleteFrom('care_team_patient').where('care_team_id', '=', teamId).where('patient_id', '=', patientId).executeTakeFirst();
        return r.numDeletedRows > 0n;
      },
    },
    grants: {
      async insert(g) {
        await db
          .insertInto('patient_grant')
          .values({
            id: g.id,
            kind: g.kind,
            patient_id: g.patientId,
            principal_id: g.principalId,
            reason_enc: g.reason === null ? null : cipher.encrypt(g.reason),
            granted_by: g.grantedBy,
            granted_at: g.grantedAt,
            expires_at: g.expiresAt,
          })
          .execute();
      },
      async get(id) {
        const r = await db.selectFrom('patient_grant').selectAll().where('id', '=', id).executeTakeFirst();
        return r === undefined ? null : grantOf(r, null);
      },
      async open(kind, principalId, patientId, now) {
        const r = await db
          .selectFrom('patient_grant')
          .selectAll()
          .where('kind', '=', kind)
          .where('principal_id', '=', principalId)
          .where('patient_id', '=', patientId)
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .orderBy('granted_at', 'desc')
          .executeTakeFirst();
        return r === undefined ? null : grantOf(r, null);
      },
      async list(filter, options) {
        let q = db.selectFrom('patient_grant').selectAll().where('kind', '=', filter.kind);
        if (filter.patientId !== undefined) q = q.where('patient_id', '=', filter.patientId);
        const { openAt, since } = filter;
        if (openAt !== undefined || since !== undefined) {
          q = q.where((eb) =>
            eb.or([
              ...(since === undefined ? [] : [eb('granted_at', '>=', since)]),
              ...(openAt === undefined ? [] : [eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', openAt)])])]),
            ]),
          );
        }
        const rows = await q.orderBy('granted_at', 'desc').orderBy('id').limit(filter.limit).execute();
        return rows.map((r) => grantOf(r, options.reasons ? cipher : null));
      },
      async revoke(id, by, at) {
        const r = await db.updateTable('patient_grant').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        return r.numUpdatedRows > 0n;
      },
    },
  };
}
