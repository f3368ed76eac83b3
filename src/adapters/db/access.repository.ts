import { sql, type ExpressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import { actorOf, type Actor, type PrincipalKind, type VisibilityFilter } from '../../core/access/actor.ts';
import type { PatientId, PrincipalId, WardId } from '../../core/ids.ts';
import type { Database } from './schema.ts';

interface ActorRow {
  id: string;
  kind: PrincipalKind;
  permission_sets: string[];
  ward_ids: string[];
  sets: { permissions: string[]; orgWide: boolean }[];
  patient_ids: string[];
  breakglass_ids: string[];
}

/**
 * Resolves a principal's effective access in one query: its sets' permissions and organisation-wide grant, its
 * wards, the patients of its care teams and its unexpired shares, and its open break-glass accesses. Called on
 * every authenticated request (the token cache holds the result a few seconds), so a change to any of these takes
 * effect at the next request.
 * @param db - the database or a transaction
 * @param principalId - whose access
 * @param now - the clock's now (for grant expiry)
 * @param scopes - the token's scopes, or null
 * @returns the actor, or null when no principal has this id (disabled principals are the caller's concern)
 */
export async function loadActor(db: Kysely<Database>, principalId: PrincipalId, now: Date, scopes: readonly string[] | null): Promise<Actor | null> {
  const { rows } = await sql<ActorRow>`
    SELECT p.id, p.kind, p.permission_sets, p.ward_ids,
      COALESCE((SELECT json_agg(json_build_object('permissions', s.permissions, 'orgWide', s.org_wide))
                FROM permission_set s WHERE s.name = ANY (p.permission_sets)), '[]'::json) AS sets,
      ARRAY(SELECT ctp.patient_id FROM care_team_member m
              JOIN care_team_patient ctp ON ctp.care_team_id = m.care_team_id
             WHERE m.principal_id = p.id
            UNION
            SELECT g.patient_id FROM patient_grant g
             WHERE g.principal_id = p.id AND g.kind = 'share' AND g.revoked_at IS NULL
               AND (g.expires_at IS NULL OR g.expires_at > ${now})) AS patient_ids,
      ARRAY(SELECT g.patient_id FROM patient_grant g
             WHERE g.principal_id = p.id AND g.kind = 'breakglass' AND g.revoked_at IS NULL
               AND g.expires_at > ${now}) AS breakglass_ids
    FROM principal p WHERE p.id = ${principalId}`.execute(db);
  const r = rows[0];
  if (r === undefined) return null;
  return actorOf(
    { id: r.id as PrincipalId, kind: r.kind, permissionSets: r.permission_sets },
    r.sets,
    { wardIds: r.ward_ids as WardId[], patientIds: r.patient_ids as PatientId[], breakGlassPatientIds: r.breakglass_ids as PatientId[] },
    scopes,
  );
}

/**
 * The SQL form of record-level sharing for a query on one table with `ward_id` and `patient_id` columns: rows of the actor's
 * wards or of its individually granted patients. Fit for small row sets (one patient's messages, the review queue);
 * a newest-first list over whole wards runs one branch per ward instead (`messages.list`).
 * @param visibility - from `visibilityFilter(actor)`; not null (null means no filter at all)
 */
export function visibleTo(visibility: VisibilityFilter) {
  return <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>): Expression<SqlBool> => {
    const parts: Expression<SqlBool>[] = [];
    if (visibility.wardIds.length > 0) parts.push(sql<SqlBool>`ward_id = ANY (${[...visibility.wardIds]}::uuid[])`);
    if (visibility.patientIds.length > 0) parts.push(sql<SqlBool>`patient_id = ANY (${[...visibility.patientIds]}::uuid[])`);
    return parts.length === 0 ? sql<SqlBool>`false` : eb.or(parts);
  };
}
