import { describe, expect, it } from 'vitest';
import { blocksSending, carrierErrorEffect } from './carrier-errors.ts';

describe('carrier error effects (reference §3.7, §4.6, §8 item 6)', () => {
  it('records a carrier-side STOP as an opt-out: Twilio 21610 on both phone channels, every purpose', () => {
    expect(carrierErrorEffect('twilio', 'sms', '21610')).toEqual({
      kind: 'opt-out',
      channels: ['sms', 'text'],
      purposes: ['care', 'billing', 'marketing'],
      reason: 'twilio:21610',
    });
    expect(carrierErrorEffect('twilio', 'whatsapp', '63014')).toMatchObject({ kind: 'opt-out', channels: ['whatsapp'] });
  });

  it('records WhatsApp 131050 as a marketing-only opt-out (utility and care messages still go)', () => {
    expect(carrierErrorEffect('whatsapp-cloud', 'whatsapp', '131050')).toEqual({
      kind: 'opt-out',
      channels: ['whatsapp'],
      purposes: ['marketing'],
      reason: 'whatsapp-cloud:131050',
    });
  });

  it('marks numbers: 30003 unreachable (a warning), 30005 undeliverable and 30006 landline (both block)', () => {
    const states = ['30003', '30005', '30006'].map((code) => carrierErrorEffect('twilio', 'sms', code));
    expect(states.map((e) => (e.kind === 'contact-point' ? e.state : e.kind))).toEqual(['unreachable', 'undeliverable', 'landline']);
    expect(blocksSending('unreachable')).toBe(false);
    expect(blocksSending('undeliverable')).toBe(true);
    expect(blocksSending('landline')).toBe(true);
  });

  it('names the closed WhatsApp window the same way for both carriers', () => {
    expect(carrierErrorEffect('whatsapp-cloud', 'whatsapp', '131047')).toEqual({ kind: 'window-closed', reason: 'WHATSAPP_WINDOW_CLOSED' });
    expect(carrierErrorEffect('twilio', 'whatsapp', '63016')).toEqual({ kind: 'window-closed', reason: 'WHATSAPP_WINDOW_CLOSED' });
  });

  it('names an RCS-only message the handset could not take (no SMS consent, so no fallback)', () => {
    expect(carrierErrorEffect('twilio', 'text', '63106')).toEqual({ kind: 'none', reason: 'RCS_UNAVAILABLE_NO_SMS_CONSENT' });
  });

  it('keeps other codes as the reason, namespaced by carrier, with no state change', () => {
    expect(carrierErrorEffect('twilio', 'sms', '30007')).toEqual({ kind: 'none', reason: 'twilio:30007' });
    expect(carrierErrorEffect('simulator', 'sms', 'SIMULATED_UNDELIVERABLE')).toEqual({ kind: 'none', reason: 'SIMULATED_UNDELIVERABLE' });
  });
});
