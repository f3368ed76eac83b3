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
        .returning(['id', 'message_id', 'attempts'])
        .execute();
      return rows.map((r) => ({ outboxId: r.id, messageId: r.message_id as MessageId, attempts: r.attempts }));
    },
    async complete(outboxIds) {
      if (outboxIds.length === 0) return;
      await db.deleteFrom('outbox').where('id', 'in', [...outboxIds]).execute();
    },
    async retry(outboxId, availableAt, errorCode) {
      await db
        .updateTable('outbox')
        .set({ available_at: availableAt, last_error: errorCode })
        .where('id', '=', outboxId)
        .execute();
    },
  };
}
