import type { AuditActor } from '../core/access/actor.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import type { MessageStatus } from '../core/messaging/delivery-status.ts';
import type { StatusChangeBatch } from './ports.ts';

/** One accepted status change of one message, with who caused it. */
export interface StatusChange {
  readonly messageId: MessageId;
  readonly patientId: PatientId;
  readonly status: MessageStatus;
  readonly reason: string | null;
  readonly source: 'wardline' | 'carrier';
  readonly at: Date;
  readonly actor: AuditActor;
  readonly requestId: string | null;
  /** Where the request that caused it came from (`auditOrigin`); absent for the system's and carriers' own work. */
  readonly sourceAddress?: string | null;
  readonly onBehalfOf?: string | null;
  /** The carrier's id for the message, to keep if it has none yet. */
  readonly provider?: { readonly name: string; readonly messageId: string } | null;
}

/**
 * Turns accepted changes (in order) into what the store writes: each message's last status, a timeline event and
 * an audit event per change (every status change is audited; cancellations as `message.cancelled`).
 * @param changes - accepted changes, oldest first
 */
export function toStatusChangeBatch(changes: readonly StatusChange[]): StatusChangeBatch {
  const finals = new Map<MessageId, StatusChangeBatch['finals'][number]>();
  for (const c of changes) {
    finals.set(c.messageId, { messageId: c.messageId, status: c.status, reason: c.reason, provider: c.provider ?? null });
  }
  return {
    finals: [...finals.values()],
    events: changes.map((c) => ({ messageId: c.messageId, status: c.status, reason: c.reason, source: c.source, occurredAt: c.at })),
    audits: changes.map((c) => ({
      actor: c.actor,
      action: c.status === 'cancelled' ? 'message.cancelled' : 'message.status-changed',
      outcome: c.status === 'failed' ? 'failure' : 'success',
      targetType: 'message',
      targetId: c.messageId,
      patientId: c.patientId,
      reason: c.reason,
      requestId: c.requestId,
      sourceAddress: c.sourceAddress ?? null,
      onBehalfOf: c.onBehalfOf ?? null,
      details: { status: c.status, source: c.source },
    })),
  };
}
