import type { Insertable, Kysely } from 'kysely';
import type { AuditEventInput } from '../../core/audit/audit-event.ts';
import type { StoreSession } from '../../app/ports.ts';
import type { AuditEventTable, Database } from './schema.ts';

/**
 * @param e - an audit event
 * @param uuid - event id source
 * @returns its row: ids and codes only, never PHI
 */
export function auditRow(e: AuditEventInput, uuid: () => string): Insertable<AuditEventTable> {
  return {
    event_id: uuid(),
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    action: e.action,
    outcome: e.outcome,
    target_type: e.targetType,
    target_id: e.targetId,
    patient_id: e.patientId,
    reason: e.reason,
    request_id: e.requestId,
    source_address: e.sourceAddress ?? null,
    on_behalf_of: e.onBehalfOf ?? null,
    details: JSON.stringify(e.details ?? {}),
  };
}

/** Appends audit events; the table's trigger refuses UPDATE and DELETE. */
export function createAuditRepository(db: Kysely<Database>, uuid: () => string): StoreSession['audit'] {
  return {
    async append(e) {
      await db.insertInto('audit_event').values(auditRow(e, uuid)).execute();
    },
  };
}
