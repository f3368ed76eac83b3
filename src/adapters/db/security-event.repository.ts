import { sql, type Kysely, type Selectable } from 'kysely';
import type { PatientId, PrincipalId } from '../../core/ids.ts';
import type { SecurityEventKind, SecurityEventRecord, StoreSession } from '../../app/ports.ts';
import type { Database, SecurityEventTable } from './schema.ts';

function eventOf(r: Selectable<SecurityEventTable>): SecurityEventRecord {
  return {
    id: r.id,
    kind: r.kind as SecurityEventKind,
    occurredAt: r.occurred_at,
    principalId: r.principal_id as PrincipalId | null,
    patientId: r.patient_id as PatientId | null,
    details: r.details,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by as PrincipalId | null,
    webhook: { state: r.webhook_state, attempts: r.webhook_attempts },
  };
}

/**
 * Security events (issue 5 items 4 and "bad input"): ids and codes only. With the webhook configured, each row is
 * written `pending` in the caller's transaction (a transactional outbox), and the worker in
 * `adapters/dispatch/security-webhook.ts` delivers it.
 * @param db - the database or a transaction
 * @param uuid - event id source
 * @param webhook - whether the security webhook is configured
 */
export function createSecurityEventRepository(db: Kysely<Database>, uuid: () => string, webhook: boolean): StoreSession['securityEvents'] {
  return {
    async record(e) {
      const id = uuid();
      const at = e.occurredAt ?? sql<Date>`now()`;
      await db
        .insertInto('security_event')
        .values({
          id,
          kind: e.kind,
          occurred_at: at,
          principal_id: e.principalId,
          patient_id: e.patientId,
          details: JSON.stringify(e.details),
          webhook_state: webhook ? 'pending' : 'none',
          webhook_next_at: webhook ? at : null,
        })
        .execute();
      return id;
    },
    async get(id) {
      const r = await db.selectFrom('security_event').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? null : eventOf(r);
    },
    async list(filter) {
      let q = db.selectFrom('security_event').selectAll();
      if (filter.acknowledged !== undefined) q = q.where('acknowledged_at', filter.acknowledged ? 'is not' : 'is', null);
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id').limit(filter.limit).execute();
      return rows.map(eventOf);
    },
    async acknowledge(id, by, at) {
      const r = await db.updateTable('security_event').set({ acknowledged_at: at, acknowledged_by: by }).where('id', '=', id).where('acknowledged_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async claimWebhooks(now, leaseUntil, limit) {
      const rows = await db
        .updateTable('security_event')
        .set({ webhook_next_at: leaseUntil })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('security_event')
            .select('id')
            .where('webhook_state', '=', 'pending')
            .where('webhook_next_at', '<=', now)
            .orderBy('webhook_next_at')
            .limit(limit)
            .modifyEnd(sql`FOR UPDATE SKIP LOCKED`),
        )
        .returningAll()
        .execute();
      return rows.map(eventOf);
    },
    async webhookAttempted(id, result) {
      await db
        .updateTable('security_event')
        .set((eb) => ({
          webhook_state: result.state,
          webhook_attempts: eb('webhook_attempts', '+', 1),
          webhook_next_at: result.state === 'pending' ? result.nextAt : null,
        }))
        .where('id', '=', id)
        .execute();
    },
  };
}
