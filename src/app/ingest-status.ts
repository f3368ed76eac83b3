import { canTransition } from '../core/messaging/delivery-status.ts';
import type { MessageId } from '../core/ids.ts';
import type { AppDeps } from './context.ts';
import { recordStatus } from './dispatch.ts';
import type { CarrierStatusEvent } from './ports.ts';

/**
 * The one path by which carrier receipts (simulator, Twilio, WhatsApp) change a message. Idempotent and
 * monotonic: a duplicate receipt changes nothing, a late one never moves the status back, a terminal status never changes (reference §8 item 9).
 * @param deps - app dependencies
 * @param event - an authenticated, parsed receipt; `messageId` when the carrier echoes ours back
 * @returns what happened to it
 */
export async function ingestStatus(
  deps: AppDeps,
  event: CarrierStatusEvent & { readonly messageId?: MessageId | undefined },
): Promise<'applied' | 'ignored' | 'unknown-message'> {
  const messageId =
    event.messageId ?? (await deps.store.messages.findByProviderId(event.provider, event.providerMessageId));
  if (messageId === null) return 'unknown-message';
  return deps.store.transaction(async (tx) => {
    const message = await tx.messages.getForUpdate(messageId);
    if (message === null) return 'unknown-message';
    if (message.providerMessageId === null) {
      await tx.messages.setProvider(message.id, event.provider, event.providerMessageId);
    }
    if (!canTransition(message.status, event.status)) return 'ignored';
    await recordStatus(tx, {
      messageId: message.id,
      patientId: message.patientId,
      status: event.status,
      reason: event.errorCode,
      at: event.occurredAt,
      source: 'carrier',
    });
    return 'applied';
  });
}
