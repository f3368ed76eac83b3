import { isStillSendable } from '../core/consent/consent.ts';
import type { AuditActor } from '../core/access/actor.ts';
import type { MessageStatus } from '../core/messaging/delivery-status.ts';
import type { E164 } from '../core/ids.ts';
import type { Phi } from '../core/phi/phi.ts';
import { cancelMessage } from './consent-changes.ts';
import type { AppDeps } from './context.ts';
import type { OutboundEnvelope, OutboxClaim, StoreSession } from './ports.ts';

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };
/** After this many attempts a transient carrier fault becomes a failure. */
export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;

/**
 * Records a Wardline-side status change: row, timeline and audit in the caller's transaction.
 * @param tx - a session inside a transaction
 * @param change - the message, its patient, the new status, a reason code and the time
 */
export async function recordStatus(
  tx: StoreSession,
  change: { messageId: OutboundEnvelope['messageId']; patientId: string; status: MessageStatus; reason: string | null; at: Date; source: 'wardline' | 'carrier' },
): Promise<void> {
  await tx.messages.setStatus(change.messageId, change.status, change.reason);
  await tx.messages.appendStatusEvent(change.messageId, {
    status: change.status,
    reason: change.reason,
    source: change.source,
    occurredAt: change.at,
  });
  await tx.audit.append({
    actor: SYSTEM,
    action: 'message.status-changed',
    outcome: change.status === 'failed' ? 'failure' : 'success',
    targetType: 'message',
    targetId: change.messageId,
    patientId: change.patientId,
    reason: change.reason,
    requestId: null,
    details: { status: change.status, source: change.source },
  });
}

type Decision = { kind: 'send'; envelope: OutboundEnvelope; patientId: string } | { kind: 'done' };

/**
 * Phase 1, in one transaction under the patient's row lock: re-check consent at dispatch (an opt-out that
 * arrived while the message was queued wins), then mark the message `sending`.
 */
async function decide(deps: AppDeps, claim: OutboxClaim): Promise<Decision> {
  return deps.store.transaction(async (tx): Promise<Decision> => {
    const patientId = await tx.consents.lockPatientOfMessage(claim.messageId);
    const message = patientId === null ? null : await tx.messages.getForUpdate(claim.messageId);
    // `sending` again means an earlier attempt did not finish; the carrier dedupes on our message id.
    if (message === null || (message.status !== 'queued' && message.status !== 'sending') || message.providerMessageId !== null) {
      await tx.outbox.complete(claim.outboxId);
      return { kind: 'done' };
    }
    const now = deps.clock.now();
    if (message.consentBasis !== 'keyword-reply') {
      const ledger = await tx.consents.ledger(message.patientId);
      if (!isStillSendable(ledger, message.channel, message.purpose, message.consentBasis)) {
        await cancelMessage(tx, { messageId: message.id, patientId: message.patientId, reason: 'CONSENT_REVOKED', actor: SYSTEM, requestId: null, at: now });
        await tx.outbox.complete(claim.outboxId);
        return { kind: 'done' };
      }
    }
    const patient = await tx.patients.get(message.patientId);
    const body = await tx.messages.body(message.id);
    const to: Phi<E164> | null | undefined = message.channel === 'whatsapp' ? patient?.whatsapp : patient?.phone;
    if (patient === null || body === null || to === null || to === undefined) {
      await recordStatus(tx, { messageId: message.id, patientId: message.patientId, status: 'failed', reason: 'NO_CONTACT_POINT', at: now, source: 'wardline' });
      await tx.outbox.complete(claim.outboxId);
      return { kind: 'done' };
    }
    if (message.status === 'queued') {
      await recordStatus(tx, { messageId: message.id, patientId: message.patientId, status: 'sending', reason: null, at: now, source: 'wardline' });
    }
    return { kind: 'send', patientId: message.patientId, envelope: { messageId: message.id, channel: message.channel, to, body } };
  });
}

/** Backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 5 minutes. */
function backoffMs(attempt: number): number {
  return Math.min(300_000, 1000 * 2 ** (attempt - 1));
}

/**
 * Dispatches one claimed outbox row: decide (re-checking consent), hand to the carrier, record the outcome.
 * @param deps - app dependencies
 * @param claim - the leased outbox row
 */
export async function dispatchClaim(deps: AppDeps, claim: OutboxClaim): Promise<void> {
  const decision = await decide(deps, claim);
  if (decision.kind === 'done') return;
  const { envelope, patientId } = decision;
  const result = await deps.carrier.send(envelope).catch(() => ({ ok: false, retryable: true, errorCode: 'PROVIDER_UNAVAILABLE' }) as const);
  await deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    if (result.ok) {
      await tx.messages.setProvider(envelope.messageId, deps.carrier.name, result.providerMessageId);
      await tx.outbox.complete(claim.outboxId);
      return;
    }
    if (result.retryable && claim.attempts < MAX_ATTEMPTS) {
      await tx.outbox.retry(claim.outboxId, new Date(now.getTime() + backoffMs(claim.attempts)), result.errorCode);
      return;
    }
    await tx.messages.getForUpdate(envelope.messageId);
    await recordStatus(tx, { messageId: envelope.messageId, patientId, status: 'failed', reason: result.errorCode, at: now, source: 'wardline' });
    await tx.outbox.complete(claim.outboxId);
  });
  deps.logger.debug({ messageId: envelope.messageId, ok: result.ok }, 'message dispatched');
}

/**
 * Claims a batch of due outbox rows (FOR UPDATE SKIP LOCKED, so several dispatchers can run) and dispatches them.
 * @param deps - app dependencies
 * @param batchSize - rows claimed at once
 * @returns how many rows were claimed
 */
export async function dispatchBatch(deps: AppDeps, batchSize: number): Promise<number> {
  const now = deps.clock.now();
  const claims = await deps.store.transaction((tx) => tx.outbox.claim(now, batchSize, new Date(now.getTime() + LEASE_MS)));
  await Promise.all(
    claims.map((claim) =>
      dispatchClaim(deps, claim).catch((error: unknown) => {
        deps.logger.error({ err: error, messageId: claim.messageId }, 'dispatch failed');
      }),
    ),
  );
  return claims.length;
}
