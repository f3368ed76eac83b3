import type { Kysely } from 'kysely';
import type { AuditEventFilter, AuditEventRecord, StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/**
 * Reads the audit trail for `GET /v1/audit/events` (issue 6 item 1), newest first, keyset-paginated by the event's
 * primary key. Record-level sharing is applied here, in SQL, like every other list: a caller without the
 * organisation-wide grant gets only events of patients in its wards or granted to it, and never an event without
 * a patient (sign-ins, permission changes, refused webhooks say nothing about its own patients).
 * @param db - the database (or a transaction)
 */
export function createAuditQueryRepository(db: Kysely<Database>): StoreSession['auditEvents'] {
  return {
    async list(f: AuditEventFilter): Promise<AuditEventRecord[]> {
      const v = f.visibility;
      if (v !== null && v.wardIds.length === 0 && v.patientIds.length === 0) return [];
      let q = db
        .selectFrom('audit_event as e')
        .leftJoin('audit_seal as s', 's.event_pk', 'e.id')
        .select([
          'e.id',
          'e.event_id',
          'e.occurred_at',
          'e.actor_type',
          'e.actor_id',
          'e.action',
          'e.outcome',
          'e.target_type',
          'e.target_id',
          'e.patient_id',
          'e.reason',
          'e.request_id',
          'e.source_address',
          'e.on_behalf_of',
          'e.details',
          's.position',
        ]);
      if (f.patientId !== undefined) q = q.where('e.patient_id', '=', f.patientId);
      if (f.actorId !== undefined) q = q.where('e.actor_id', '=', f.actorId);
      if (f.action !== undefined) q = q.where('e.action', '=', f.action);
      if (f.from !== undefined) q = q.where('e.occurred_at', '>=', f.from);
      if (f.to !== undefined) q = q.where('e.occurred_at', '<', f.to);
      if (f.before !== undefined) q = q.where('e.id', '<', f.before);
      if (v !== null) {
        const wardIds = [...v.wardIds];
        const patientIds = [...v.patientIds];
        q = q.where((eb) =>
          eb.or([
            ...(wardIds.length === 0 ? [] : [eb('e.patient_id', 'in', eb.selectFrom('patient').select('patient.id').where('patient.ward_id', 'in', wardIds))]),
            ...(patientIds.length === 0 ? [] : [eb('e.patient_id', 'in', patientIds)]),
          ]),
        );
      }
      const rows = await q.orderBy('e.id', 'desc').limit(f.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        occurredAt: r.occurred_at,
        actor: { type: r.actor_type, id: r.actor_id },
        action: r.action,
        outcome: r.outcome,
        targetType: r.target_type,
        targetId: r.target_id,
        patientId: r.patient_id,
        reason: r.reason,
        requestId: r.request_id,
        sourceAddress: r.source_address,
        onBehalfOf: r.on_behalf_of,
        details: r.details,
        chainPosition: r.position === null ? null : Number(r.position),
      }));
    },
  };
}
