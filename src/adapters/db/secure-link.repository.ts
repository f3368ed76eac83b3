import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { MessageId, PatientId } from '../../core/ids.ts';
import { phi, reveal } from '../../core/phi/phi.ts';
import type { SecureLinkRecord, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Database, SecureLinkTable } from './schema.ts';

type Row = Selectable<SecureLinkTable> & { patient_id: string; language: string | null };

function toRecord(r: Row): SecureLinkRecord {
  return {
    id: r.id,
    messageId: r.message_id as MessageId,
    noticeMessageId: r.notice_message_id as MessageId,
    patientId: r.patient_id as PatientId,
    language: r.language,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason,
    lockedAt: r.locked_at,
    failedAttempts: r.failed_attempts,
    code: r.otp_hash === null || r.otp_expires_at === null ? null : { digest: r.otp_hash, expiresAt: r.otp_expires_at },
    codesSent: r.otp_sends,
    lastCodeSentAt: r.otp_sent_at,
    session: r.session_hash === null || r.session_expires_at === null ? null : { digest: r.session_hash, expiresAt: r.session_expires_at },
    firstViewedAt: r.first_viewed_at,
    lastViewedAt: r.last_viewed_at,
    viewCount: r.view_count,
    createdAt: r.created_at,
    createdBy: { type: r.created_by_type, id: r.created_by_id },
  };
}

function selectLinks(db: Kysely<Database>) {
  return db
    .selectFrom('secure_link as l')
    .innerJoin('secure_message as s', 's.message_id', 'l.message_id')
    .innerJoin('patient as p', 'p.id', 's.patient_id')
    .selectAll('l')
    .select(['s.patient_id', 'p.language']);
}

/**
 * @param input - a link to a message's secure content, carried by the notice `noticeMessageId`
 * @returns its row (the token's hash only)
 */
export function secureLinkRow(input: Parameters<StoreSession['secureLinks']['addLink']>[0]): Insertable<SecureLinkTable> {
  return {
    id: input.link.id,
    message_id: input.messageId,
    notice_message_id: input.noticeMessageId,
    token_hash: input.link.tokenHash,
    expires_at: input.link.expiresAt,
    created_at: input.at,
    created_by_type: input.createdBy.type,
    created_by_id: input.createdBy.id,
  };
}

/**
 * Secure content (encrypted with the field cipher; written with its notice by `messages.queue`) and its links. Tokens are stored as SHA-256 hashes (made by the
 * app); one-time codes as keyed digests (the blind-index key), so neither can be recovered from the database alone.
 * @param db - the database or a transaction
 * @param cipher - field encryption and the keyed digest
 */
export function createSecureLinkRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['secureLinks'] {
  const insertLink = async (input: Parameters<StoreSession['secureLinks']['addLink']>[0]): Promise<void> => {
    await db.insertInto('secure_link').values(secureLinkRow(input)).execute();
  };
  return {
    addLink: insertLink,
    async findByTokenHash(tokenHash, options) {
      const q = selectLinks(db).where('l.token_hash', '=', tokenHash);
      const row = await (options?.forUpdate === true ? q.forUpdate('l') : q).executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    },
    async forMessage(messageId) {
      const rows = await selectLinks(db)
        .where((eb) => eb.or([eb('l.message_id', '=', messageId), eb('l.notice_message_id', '=', messageId)]))
        .orderBy('l.seq', 'desc')
        .execute();
      return rows.map(toRecord);
    },
    async update(id, c) {
      const set = {
        ...(c.failedAttempts === undefined ? {} : { failed_attempts: c.failedAttempts }),
        ...(c.lockedAt === undefined ? {} : { locked_at: c.lockedAt }),
        ...(c.code === undefined ? {} : { otp_hash: c.code?.digest ?? null, otp_expires_at: c.code?.expiresAt ?? null }),
        ...(c.codesSent === undefined ? {} : { otp_sends: c.codesSent }),
        ...(c.lastCodeSentAt === undefined ? {} : { otp_sent_at: c.lastCodeSentAt }),
        ...(c.session === undefined ? {} : { session_hash: c.session?.digest ?? null, session_expires_at: c.session?.expiresAt ?? null }),
      };
      if (Object.keys(set).length === 0) return;
      await db.updateTable('secure_link').set(set).where('id', '=', id).execute();
    },
    async recordView(id, at) {
      await db
        .updateTable('secure_link')
        .set((eb) => ({ first_viewed_at: eb.fn.coalesce('first_viewed_at', sql<Date>`${at}::timestamptz`), last_viewed_at: at, view_count: eb('view_count', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },
    async content(messageId) {
      const row = await db.selectFrom('secure_message').select('content_enc').where('message_id', '=', messageId).executeTakeFirst();
      return row === undefined ? null : cipher.decrypt(row.content_enc);
    },
    async revoke(target, r) {
      let q = db
        .updateTable('secure_link as l')
        .from('secure_message as s')
        .set({
          revoked_at: r.at,
          revoked_by_type: r.by.type,
          revoked_by_id: r.by.id,
          revoked_reason: r.reason,
          otp_hash: null,
          otp_expires_at: null,
          session_hash: null,
          session_expires_at: null,
        })
        .whereRef('s.message_id', '=', 'l.message_id')
        .where('l.revoked_at', 'is', null);
      if ('patientId' in target) q = q.where('s.patient_id', '=', target.patientId);
      else {
        if (target.messageIds.length === 0) return [];
        const ids = [...target.messageIds];
        q = q.where((eb) => eb.or([eb('l.message_id', 'in', ids), eb('l.notice_message_id', 'in', ids)]));
      }
      const rows = await q.returning(['l.id', 'l.message_id', 's.patient_id']).execute();
      return rows.map((row) => ({ id: row.id, messageId: row.message_id as MessageId, patientId: row.patient_id as PatientId }));
    },
    digestCode(linkId, code) {
      return cipher.blindIndex(phi(`secure-link-code:${linkId}:${reveal(code)}`));
    },
  };
}

function subjectKey(cipher: FieldCipher, subject: Parameters<StoreSession['throttles']['get']>[0]): string {
  if (subject.kind === 'agent-sends') return `agent-sends:${subject.principalId}`;
  return subject.kind === 'address' ? `address:${cipher.blindIndex(phi(`client-address:${reveal(subject.address)}`))}` : `link:${subject.linkId}`;
}

/** Throttle rows older than this are deleted on the next hit. */
const PRUNE_AFTER_MS = 24 * 3_600_000;

/**
 * Throttle counters. A client address is an identifier (164.514(b)(2)(i)(O)): it is keyed by its blind index, never
 * stored. One statement counts a hit, so concurrent requests never lose one; long-expired rows are pruned first.
 * @param db - the database or a transaction
 * @param cipher - the keyed digest
 */
export function createThrottleRepository(db: Kysely<Database>, cipher: FieldCipher): StoreSession['throttles'] {
  return {
    async get(subject) {
      const row = await db.selectFrom('attempt_throttle').select(['window_started_at', 'count']).where('subject', '=', subjectKey(cipher, subject)).executeTakeFirst();
      return row === undefined ? null : { startedAt: row.window_started_at, count: row.count };
    },
    async hit(subject, at, windowMs) {
      // Rows whose window ended long ago count for nothing: pruned as we go (an index range, usually empty).
      await db.deleteFrom('attempt_throttle').where('window_started_at', '<', new Date(at.getTime() - Math.max(windowMs, PRUNE_AFTER_MS))).execute();
      const expired = sql<boolean>`attempt_throttle.window_started_at <= ${new Date(at.getTime() - windowMs)}::timestamptz`;
      const row = await db
        .insertInto('attempt_throttle')
        .values({ subject: subjectKey(cipher, subject), window_started_at: at, count: 1 })
        .onConflict((oc) =>
          oc.column('subject').doUpdateSet({
            window_started_at: sql`CASE WHEN ${expired} THEN excluded.window_started_at ELSE attempt_throttle.window_started_at END`,
            count: sql`CASE WHEN ${expired} THEN 1 ELSE attempt_throttle.count + 1 END`,
          }),
        )
        .returning(['window_started_at', 'count'])
        .executeTakeFirstOrThrow();
      return { startedAt: row.window_started_at, count: row.count };
    },
  };
}
