import type { AuditActor } from '../core/access/actor.ts';
import { deriveConsentState } from '../core/consent/consent.ts';
import type { CarrierErrorEffect } from '../core/messaging/carrier-errors.ts';
import type { Channel } from '../core/messaging/channel.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { applyConsentChange } from './consent-changes.ts';
import type { AppDeps } from './context.ts';
import type { ContactPointKind, StoreSession } from './ports.ts';

/** One carrier error that calls for a state change, about one patient's contact point on one channel. */
export interface CarrierEffectItem {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly effect: CarrierErrorEffect;
  /** The message the carrier reported on (incident detection's event id), when known. */
  readonly messageId?: MessageId;
}

export function contactPointKindOf(channel: Channel): ContactPointKind {
  return channel === 'whatsapp' ? 'whatsapp' : 'phone';
}

/** Whether applying these effects needs the patients' consent locks (taken before any message lock). */
export function needsPatientLocks(items: readonly CarrierEffectItem[]): boolean {
  return items.some((i) => i.effect.kind === 'opt-out');
}

/**
 * Applies what carrier errors say about consent and numbers, in the caller's transaction: an opt-out the carrier saw
 * (Twilio 21610/63014, WhatsApp 131050) is written to the ledger with source `carrier_optout` — and cancels queued
 * messages like any opt-out; a dead, unreachable or landline number is recorded on the contact point. The caller holds
 * the patients' locks when an opt-out is among the items (`needsPatientLocks`).
 * @param deps - app dependencies
 * @param tx - a store session inside a transaction
 * @param items - the effects
 * @param at - when the carrier reported them
 */
export async function applyCarrierEffects(deps: AppDeps, tx: StoreSession, items: readonly CarrierEffectItem[], at: Date): Promise<void> {
  for (const { patientId, channel, effect } of items) {
    switch (effect.kind) {
      case 'opt-out': {
        const ledger = await tx.consents.ledger(patientId);
        const purposes = effect.purposes.filter((purpose) => effect.channels.some((c) => deriveConsentState(ledger, c, purpose).status !== 'revoked'));
        if (purposes.length === 0) break;
        const patient: AuditActor = { type: 'patient', id: patientId };
        await applyConsentChange(
          tx,
          {
            patientId,
            channels: effect.channels,
            purposes,
            status: 'revoked',
            source: 'carrier_optout',
            evidence: { wordingShown: `The carrier reported that the patient opted out there (${effect.reason})`, capturedBy: 'wardline', capturedAt: at.toISOString() },
            actor: patient,
            requestId: null,
            inboundMessageId: null,
            at,
          },
          deps.ids.uuid,
        );
        break;
      }
      case 'contact-point': {
        const kind = contactPointKindOf(channel);
        await tx.contactPoints.set(patientId, { kind, state: effect.state, reason: effect.reason, changedAt: at });
        await tx.audit.append({
          actor: { type: 'system', id: 'wardline' },
          action: 'contact-point.changed',
          outcome: 'success',
          targetType: 'contact-point',
          targetId: `${patientId}/${kind}`,
          patientId,
          reason: effect.reason,
          requestId: null,
          details: { kind, state: effect.state },
        });
        break;
      }
      case 'window-closed':
      case 'none':
        break;
    }
  }
}
