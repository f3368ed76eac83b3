import type { Purpose } from '../consent/consent.ts';
import type { Channel } from './channel.ts';

/**
 * What a carrier's error code means for Wardline's state, beyond "this message failed" (reference §3.7, §4.6,
 * §8 items 6 and 8). Carrier errors that say something about consent or the number change state: an opt-out the
 * carrier saw is recorded in the ledger; a dead or landline number stops further sends to it.
 */
export type CarrierErrorEffect =
  /** The patient opted out at the carrier: revoke these channels and purposes, source `carrier_optout`. */
  | { readonly kind: 'opt-out'; readonly channels: readonly Channel[]; readonly purposes: readonly Purpose[]; readonly reason: string }
  /** The number cannot take these messages. `unreachable` is temporary (a warning); the others block sending. */
  | { readonly kind: 'contact-point'; readonly state: ContactPointState; readonly reason: string }
  /** WhatsApp free text outside the 24-hour customer service window. */
  | { readonly kind: 'window-closed'; readonly reason: 'WHATSAPP_WINDOW_CLOSED' }
  /** Nothing beyond the failure itself. */
  | { readonly kind: 'none'; readonly reason: string };

export const CONTACT_POINT_STATES = ['unreachable', 'undeliverable', 'landline'] as const;
export type ContactPointState = (typeof CONTACT_POINT_STATES)[number];

/** Contact-point states that stop sending until the patient proves the number works (or it is changed). */
export function blocksSending(state: ContactPointState): boolean {
  return state !== 'unreachable';
}

const PHONE_CHANNELS: readonly Channel[] = ['sms', 'text'];
const ALL_PURPOSES: readonly Purpose[] = ['care', 'billing', 'marketing'];

/**
 * @param provider - the carrier adapter's name (`twilio`, `whatsapp-cloud`, `simulator`)
 * @param channel - the channel the message went on
 * @param code - the carrier's error code as it sent it
 * @returns the state change the code calls for; `reason` is the message's stable status reason
 */
export function carrierErrorEffect(provider: string, channel: Channel, code: string): CarrierErrorEffect {
  const reason = `${provider}:${code}`;
  if (provider === 'twilio') {
    switch (code) {
      // 21610: the recipient replied STOP at Twilio. Since March 2026 Twilio unifies SMS, MMS and RCS opt-outs per
      // sender, so both phone channels are revoked. 63014: blocked by the user's action on the channel.
      case '21610':
        return { kind: 'opt-out', channels: channel === 'whatsapp' ? ['whatsapp'] : PHONE_CHANNELS, purposes: ALL_PURPOSES, reason };
      case '63014':
        return { kind: 'opt-out', channels: [channel], purposes: ALL_PURPOSES, reason };
      case '30003':
        return { kind: 'contact-point', state: 'unreachable', reason };
      case '30005':
      case '21211':
        return { kind: 'contact-point', state: 'undeliverable', reason };
      case '30006':
      case '21635':
      case '21614':
        return { kind: 'contact-point', state: 'landline', reason };
      case '63016':
        return { kind: 'window-closed', reason: 'WHATSAPP_WINDOW_CLOSED' };
      // 63106: the handset cannot take RCS. Wardline sends RCS without fallback only when the patient has no SMS
      // consent (with consent, Twilio falls back to SMS by itself), so this is the reason the message did not go.
      case '63106':
        return { kind: 'none', reason: 'RCS_UNAVAILABLE_NO_SMS_CONSENT' };
      default:
        return { kind: 'none', reason };
    }
  }
  if (provider === 'whatsapp-cloud') {
    switch (code) {
      // 131050: the user stopped marketing messages in WhatsApp; utility and service messages still go.
      case '131050':
        return { kind: 'opt-out', channels: ['whatsapp'], purposes: ['marketing'], reason };
      case '131047':
        return { kind: 'window-closed', reason: 'WHATSAPP_WINDOW_CLOSED' };
      // 131026: undeliverable (not on WhatsApp, old app, not accepted terms); do not assume a block.
      case '131026':
        return { kind: 'contact-point', state: 'undeliverable', reason };
      default:
        return { kind: 'none', reason };
    }
  }
  return { kind: 'none', reason: code };
}
