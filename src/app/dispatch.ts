import type { AuditActor } from '../core/access/actor.ts';
import { isStillSendable } from '../core/consent/consent.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import type { AppDeps } from './context.ts';
import type { OutboundEnvelope, OutboxClaim, SendResult } from './ports.ts';
import { toStatusChangeBatch, type StatusChange } from './status-changes.ts';

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };
/** After this many attempts a transient carrier fault becomes a failure. */
export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;

interface Send {
  readonly claim: OutboxClaim;
  readonly patientId: PatientId;
  readonly envelope: OutboundEnvelope;
}

/**
 * Phase 1, one transaction for the whole batch, under the patients' row locks: re-check consent at dispatch (an
 * opt-out that arrived while a message was queued wins), then mark the sendable messages `sending`.
 */
async function decide(deps: AppDeps, claims: readonly OutboxClaim[]): Promise<Send[]> {
  return deps.store.transaction(async (tx) => {
    const ids = claims.map((c) => c.messageId);
    await tx.consents.lockPatientsOfMessages(ids);
    const messages = new Map((await tx.messages.getManyForUpdate(ids)).map((m) => [m.id, m]));
    const patientIds = [...new Set([...messages.values()].map((m) => m.patientId))];
    const ledgers = await tx.consents.ledgers(patientIds);
    const patients = new Map((await tx.patients.getMany(patientIds)).map((p) => [p.id, p]));
    const bodies = await tx.messages.bodies(ids);
    const now = deps.clock.now();
    const changes: StatusChange[] = [];
    const done: number[] = [];
    const sends: Send[] = [];
    const change = (messageId: MessageId, patientId: PatientId, status: 'sending' | 'cancelled' | 'failed', reason: string | null): void => {
      changes.push({ messageId, patientId, status, reason, source: 'wardline', at: now, actor: SYSTEM, requestId: null });
    };
    for (const claim of claims) {
      const message = messages.get(claim.messageId);
      // `sending` again means an earlier attempt did not finish; the carrier dedupes on our message id.
      if (message === undefined || (message.status !== 'queued' && message.status !== 'sending') || message.providerMessageId !== null) {
        done.push(claim.outboxId);
        continue;
      }
      if (message.consentBasis !== 'keyword-reply') {
        const ledger = ledgers.get(message.patientId) ?? [];
        if (!isStillSendable(ledger, message.channel, message.purpose, message.consentBasis)) {
          change(message.id, message.patientId, 'cancelled', 'CONSENT_REVOKED');
          done.push(claim.outboxId);
          continue;
        }
      }
      const patient = patients.get(message.patientId);
      const to = message.channel === 'whatsapp' ? patient?.whatsapp : patient?.phone;
      const body = bodies.get(message.id);
      if (to === null || to === undefined || body === undefined) {
        change(message.id, message.patientId, 'failed', 'NO_CONTACT_POINT');
        done.push(claim.outboxId);
        continue;
      }
      if (message.status === 'queued') change(message.id, message.patientId, 'sending', null);
      sends.push({ claim, patientId: message.patientId, envelope: { messageId: message.id, channel: message.channel, to, body } });
    }
    await tx.messages.recordStatusChanges(toStatusChangeBatch(changes));
    await tx.outbox.complete(done);
    return sends;
  });
}

/** Backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 5 minutes. */
function backoffMs(attempt: number): number {
  return Math.min(300_000, 1000 * 2 ** (attempt - 1));
}

/** Phase 3, one transaction for the batch: remember accepted messages, schedule retries, record failures. */
async function record(deps: AppDeps, sends: readonly Send[], results: readonly SendResult[]): Promise<void> {
  const now = deps.clock.now();
  const accepted: { messageId: MessageId; provider: string; providerMessageId: string }[] = [];
  const retries: { outboxId: number; at: Date; errorCode: string }[] = [];
  const failures: StatusChange[] = [];
  const done: number[] = [];
  sends.forEach((send, i) => {
    const result = results[i] ?? { ok: false, retryable: true, errorCode: 'PROVIDER_UNAVAILABLE' };
    if (result.ok) {
      accepted.push({ messageId: send.envelope.messageId, provider: deps.carrier.name, providerMessageId: result.providerMessageId });
      done.push(send.claim.outboxId);
    } else if (result.retryable && send.claim.attempts < MAX_ATTEMPTS) {
      retries.push({ outboxId: send.claim.outboxId, at: new Date(now.getTime() + backoffMs(send.claim.attempts)), errorCode: result.errorCode });
    } else {
      failures.push({ messageId: send.envelope.messageId, patientId: send.patientId, status: 'failed', reason: result.errorCode, source: 'wardline', at: now, actor: SYSTEM, requestId: null });
      done.push(send.claim.outboxId);
    }
  });
  await deps.store.transaction(async (tx) => {
    // Row locks in id order, like every transaction that touches several messages (no deadlock with receipts).
    await tx.messages.getManyForUpdate(sends.map((send) => send.envelope.messageId));
    await tx.messages.setProviders(accepted);
    for (const r of retries) await tx.outbox.retry(r.outboxId, r.at, r.errorCode);
    await tx.messages.recordStatusChanges(toStatusChangeBatch(failures));
    await tx.outbox.complete(done);
  });
}

/**
 * Claims a batch of due outbox rows (FOR UPDATE SKIP LOCKED, so several dispatchers can run), re-checks consent,
 * hands the sendable messages to the carrier and records the outcome: three transactions per batch.
 * @param deps - app dependencies
 * @param batchSize - rows claimed at once
 * @returns how many rows were claimed
 */
export async function dispatchBatch(deps: AppDeps, batchSize: number): Promise<number> {
  const now = deps.clock.now();
  const claims = await deps.store.transaction((tx) => tx.outbox.claim(now, batchSize, new Date(now.getTime() + LEASE_MS)));
  if (claims.length === 0) return 0;
  const sends = await decide(deps, claims);
  const results = await Promise.all(
    sends.map((s) =>
      deps.carrier.send(s.envelope).catch((): SendResult => ({ ok: false, retryable: true, errorCode: 'PROVIDER_UNAVAILABLE' })),
    ),
  );
  await record(deps, sends, results);
  deps.logger.debug({ claimed: claims.length, sent: sends.length }, 'outbox batch dispatched');
  return claims.length;
}
