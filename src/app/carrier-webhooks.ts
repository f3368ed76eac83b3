import type { AuditActor } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import { parsePhone } from '../core/patients/phone-number.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { applyCarrierEffects } from './carrier-effects.ts';
import type { AppDeps } from './context.ts';

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };

export type WebhookRejection = 'missing-signature' | 'bad-signature' | 'stale' | 'replayed' | 'bad-verify-token';

/**
 * A webhook that failed authentication (or replayed one already processed) is a security event: it is audited with
 * the carrier, the reason and the source address — never its body — and the caller answers 403 (409 for a replay).
 * @param deps - app dependencies
 * @param event - who it claimed to come from and why it was refused
 */
export async function recordWebhookRejection(
  deps: AppDeps,
  event: { readonly provider: string; readonly reason: WebhookRejection; readonly sourceIp: string; readonly requestId: string },
): Promise<void> {
  await deps.store.audit.append({
    // Claimed to come from the carrier; the address is the caller's, whoever it really was.
    actor: { type: 'carrier', id: event.provider },
    action: event.reason === 'replayed' ? 'webhook.replayed' : 'webhook.rejected',
    outcome: 'denied',
    targetType: 'webhook',
    targetId: event.provider,
    patientId: null,
    reason: event.reason,
    requestId: event.requestId,
    sourceAddress: event.sourceIp,
    details: { provider: event.provider, sourceIp: event.sourceIp, severity: event.reason === 'replayed' ? 'medium' : 'high' },
  });
  deps.logger.warn({ provider: event.provider, reason: event.reason, sourceIp: event.sourceIp, requestId: event.requestId }, 'webhook refused');
}

/**
 * Remembers a signed delivery by digest; a second delivery with the same digest changes nothing.
 * @returns false when this delivery was already processed
 */
export async function rememberDelivery(deps: AppDeps, provider: string, digest: string): Promise<boolean> {
  return deps.store.webhooks.remember(provider, digest);
}

/**
 * WhatsApp's `user_preferences` webhook: the user stopped (or resumed) marketing messages inside WhatsApp. A stop is
 * recorded as a marketing opt-out on the WhatsApp channel (source `carrier_optout`); utility and care messages still
 * go (reference §3.1). A resume lifts only Meta's block; it is not consent to marketing, so it is audited, not granted.
 * @param deps - app dependencies
 * @param event - the WhatsApp number and the preference
 * @returns how many patients matched the number
 */
export async function applyWhatsAppMarketingPreference(
  deps: AppDeps,
  event: { readonly waNumber: Phi<string>; readonly value: 'stop' | 'resume'; readonly occurredAt: Date },
): Promise<number> {
  const parsed = parsePhone(reveal(event.waNumber), deps.settings.defaultRegion);
  if (!parsed.ok) throw new DomainError('WEBHOOK_PAYLOAD_INVALID', 'wa_id is not a phone number');
  const patients = await deps.store.patients.findByContact('whatsapp', phi(parsed.e164));
  if (patients.length === 0) return 0;
  await deps.store.transaction(async (tx) => {
    for (const patient of [...patients].sort((a, b) => a.id.localeCompare(b.id))) await tx.consents.lockPatient(patient.id);
    if (event.value === 'stop') {
      await applyCarrierEffects(
        deps,
        tx,
        patients.map((p) => ({ patientId: p.id, channel: 'whatsapp' as const, effect: { kind: 'opt-out' as const, channels: ['whatsapp' as const], purposes: ['marketing' as const], reason: 'whatsapp-cloud:user_preferences' } })),
        event.occurredAt,
      );
      return;
    }
    for (const patient of patients) {
      await tx.audit.append({
        actor: { type: 'patient', id: patient.id },
        action: 'inbound.received',
        outcome: 'success',
        targetType: 'patient',
        targetId: patient.id,
        patientId: patient.id,
        reason: 'whatsapp-marketing-resumed',
        requestId: null,
        details: { channel: 'whatsapp' },
      });
    }
  });
  return patients.length;
}

/**
 * A WhatsApp event from a user identified only by a business-scoped user id (WhatsApp usernames, 2026): no number to
 * match a patient by, so it is audited as flagged for staff review — never silently dropped.
 * @param deps - app dependencies
 * @param event - what arrived (a message or a preference change) and the request id
 */
export async function recordUnidentifiedWhatsAppEvent(deps: AppDeps, event: { readonly kind: string; readonly requestId: string }): Promise<void> {
  await deps.store.audit.append({
    actor: SYSTEM,
    action: 'inbound.flagged',
    outcome: 'success',
    targetType: 'inbound',
    targetId: null,
    patientId: null,
    reason: 'whatsapp-user-without-number',
    requestId: event.requestId,
    details: { channel: 'whatsapp', kind: event.kind },
  });
  deps.logger.warn({ requestId: event.requestId, kind: event.kind }, 'WhatsApp event from a user without a phone number: flagged for review');
}
