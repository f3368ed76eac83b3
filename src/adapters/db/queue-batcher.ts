import type { Kysely } from 'kysely';
import type { StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { insertQueued, type QueuedMessage } from './message.repository.ts';
import type { Database } from './schema.ts';

const MAX_BATCH = 100;

/**
 * Group commit for sends outside a transaction: messages queued during the same turn of the event loop are written
 * by one statement, so a busy API pays one round trip per batch instead of one per message. Each caller still gets
 * its own outcome: if the batch statement fails (e.g. two requests raced with one Idempotency-Key), every message is
 * retried on its own and only the failing ones reject.
 * @param db - the database
 * @param cipher - encrypts the bodies
 * @param uuid - audit event ids
 */
export function createQueueBatcher(
  db: Kysely<Database>,
  cipher: FieldCipher,
  uuid: () => string,
): StoreSession['messages']['queue'] {
  const pending: { item: QueuedMessage; resolve: () => void; reject: (error: unknown) => void }[] = [];

  async function flush(): Promise<void> {
    const batch = pending.splice(0, MAX_BATCH);
    if (pending.length > 0) setImmediate(() => void flush());
    try {
      await insertQueued(db, cipher, uuid, batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(batch.map((b) => insertQueued(db, cipher, uuid, [b.item]).then(b.resolve, b.reject)));
    }
  }

  return (message, audits, at) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ item: { message, audits, at }, resolve, reject });
      if (pending.length === 1) setImmediate(() => void flush());
    });
}
