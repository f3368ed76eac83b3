import type { AuditActor } from '../core/access/actor.ts';
import type { ConsentEvidence, ConsentSource, ConsentStatus, Purpose } from '../core/consent/consent.ts';
import type { InboundMessageId, PatientId } from '../core/ids.ts';
import type { Channel } from '../core/messaging/channel.ts';
import type { StoreSession } from './ports.ts';
import { toStatusChangeBatch } from './status-changes.ts';

export interface ConsentChange {
  readonly patientId: PatientId;
  readonly channels: readonly Channel[];
  readonly purposes: readonly Purpose[];
  readonly status: ConsentStatus;
  readonly source: ConsentSource;
  readonly evidence: ConsentEvidence;
  readonly actor: AuditActor;
  readonly requestId: string | null;
  readonly sourceAddress?: string | null;
  /** An agent's or integration's `On-Behalf-Of` claim (`auditOrigin`). */
  readonly onBehalfOf?: string | null;
  readonly inboundMessageId: InboundMessageId | null;
  readonly at: Date;
}

/**
 * Appends consent events and, for a revocation, cancels at once every message still queued for that patient
 * on those channels — in the caller's transaction. The caller holds the patient's row lock
 * (`consents.lockPatient`, taken before it read the state it decided on), so a dispatcher deciding at
 * the same moment either sees the opt-out or had already handed the message to the carrier.
 * @param tx - a store session inside a transaction
 * @param change - what changed
 * @param uuid - id source for the new events
 * @returns the number of queued messages cancelled
 */
export async function applyConsentChange(
  tx: StoreSession,
  change: ConsentChange,
  uuid: () => string,
): Promise<number> {
  for (const channel of change.channels) {
    for (const purpose of change.purposes) {
      const id = uuid();
      await tx.consents.append({
        id,
        patientId: change.patientId,
        channel,
        purpose,
        status: change.status,
        source: change.source,
        evidence: change.evidence,
        recordedBy: { type: change.actor.type, id: change.actor.id },
        inboundMessageId: change.inboundMessageId,
      });
      await tx.audit.append({
        actor: change.actor,
        action: change.status === 'granted' ? 'consent.granted' : 'consent.revoked',
        outcome: 'success',
        targetType: 'consent',
        // The ledger row holds the evidence (wording shown, who captured it, when); the event points at it.
        targetId: id,
        patientId: change.patientId,
        reason: null,
        requestId: change.requestId,
        sourceAddress: change.sourceAddress ?? null,
        onBehalfOf: change.onBehalfOf ?? null,
        details: { channel, purpose, source: change.source, ...(change.inboundMessageId === null ? {} : { inboundMessageId: change.inboundMessageId }) },
      });
    }
  }
  if (change.status === 'granted') return 0;
  const queued = await tx.messages.queuedFor(change.patientId, change.channels, change.purposes);
  await tx.messages.recordStatusChanges(
    toStatusChangeBatch(
      queued.map((messageId) => ({
        messageId,
        patientId: change.patientId,
        status: 'cancelled',
        reason: 'CONSENT_REVOKED',
        source: 'wardline',
        at: change.at,
        actor: change.actor,
        requestId: change.requestId,
        sourceAddress: change.sourceAddress ?? null,
        onBehalfOf: change.onBehalfOf ?? null,
      })),
    ),
  );
  return queued.length;
}
