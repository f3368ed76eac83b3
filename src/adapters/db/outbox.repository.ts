import { sql, type Kysely } from 'kysely';
import type { MessageId } from '../../core/ids.ts';
import type { StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/**
 * The transactional outbox. A claim leases rows by moving `available_at` forward, inside
 * `FOR UPDATE SKIP LOCKED`, so several dispatchers never take the same row and a crashed one's rows come
 * back when the lease ends.
 */
export function createOutboxRepository(db: Kysely<Database>): StoreSession['outbox'] {
  return {
    async claim(now, limit, leaseUntil) {
      const rows = await db
        .updateTable('outbox')
        .set({ available_at: leaseUntil, attempts: sql<number>`attempts + 1` })
        .where(
          'id',
          'in',
          db
            .selectFrom('outbox')
            .select('id')
            .where('available_at', '<=', now)
            .orderBy('available_at')
            .orderBy('id')
            .limit(limit)
            .forUpdate()
            .skipLocked(),
        )
        .returning(['id', 'message_id', 'attempts', 'in_doubt_since'])
        .execute();
      return rows
        .map((r) => ({ outboxId: r.id, messageId: r.message_id as MessageId, attempts: r.attempts, inDoubtSince: r.in_doubt_since }))
        .sort((a, b) => a.outboxId - b.outboxId);
    },
    async complete(outboxIds) {
      if (outboxIds.length === 0) return;
      await db.deleteFrom('outbox').where('id', 'in', [...outboxIds]).execute();
    },
    async retry(outboxId, availableAt, errorCode, inDoubtSince) {
      await db
        .updateTable('outbox')
        .set({ available_at: availableAt, last_error: errorCode, in_doubt_since: inDoubtSince })
        .where('id', '=', outboxId)
        .execute();
    },
    async defer(rows) {
      if (rows.length === 0) return;
      const values = rows.map(
        (r) => sql`(${r.outboxId}::bigint, ${r.availableAt}::timestamptz, ${r.inDoubtSince !== undefined}::boolean, ${r.inDoubtSince ?? null}::timestamptz)`,
      );
      await sql`UPDATE outbox o SET available_at = v.at, attempts = greatest(o.attempts - 1, 0),
          in_doubt_since = CASE WHEN v.set_doubt THEN v.doubt ELSE o.in_doubt_since END
        FROM (VALUES ${sql.join(values)}) AS v(id, at, set_doubt, doubt) WHERE o.id = v.id`.execute(db);
    },
    async markInDoubt(outboxIds, since) {
      if (outboxIds.length === 0) return;
      await db
        .updateTable('outbox')
        .set({ in_doubt_since: sql<Date>`coalesce(in_doubt_since, ${since}::timestamptz)` })
        .where('id', 'in', [...outboxIds])
        .execute();
    },
  };
}
