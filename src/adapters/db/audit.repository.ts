import type { Kysely } from 'kysely';
import type { StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/** Appends audit events; the table's trigger refuses UPDATE and DELETE. Ids and codes only, no PHI. */
export function createAuditRepository(db: Kysely<Database>, uuid: () => string): StoreSession['audit'] {
  return {
    async append(e) {
      await db
        .insertInto('audit_event')
        .values({
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
          details: JSON.stringify(e.details ?? {}),
        })
        .execute();
    },
  };
}
