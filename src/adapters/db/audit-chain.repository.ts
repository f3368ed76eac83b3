import { sql, type Insertable, type Kysely } from 'kysely';
import {
  checkpointSignatureValid,
  chainHash,
  GENESIS_HASH,
  walkChain,
  type ChainedEvent,
  type ChainProblem,
  type CheckpointSigner,
} from '../crypto/audit-chain.ts';
import type { AuditCheckpoint, VerificationRunBy } from '../../app/ports.ts';
import { retentionAnchor } from './retention.repository.ts';
import type { AuditCheckpointTable, Database } from './schema.ts';

/**
 * Sealing and verifying the audit trail's hash chain (src/core/audit/chain.ts; docs/decisions/0015-audit-hash-chain.md).
 */

interface EventRow {
  pk: string | number;
  occurred_at: Date;
  event_id: string;
  occurred_at_iso: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  target_type: string;
  target_id: string | null;
  patient_id: string | null;
  reason: string | null;
  request_id: string | null;
  source_address: string | null;
  on_behalf_of: string | null;
  details: unknown;
}

/** The event columns as the chain covers them; the time in UTC with microseconds, whatever the session's zone. */
const EVENT_COLUMNS = sql`e.id AS pk, e.occurred_at, e.event_id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at_iso,
  e.actor_type, e.actor_id, e.action, e.outcome, e.target_type, e.target_id, e.patient_id, e.reason, e.request_id, e.source_address, e.on_behalf_of, e.details`;

function chainedOf(r: EventRow): ChainedEvent {
  return {
    eventId: r.event_id,
    occurredAt: r.occurred_at_iso,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    outcome: r.outcome,
    targetType: r.target_type,
    targetId: r.target_id,
    patientId: r.patient_id,
    reason: r.reason,
    requestId: r.request_id,
    sourceAddress: r.source_address,
    onBehalfOf: r.on_behalf_of,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
  };
}

/** Late commits are looked for this far behind the newest sealed event (transactions are short)… */
const LATE_COMMIT_WINDOW = 10_000;
/** …and an unsealed event behind sealed ones is only suspicious once it is this much older than the chain's head. */
const LATE_COMMIT_MS = 60_000;

export interface SealOptions {
  readonly batch: number;
  /** A checkpoint after this many events since the last one… */
  readonly checkpointEvery: number;
  /** …or when this long has passed since the last one and there are newer seals. */
  readonly checkpointMs: number;
  /**
   * Events this much older than the chain's head (the newest sealed event's time) are not sealed: they can only have
   * been inserted behind the sealer's back, backdated. Measured on the chain's clock, not the wall clock, so a
   * sealer that was stopped for a week seals the week's events when it starts again.
   */
  readonly graceMs: number;
}

/**
 * Seals committed audit events in id order, and signs a checkpoint when one is due. One sealer at a time per
 * schema (a transaction-scoped advisory lock); the others return at once.
 * @param db - the database
 * @param signer - the checkpoint key
 * @param now - the clock's now
 * @param options - batch size, checkpoint rhythm, grace
 * @returns how many events were sealed and whether a checkpoint was signed
 */
export async function sealPending(db: Kysely<Database>, signer: CheckpointSigner, now: Date, options: SealOptions): Promise<{ sealed: number; checkpoint: number | null }> {
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext('wardline.audit-sealer:' || current_schema())) AS ok`.execute(trx);
    if (lock[0]?.ok !== true) return { sealed: 0, checkpoint: null };
    const seal = await trx.selectFrom('audit_seal').select(['position', 'hash', 'event_pk', 'event_time']).orderBy('position', 'desc').limit(1).executeTakeFirst();
    // After a retention purge removed every seal, the chain goes on from its anchor.
    const last = seal ?? (await retentionAnchor(trx));
    let position = last === null ? 0 : Number(last.position);
    let hash = last?.hash ?? GENESIS_HASH;
    const low = seal === undefined ? 0 : Math.max(0, Number(seal.event_pk) - LATE_COMMIT_WINDOW);
    const headTime = seal?.event_time ?? (last !== null && 'eventTime' in last ? last.eventTime : null);
    const oldest = headTime === null ? new Date(0) : new Date(headTime.getTime() - options.graceMs);
    const { rows } = await sql<EventRow>`SELECT ${EVENT_COLUMNS} FROM audit_event e
      WHERE e.id > ${low} AND e.occurred_at >= ${oldest}
        AND NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_pk = e.id)
      ORDER BY e.id LIMIT ${options.batch}`.execute(trx);
    const lastCheckpoint = await trx.selectFrom('audit_checkpoint').select(['position', 'signed_at']).orderBy('position', 'desc').limit(1).executeTakeFirst();
    let checkpointed = lastCheckpoint === undefined ? 0 : Number(lastCheckpoint.position);
    const checkpoints: Insertable<AuditCheckpointTable>[] = [];
    const checkpoint = (): void => {
      checkpoints.push({ position: String(position), hash, key_id: signer.keyId, signature: signer.sign(position, hash), signed_at: now });
      checkpointed = position;
    };
    const seals = rows.map((r) => {
      position += 1;
      hash = chainHash(hash, chainedOf(r));
      // Every N events…
      if (position - checkpointed >= options.checkpointEvery) checkpoint();
      return { position: String(position), event_pk: String(r.pk), hash, event_time: r.occurred_at };
    });
    // …or, for the newest seal, when the last checkpoint is older than the period (and the first chain gets one at once).
    if (position > checkpointed && (lastCheckpoint === undefined || now.getTime() - lastCheckpoint.signed_at.getTime() >= options.checkpointMs)) checkpoint();
    if (seals.length > 0) await trx.insertInto('audit_seal').values(seals).execute();
    if (checkpoints.length > 0) await trx.insertInto('audit_checkpoint').values(checkpoints).execute();
    return { sealed: seals.length, checkpoint: checkpoints.length > 0 ? checkpointed : null };
  });
}

/** What a verification run found. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Events verified after `from` (up to the problem, if any). */
  readonly events: number;
  readonly checkpoints: number;
  /** Where the run started: 0, the retention anchor, or a tail run's checkpoint. */
  readonly from: number;
  readonly problem: ChainProblem | null;
}

/** A seal at a signed checkpoint's position, as a starting point for a tail run; null when there is none. */
async function sealAt(db: Kysely<Database>, position: number): Promise<{ position: number; hash: string; eventTime: Date } | null> {
  const row = await db.selectFrom('audit_seal').select(['position', 'hash', 'event_time']).where('position', '=', String(position)).executeTakeFirst();
  return row === undefined ? null : { position: Number(row.position), hash: row.hash, eventTime: row.event_time };
}

/** A verification run, as `audit_verification` keeps it (migration 0017). */
export interface VerificationRun {
  readonly scope: 'full' | 'tail';
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly fromPosition: number;
  readonly throughPosition: number;
  readonly throughHash: string;
  readonly ok: boolean;
  readonly tampering: { readonly kind: string; readonly position: number | null } | null;
  readonly events: number;
  readonly checkpoints: number;
  readonly runBy: VerificationRunBy;
}

/** @param db - the database @param run - a finished run, appended */
export async function recordVerification(db: Kysely<Database>, run: VerificationRun): Promise<void> {
  await sql`INSERT INTO audit_verification (scope, started_at, finished_at, from_position, through_position, through_hash, ok,
      tampering_kind, tampering_position, events, checkpoints, run_by)
    VALUES (${run.scope}, ${run.startedAt}, ${run.finishedAt}, ${run.fromPosition}, ${run.throughPosition}, ${run.throughHash}, ${run.ok},
      ${run.tampering?.kind ?? null}, ${run.tampering?.position ?? null}, ${run.events}, ${run.checkpoints}, ${run.runBy})`.execute(db);
}

/**
 * The newest successful full run finished at or after `since`, and the newest signed checkpoint it covered (where a
 * tail run may start); null when there is none.
 */
export async function recentFullVerification(db: Kysely<Database>, since: Date): Promise<{ readonly finishedAt: Date; readonly throughPosition: number; readonly checkpoint: number } | null> {
  const { rows } = await sql<{ finished_at: Date; through_position: string | number; checkpoint: string | number | null }>`
    SELECT v.finished_at, v.through_position,
      (SELECT max(c.position) FROM audit_checkpoint c WHERE c.position <= v.through_position) AS checkpoint
    FROM audit_verification v WHERE v.scope = 'full' AND v.ok AND v.finished_at >= ${since}
    ORDER BY v.finished_at DESC LIMIT 1`.execute(db);
  const r = rows[0];
  if (r === undefined || r.checkpoint === null) return null;
  return { finishedAt: r.finished_at, throughPosition: Number(r.through_position), checkpoint: Number(r.checkpoint) };
}

const PAGE = 5_000;

/**
 * Verifies the chain: every seal against its event, the positions without gaps, every checkpoint against the
 * recomputed hash and a trusted key, and no event left unsealed behind the sealer or beyond the grace. From the start
 * (or, after a retention purge, from the signed anchor), or — a tail run — from the signed checkpoint at `from`,
 * whose signature and seal are checked first. Reads in pages (constant memory); changes nothing.
 * @param db - the database
 * @param trustedKeys - public keys (PEM) by key id, from outside the database
 * @param graceMs - how much older than the chain's head an unsealed event may be
 * @param from - a tail run: the position of a signed checkpoint to start from
 */
export async function verifyAuditChain(db: Kysely<Database>, trustedKeys: ReadonlyMap<string, string>, graceMs: number, from?: number): Promise<VerifyReport> {
  // After a retention purge the retained chain starts at its anchor: a signed checkpoint handed to a third party.
  const retained = await retentionAnchor(db);
  const tailStart = from === undefined || from <= (retained?.position ?? 0) ? null : await sealAt(db, from);
  const anchor = tailStart ?? retained;
  let headTime = new Date(0);
  const checkpoints = await db.selectFrom('audit_checkpoint').selectAll().where('position', '>=', String(anchor?.position ?? 0)).orderBy('position').execute();
  const pending = new Map(checkpoints.map((c) => [Number(c.position), c]));
  let at = { position: 0, hash: GENESIS_HASH };
  if (from !== undefined && tailStart === null && from > (retained?.position ?? 0)) {
    return { ok: false, events: 0, checkpoints: 0, from, problem: { kind: 'checkpoint-invalid', position: from, reason: 'beyond-chain' } };
  }
  if (anchor !== null) {
    const c = pending.get(anchor.position);
    const key = c === undefined ? undefined : trustedKeys.get(c.key_id);
    const problem = (reason: 'signature' | 'hash' | 'unknown-key'): VerifyReport => ({ ok: false, events: 0, checkpoints: 0, from: anchor.position, problem: { kind: 'checkpoint-invalid', position: anchor.position, reason } });
    if (c === undefined || c.hash !== anchor.hash) return problem('hash');
    if (key === undefined) return problem('unknown-key');
    if (!checkpointSignatureValid(key, anchor.position, anchor.hash, c.signature)) return problem('signature');
    pending.delete(anchor.position);
    at = { position: anchor.position, hash: anchor.hash };
    headTime = anchor.eventTime;
  }
  const start = anchor?.position ?? 0;
  let maxSealedPk = 0;
  const report = (problem: ChainProblem | null): VerifyReport => ({ ok: problem === null, events: at.position - start, checkpoints: checkpoints.length - pending.size, from: start, problem });
  for (;;) {
    const { rows } = await sql<EventRow & { position: string | number; event_pk: string | number; seal_hash: string; has_event: boolean }>`
      SELECT s.position, s.event_pk, s.hash AS seal_hash, e.id IS NOT NULL AS has_event, ${EVENT_COLUMNS}
      FROM audit_seal s LEFT JOIN audit_event e ON e.id = s.event_pk
      WHERE s.position > ${at.position} ORDER BY s.position LIMIT ${PAGE}`.execute(db);
    if (rows.length === 0) break;
    const walked = walkChain(
      rows.map((r) => ({ position: Number(r.position), eventPk: Number(r.event_pk), hash: r.seal_hash, event: r.has_event ? chainedOf(r) : null })),
      at,
    );
    for (const [position, hash] of walked.hashes) {
      const c = pending.get(position);
      if (c === undefined) continue;
      const key = trustedKeys.get(c.key_id);
      if (key === undefined) return report({ kind: 'checkpoint-invalid', position, reason: 'unknown-key' });
      if (c.hash !== hash) return report({ kind: 'checkpoint-invalid', position, reason: 'hash' });
      if (!checkpointSignatureValid(key, position, hash, c.signature)) return report({ kind: 'checkpoint-invalid', position, reason: 'signature' });
      pending.delete(position);
    }
    at = { position: walked.position, hash: walked.hash };
    if (walked.problem !== null) return report(walked.problem);
    for (const r of rows) maxSealedPk = Math.max(maxSealedPk, Number(r.event_pk));
    headTime = rows.at(-1)?.occurred_at ?? headTime;
  }
  // A checkpoint past the chain's end: seals (and events) were removed from the tail.
  const [beyond] = [...pending.keys()];
  if (beyond !== undefined) return report({ kind: 'checkpoint-invalid', position: beyond, reason: 'beyond-chain' });
  // Unsealed events the sealer would have taken by now: behind sealed ones (a commit may land late, so not within
  // a minute of the head), or far older than the head (backdated).
  const { rows: unsealed } = await sql<{ pk: string | number; event_id: string }>`SELECT e.id AS pk, e.event_id FROM audit_event e
    WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_pk = e.id)
      AND ((e.id < ${maxSealedPk} AND e.occurred_at < ${new Date(headTime.getTime() - LATE_COMMIT_MS)}) OR e.occurred_at < ${new Date(headTime.getTime() - graceMs)})
    ORDER BY e.id LIMIT 1`.execute(db);
  const first = unsealed[0];
  if (first !== undefined) return report({ kind: 'inserted', eventId: first.event_id, eventPk: Number(first.pk) });
  return report(null);
}

/** @param db - the database @returns the chain's last seal and newest checkpoint */
export async function chainHead(db: Kysely<Database>): Promise<{ position: number; hash: string; checkpoint: AuditCheckpoint | null }> {
  const [last, checkpoint, anchor] = await Promise.all([
    db.selectFrom('audit_seal').select(['position', 'hash']).orderBy('position', 'desc').limit(1).executeTakeFirst(),
    db.selectFrom('audit_checkpoint').selectAll().orderBy('position', 'desc').limit(1).executeTakeFirst(),
    retentionAnchor(db),
  ]);
  const seal = last ?? anchor ?? undefined;
  return {
    position: seal === undefined ? 0 : Number(seal.position),
    hash: seal?.hash ?? GENESIS_HASH,
    checkpoint:
      checkpoint === undefined
        ? null
        : { position: Number(checkpoint.position), hash: checkpoint.hash, keyId: checkpoint.key_id, signature: checkpoint.signature, signedAt: checkpoint.signed_at },
  };
}
