import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditCheckpoint } from '../../app/ports.ts';
import { auditRow } from './audit.repository.ts';
import type { Database } from './schema.ts';

/** Retention and checkpoint handovers are operations run from the command line by the system's operator. */
const CLI_SYSTEM = { actor: { type: 'system', id: 'wardline' }, outcome: 'success', targetType: 'system', targetId: null, patientId: null, requestId: null, sourceAddress: 'cli' } as const;

/**
 * Retention (issue 6 item 6; docs/audit.md "Retention"). Records are kept `retentionYears` (six by default, HIPAA
 * 164.316(b)(2)(i)); a purge then removes messages older than the cutoff, and the oldest prefix of the audit chain —
 * but only up to a signed checkpoint that has been exported (handed to a third party), never past one that has not.
 */

/** What a purge at this cutoff would remove, and why not more. */
export interface RetentionPlan {
  readonly cutoff: Date;
  readonly messages: number;
  /** The chain prefix to remove: up to and including this checkpoint; null when nothing may go. */
  readonly audit: { readonly throughPosition: number; readonly hash: string; readonly eventTime: Date; readonly events: number } | null;
  /** The newest checkpoint handed over (0 when none has been). */
  readonly exportedThrough: number;
  /** Where the retained chain starts now (0: at the beginning). */
  readonly anchoredAt: number;
  /** Audit events older than the cutoff that must stay because no exported checkpoint covers them. */
  readonly heldForExport: number;
}

/** @param now - the clock's now @param years - the retention period @returns the instant before which records may go */
export function retentionCutoff(now: Date, years: number): Date {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  return cutoff;
}

/** @param db - the database @returns the newest anchor (where the retained chain starts), or null */
export async function retentionAnchor(db: Kysely<Database> | Transaction<Database>): Promise<{ position: number; hash: string; eventTime: Date } | null> {
  const a = await db.selectFrom('audit_retention_anchor').select(['position', 'hash', 'event_time']).orderBy('position', 'desc').limit(1).executeTakeFirst();
  return a === undefined ? null : { position: Number(a.position), hash: a.hash, eventTime: a.event_time };
}

/**
 * @param db - the database
 * @param cutoff - records older than this may go
 * @returns the plan; changes nothing
 */
export async function planRetention(db: Kysely<Database> | Transaction<Database>, cutoff: Date): Promise<RetentionPlan> {
  const anchor = await retentionAnchor(db);
  const anchoredAt = anchor?.position ?? 0;
  const exported = await db.selectFrom('audit_checkpoint_export').select((eb) => eb.fn.max('through_position').as('through')).executeTakeFirst();
  const exportedThrough = exported?.through === null || exported?.through === undefined ? 0 : Number(exported.through);
  // The first sealed event at or after the cutoff: the prefix to remove ends before it.
  const { rows: firstKept } = await sql<{ position: string | null }>`SELECT min(position) AS position FROM audit_seal WHERE position > ${anchoredAt} AND event_time >= ${cutoff}`.execute(db);
  const limit = firstKept[0]?.position === null || firstKept[0]?.position === undefined ? Number.MAX_SAFE_INTEGER : Number(firstKept[0].position) - 1;
  const through = await db
    .selectFrom('audit_checkpoint as c')
    .innerJoin('audit_seal as s', 's.position', 'c.position')
    .select(['c.position', 'c.hash', 's.event_time'])
    .where('c.position', '>', String(anchoredAt))
    .where('c.position', '<=', String(Math.min(limit, exportedThrough)))
    .orderBy('c.position', 'desc')
    .limit(1)
    .executeTakeFirst();
  const { rows: old } = await sql<{ n: string | number }>`SELECT count(*) AS n FROM audit_seal WHERE position > ${anchoredAt} AND position <= ${limit}`.execute(db);
  const { rows: messages } = await sql<{ n: string | number }>`SELECT count(*) AS n FROM message WHERE created_at < ${cutoff}`.execute(db);
  const events = through === undefined ? 0 : Number(through.position) - anchoredAt;
  return {
    cutoff,
    messages: Number(messages[0]?.n ?? 0),
    audit: through === undefined ? null : { throughPosition: Number(through.position), hash: through.hash, eventTime: through.event_time, events },
    exportedThrough,
    anchoredAt,
    heldForExport: Number(old[0]?.n ?? 0) - events,
  };
}

/**
 * Removes what the plan says, in one transaction: messages older than the cutoff with their status history, outbox
 * rows and secure content; the audit events and seals of the chain prefix; and records the anchor the chain now
 * starts from, and an `audit.retention-purged` event. Needs DELETE on the audit tables: run it with the database
 * owner's role, not the application's.
 * @param db - the database
 * @param cutoff - records older than this go
 * @param by - who runs it (recorded)
 * @returns the plan carried out
 */
export async function purgeRetention(db: Kysely<Database>, cutoff: Date, by: { readonly uuid: () => string }): Promise<RetentionPlan> {
  return db.transaction().execute(async (trx) => {
    // One purge at a time, and not while the sealer extends the chain.
    await sql`SELECT pg_advisory_xact_lock(hashtext('wardline.audit-sealer:' || current_schema()))`.execute(trx);
    const plan = await planRetention(trx, cutoff);
    await sql`SET LOCAL wardline.retention_purge = 'on'`.execute(trx);
    if (plan.messages > 0) {
      const old = sql`SELECT id FROM message WHERE created_at < ${cutoff}`;
      await sql`DELETE FROM secure_link WHERE message_id IN (${old}) OR notice_message_id IN (${old})`.execute(trx);
      await sql`DELETE FROM secure_message WHERE message_id IN (${old})`.execute(trx);
      await sql`DELETE FROM message_status_event WHERE message_id IN (${old})`.execute(trx);
      await sql`DELETE FROM outbox WHERE message_id IN (${old})`.execute(trx);
      await sql`DELETE FROM message WHERE created_at < ${cutoff}`.execute(trx);
    }
    if (plan.audit !== null) {
      const prefix = sql`SELECT event_pk FROM audit_seal WHERE position > ${plan.anchoredAt} AND position <= ${plan.audit.throughPosition}`;
      await sql`DELETE FROM audit_event WHERE id IN (${prefix})`.execute(trx);
      await sql`DELETE FROM audit_seal WHERE position > ${plan.anchoredAt} AND position <= ${plan.audit.throughPosition}`.execute(trx);
      await trx
        .insertInto('audit_retention_anchor')
        .values({ position: String(plan.audit.throughPosition), hash: plan.audit.hash, event_time: plan.audit.eventTime, cutoff, events_purged: String(plan.audit.events), messages_purged: String(plan.messages) })
        .execute();
    }
    const details = { cutoff: cutoff.toISOString(), messages: plan.messages, events: plan.audit?.events ?? 0, throughPosition: plan.audit?.throughPosition ?? null, heldForExport: plan.heldForExport };
    await trx.insertInto('audit_event').values(auditRow({ ...CLI_SYSTEM, action: 'audit.retention-purged', reason: 'RETENTION_PERIOD_ENDED', details }, by.uuid)).execute();
    return plan;
  });
}

/**
 * The signed checkpoints newer than `after`, for a third party to hold; records the handover, which is what lets a
 * later purge remove the chain up to them.
 * @param db - the database
 * @param by - who exported them (recorded on the handover and in an `audit.checkpoints-exported` event)
 * @param after - only checkpoints after this position (0: all)
 */
export async function exportCheckpoints(db: Kysely<Database>, by: { readonly actor: string; readonly uuid: () => string }, after = 0): Promise<AuditCheckpoint[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('audit_checkpoint').selectAll().where('position', '>', String(after)).orderBy('position').execute();
    const checkpoints = rows.map((c) => ({ position: Number(c.position), hash: c.hash, keyId: c.key_id, signature: c.signature, signedAt: c.signed_at }));
    const last = checkpoints.at(-1);
    if (last !== undefined) {
      await trx.insertInto('audit_checkpoint_export').values({ through_position: String(last.position), exported_by: by.actor }).execute();
      const details = { from: checkpoints[0]?.position ?? null, through: last.position, count: checkpoints.length, by: by.actor };
      await trx.insertInto('audit_event').values(auditRow({ ...CLI_SYSTEM, action: 'audit.checkpoints-exported', reason: null, details }, by.uuid)).execute();
    }
    return checkpoints;
  });
}
