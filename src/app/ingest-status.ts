import { foldStatuses } from '../core/messaging/delivery-status.ts';
import { carrierErrorEffect } from '../core/messaging/carrier-errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { applyCarrierEffects, contactPointKindOf, type CarrierEffectItem } from './carrier-effects.ts';
import type { AppDeps } from './context.ts';
import { detectCarrierReports } from './incident-detection.ts';
import type { CarrierStatusEvent, ContactPointKind } from './ports.ts';
import { toStatusChangeBatch, type StatusChange } from './status-changes.ts';

export type IngestOutcome = 'applied' | 'ignored' | 'unknown-message';

/** A receipt, with Wardline's message id when the carrier echoes it back. */
export type ReceiptEvent = CarrierStatusEvent & { readonly messageId?: MessageId | undefined };

/**
 * The one path by which carrier receipts (simulator, Twilio, WhatsApp) change messages. Idempotent and monotonic:
 * a duplicate receipt changes nothing, a late one never moves the status back, a terminal status never changes
 * (reference §8 item 9). Receipts that arrive together are applied in one transaction, in arrival order. A failure's
 * carrier error changes state as well (an opt-out at the carrier, a dead or landline number); a delivery clears an
 * `unreachable` mark.
 * @param deps - app dependencies
 * @param events - authenticated, parsed receipts, in arrival order
 * @param origin - the webhook request that delivered them (recorded on the audit events); absent for receipts the
 * simulator reports in process
 * @returns what happened to each receipt
 */
export async function ingestStatuses(deps: AppDeps, events: readonly ReceiptEvent[], origin?: { readonly requestId: string; readonly sourceAddress: string | null }): Promise<IngestOutcome[]> {
  const ids: (MessageId | null)[] = [];
  for (const e of events) {
    ids.push(e.messageId ?? (await deps.store.messages.findByProviderId(e.provider, e.providerMessageId)));
  }
  const known = [...new Set(ids.filter((id): id is MessageId => id !== null))];
  const outcomes: IngestOutcome[] = ids.map(() => 'unknown-message');
  if (known.length === 0) return outcomes;
  // A failure may carry a carrier error that revokes consent: then the patients' locks come first (lock order).
  const mayRevoke = events.some((e) => e.status === 'failed' && e.errorCode !== null);
  const effects: CarrierEffectItem[] = [];
  await deps.store.transaction(async (tx) => {
    effects.length = 0;
    if (mayRevoke) await tx.consents.lockPatientsOfMessages(known);
    const changes: StatusChange[] = [];
    const working = new Map<ContactPointKind, PatientId[]>();
    for (const message of await tx.messages.getManyForUpdate(known)) {
      const mine = events.flatMap((event, i) => (ids[i] === message.id ? [{ event, i }] : []));
      const { applied } = foldStatuses(message.status, mine.map((m) => m.event.status));
      mine.forEach(({ event, i }, k) => {
        outcomes[i] = applied[k] ? 'applied' : 'ignored';
        if (!applied[k]) return;
        let reason = event.errorCode;
        if (event.status === 'failed' && event.errorCode !== null) {
          const effect = carrierErrorEffect(event.provider, message.channel, event.errorCode);
          effects.push({ patientId: message.patientId, channel: message.channel, effect, messageId: message.id });
          reason = effect.reason;
        }
        if (event.status === 'delivered' || event.status === 'read') {
          const kind = contactPointKindOf(message.channel);
          working.set(kind, [...(working.get(kind) ?? []), message.patientId]);
        }
        changes.push({
          messageId: message.id,
          patientId: message.patientId,
          status: event.status,
          reason,
          source: 'carrier',
          at: event.occurredAt,
          actor: { type: 'carrier', id: event.provider },
          requestId: origin?.requestId ?? null,
          sourceAddress: origin?.sourceAddress ?? null,
          provider: { name: event.provider, messageId: event.providerMessageId },
        });
      });
    }
    await tx.messages.recordStatusChanges(toStatusChangeBatch(changes));
    await applyCarrierEffects(deps, tx, effects, deps.clock.now());
    // A delivery proves a number the carrier once found unreachable works again.
    for (const [kind, patientIds] of working) await tx.contactPoints.clear([...new Set(patientIds)], kind, ['unreachable']);
  });
  // A number gone dead, unreachable or a landline after earlier deliveries may have been reassigned (issue 7): an
  // incident draft, after the receipts committed, so detection never fails the ingest (`detectSafely`).
  const reports = effects.flatMap((e) => (e.effect.kind === 'contact-point' && e.messageId !== undefined ? [{ patientId: e.patientId, channel: e.channel, messageId: e.messageId, state: e.effect.state }] : []));
  if (reports.length > 0) await detectCarrierReports(deps, reports);
  return outcomes;
}
