import type { AuditActor } from '../core/access/actor.ts';
import { foldStatuses } from '../core/messaging/delivery-status.ts';
import type { MessageId } from '../core/ids.ts';
import type { AppDeps } from './context.ts';
import type { CarrierStatusEvent } from './ports.ts';
import { toStatusChangeBatch, type StatusChange } from './status-changes.ts';

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };

export type IngestOutcome = 'applied' | 'ignored' | 'unknown-message';

/** A receipt, with Wardline's message id when the carrier echoes it back. */
export type ReceiptEvent = CarrierStatusEvent & { readonly messageId?: MessageId | undefined };

/**
 * The one path by which carrier receipts (simulator, Twilio, WhatsApp) change messages. Idempotent and monotonic:
 * a duplicate receipt changes nothing, a late one never moves the status back, a terminal status never changes
 * (reference §8 item 9). Receipts that arrive together are applied in one transaction, in arrival order.
 * @param deps - app dependencies
 * @param events - authenticated, parsed receipts, in arrival order
 * @returns what happened to each receipt
 */
export async function ingestStatuses(deps: AppDeps, events: readonly ReceiptEvent[]): Promise<IngestOutcome[]> {
  const ids: (MessageId | null)[] = [];
  for (const e of events) {
    ids.push(e.messageId ?? (await deps.store.messages.findByProviderId(e.provider, e.providerMessageId)));
  }
  const known = [...new Set(ids.filter((id): id is MessageId => id !== null))];
  const outcomes: IngestOutcome[] = ids.map(() => 'unknown-message');
  if (known.length === 0) return outcomes;
  await deps.store.transaction(async (tx) => {
    const changes: StatusChange[] = [];
    for (const message of await tx.messages.getManyForUpdate(known)) {
      const mine = events.flatMap((event, i) => (ids[i] === message.id ? [{ event, i }] : []));
      const { applied } = foldStatuses(message.status, mine.map((m) => m.event.status));
      mine.forEach(({ event, i }, k) => {
        outcomes[i] = applied[k] ? 'applied' : 'ignored';
        if (!applied[k]) return;
        changes.push({
          messageId: message.id,
          patientId: message.patientId,
          status: event.status,
          reason: event.errorCode,
          source: 'carrier',
          at: event.occurredAt,
          actor: SYSTEM,
          requestId: null,
          provider: { name: event.provider, messageId: event.providerMessageId },
        });
      });
    }
    await tx.messages.recordStatusChanges(toStatusChangeBatch(changes));
  });
  return outcomes;
}
