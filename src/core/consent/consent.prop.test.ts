import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { CHANNELS, type Channel } from '../messaging/channel.ts';
import {
  CONSENT_SOURCES,
  CONSENT_STATUSES,
  PATIENT_SOURCES,
  PURPOSES,
  decideConsent,
  deriveConsentState,
  isStillSendable,
  mayRecordGrant,
  type ConsentEvent,
  type ConsentSource,
  type ConsentState,
  type Purpose,
} from './consent.ts';

const channelArb = fc.constantFrom(...CHANNELS);
const purposeArb = fc.constantFrom(...PURPOSES);
const sourceArb = fc.constantFrom(...CONSENT_SOURCES);

/** A ledger of events with distinct sequences, in arbitrary (shuffled) order. */
const ledgerArb = fc
  .array(
    fc.record({
      channel: channelArb,
      purpose: purposeArb,
      status: fc.constantFrom(...CONSENT_STATUSES),
      source: sourceArb,
      occurredAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
    }),
    { maxLength: 30 },
  )
  .chain((events) =>
    fc
      .shuffledSubarray(
        events.map((e, i): ConsentEvent => ({ ...e, sequence: i + 1 })),
        { minLength: events.length, maxLength: events.length },
      ),
  );

/** The reference: the event with the highest sequence for this channel and purpose. */
function lastFor(ledger: readonly ConsentEvent[], channel: Channel, purpose: Purpose): ConsentEvent | undefined {
  return [...ledger].filter((e) => e.channel === channel && e.purpose === purpose).sort((a, b) => a.sequence - b.sequence).at(-1);
}

function event(seq: number, status: 'granted' | 'revoked', over: Partial<ConsentEvent> = {}): ConsentEvent {
  return { channel: 'sms', purpose: 'care', status, source: 'intake_form', sequence: seq, occurredAt: new Date(Date.UTC(2025, 0, seq)), ...over };
}

describe('decideConsent properties', () => {
  test.prop([ledgerArb, channelArb, purposeArb, fc.boolean()])(
    'allows a non-override send only when the last event for that channel and purpose is a grant',
    (ledger, channel, purpose, mayOverride) => {
      const decision = decideConsent(ledger, { channel, purpose, overrideRequested: false, mayOverride });
      const last = lastFor(ledger, channel, purpose);
      expect(decision.allowed).toBe(last?.status === 'granted');
      if (decision.allowed) expect(decision.basis).toBe('consent');
    },
  );

  test.prop([ledgerArb, channelArb, purposeArb, fc.boolean(), fc.boolean()])(
    'never allows any send, override or not, when the last event is a revoke',
    (ledger, channel, purpose, overrideRequested, mayOverride) => {
      const last = lastFor(ledger, channel, purpose);
      fc.pre(last?.status === 'revoked');
      const decision = decideConsent(ledger, { channel, purpose, overrideRequested, mayOverride });
      expect(decision).toEqual({ allowed: false, reason: 'revoked' });
    },
  );

  test.prop([ledgerArb, channelArb, purposeArb, fc.boolean(), fc.boolean()])(
    'allows an override only on a never-consented channel and only for a holder of consent.override',
    (ledger, channel, purpose, overrideRequested, mayOverride) => {
      const decision = decideConsent(ledger, { channel, purpose, overrideRequested, mayOverride });
      if (decision.allowed && decision.basis === 'override') {
        expect(lastFor(ledger, channel, purpose)).toBeUndefined();
        expect(overrideRequested && mayOverride).toBe(true);
      }
    },
  );

  test.prop([ledgerArb, channelArb, purposeArb, sourceArb, fc.constantFrom('consent' as const, 'override' as const)])(
    'isStillSendable is false after a final revoke, whatever the basis',
    (ledger, channel, purpose, source, basis) => {
      const withRevoke = [...ledger, event(ledger.length + 1, 'revoked', { channel, purpose, source })];
      expect(isStillSendable(withRevoke, channel, purpose, basis)).toBe(false);
    },
  );

  test.prop([ledgerArb, channelArb, purposeArb])('isStillSendable agrees with the last event', (ledger, channel, purpose) => {
    const last = lastFor(ledger, channel, purpose);
    expect(isStillSendable(ledger, channel, purpose, 'consent')).toBe(last?.status === 'granted');
    expect(isStillSendable(ledger, channel, purpose, 'override')).toBe(last === undefined || last.status === 'granted');
  });

  test.prop([ledgerArb, channelArb, purposeArb])('an event on another channel or purpose never changes the decision', (ledger, channel, purpose) => {
    const others = ledger.filter((e) => e.channel !== channel || e.purpose !== purpose);
    const own = ledger.filter((e) => e.channel === channel && e.purpose === purpose);
    expect(deriveConsentState(ledger, channel, purpose)).toEqual(deriveConsentState(own, channel, purpose));
    expect(deriveConsentState(others, channel, purpose)).toEqual({ status: 'never-granted' });
  });

  test.prop([
    ledgerArb,
    channelArb,
    purposeArb,
    fc.constantFrom<ConsentSource>('staff', 'salesforce'),
    fc.option(fc.date({ noInvalidDate: true }), { nil: null }),
  ])('mayRecordGrant refuses staff and integration grants after a revoke', (ledger, channel, purpose, source, capturedAt) => {
    const withRevoke = [...ledger, event(ledger.length + 1, 'revoked', { channel, purpose, source: 'sms_keyword' })];
    const state = deriveConsentState(withRevoke, channel, purpose);
    expect(state.status).toBe('revoked');
    expect(mayRecordGrant(state, source, capturedAt)).toBe(false);
  });

  test.prop([ledgerArb, channelArb, purposeArb, sourceArb, fc.option(fc.date({ noInvalidDate: true }), { nil: null })])(
    'mayRecordGrant allows any grant unless the channel is revoked',
    (ledger, channel, purpose, source, capturedAt) => {
      const state = deriveConsentState(ledger, channel, purpose);
      fc.pre(state.status !== 'revoked');
      expect(mayRecordGrant(state, source, capturedAt)).toBe(true);
    },
  );
});

describe('deriveConsentState', () => {
  it('is never-granted for an empty ledger', () => {
    expect(deriveConsentState([], 'sms', 'care')).toEqual({ status: 'never-granted' });
  });

  it('takes the highest sequence, not the array order or the timestamp', () => {
    const ledger = [event(3, 'revoked', { occurredAt: new Date('2020-01-01') }), event(1, 'granted'), event(2, 'granted', { occurredAt: new Date('2029-01-01') })];
    expect(deriveConsentState(ledger, 'sms', 'care')).toEqual({ status: 'revoked', since: new Date('2020-01-01'), source: 'intake_form' });
  });

  it('reports the source and time of the last event', () => {
    const at = new Date('2025-06-01T10:00:00Z');
    expect(deriveConsentState([event(1, 'granted', { source: 'portal', occurredAt: at })], 'sms', 'care')).toEqual({ status: 'granted', since: at, source: 'portal' });
  });
});

describe('decideConsent branches', () => {
  const req = { channel: 'sms' as const, purpose: 'care' as const };

  it('allows on consent when granted, even if an override is also requested', () => {
    expect(decideConsent([event(1, 'granted')], { ...req, overrideRequested: true, mayOverride: true })).toEqual({ allowed: true, basis: 'consent' });
    expect(decideConsent([event(1, 'granted')], { ...req, overrideRequested: false, mayOverride: false })).toEqual({ allowed: true, basis: 'consent' });
  });

  it('refuses a revoked channel even to an override holder', () => {
    const ledger = [event(1, 'granted'), event(2, 'revoked', { source: 'sms_keyword' })];
    expect(decideConsent(ledger, { ...req, overrideRequested: true, mayOverride: true })).toEqual({ allowed: false, reason: 'revoked' });
  });

  it('refuses a never-granted channel without an override', () => {
    expect(decideConsent([], { ...req, overrideRequested: false, mayOverride: true })).toEqual({ allowed: false, reason: 'never-granted' });
  });

  it('refuses an override from someone without consent.override', () => {
    expect(decideConsent([], { ...req, overrideRequested: true, mayOverride: false })).toEqual({ allowed: false, reason: 'override-not-permitted' });
  });

  it('allows an override on a never-granted channel for a holder of consent.override', () => {
    expect(decideConsent([], { ...req, overrideRequested: true, mayOverride: true })).toEqual({ allowed: true, basis: 'override' });
  });

  it('treats consent per purpose: care consent does not cover marketing', () => {
    expect(decideConsent([event(1, 'granted')], { channel: 'sms', purpose: 'marketing', overrideRequested: false, mayOverride: false })).toEqual({ allowed: false, reason: 'never-granted' });
  });

  it('treats consent per channel: sms consent does not cover whatsapp', () => {
    expect(decideConsent([event(1, 'granted')], { channel: 'whatsapp', purpose: 'care', overrideRequested: false, mayOverride: false })).toEqual({ allowed: false, reason: 'never-granted' });
  });

  it('allows again after a patient re-grant following a revoke', () => {
    const ledger = [event(1, 'granted'), event(2, 'revoked', { source: 'sms_keyword' }), event(3, 'granted', { source: 'sms_keyword' })];
    expect(decideConsent(ledger, { ...req, overrideRequested: false, mayOverride: false })).toEqual({ allowed: true, basis: 'consent' });
  });
});

describe('isStillSendable branches', () => {
  it('sends a consent-based message while consent is granted', () => {
    expect(isStillSendable([event(1, 'granted')], 'sms', 'care', 'consent')).toBe(true);
  });
  it('stops a consent-based message when consent was never granted', () => {
    expect(isStillSendable([], 'sms', 'care', 'consent')).toBe(false);
  });
  it('sends an override message while the channel is still never-granted', () => {
    expect(isStillSendable([], 'sms', 'care', 'override')).toBe(true);
  });
  it('stops an override message once the patient opted out', () => {
    expect(isStillSendable([event(1, 'revoked', { source: 'sms_keyword' })], 'sms', 'care', 'override')).toBe(false);
  });
  it('stops a consent-based message once revoked', () => {
    expect(isStillSendable([event(1, 'granted'), event(2, 'revoked')], 'sms', 'care', 'consent')).toBe(false);
  });
});

describe('mayRecordGrant branches', () => {
  const since = new Date('2025-03-01T12:00:00Z');
  const revoked: ConsentState = { status: 'revoked', since, source: 'sms_keyword' };

  it('allows any source when never granted or granted', () => {
    for (const source of CONSENT_SOURCES) {
      expect(mayRecordGrant({ status: 'never-granted' }, source, null)).toBe(true);
      expect(mayRecordGrant({ status: 'granted', since, source: 'intake_form' }, source, null)).toBe(true);
    }
  });

  it('refuses staff and salesforce after a revoke', () => {
    expect(mayRecordGrant(revoked, 'staff', null)).toBe(false);
    expect(mayRecordGrant(revoked, 'salesforce', new Date('2026-01-01'))).toBe(false);
  });

  it('allows patient sources after a revoke when the evidence is not older than the opt-out', () => {
    for (const source of PATIENT_SOURCES) {
      expect(mayRecordGrant(revoked, source, null)).toBe(true);
      expect(mayRecordGrant(revoked, source, since)).toBe(true);
      expect(mayRecordGrant(revoked, source, new Date(since.getTime() + 1))).toBe(true);
    }
  });

  it('refuses patient-source evidence captured before the opt-out', () => {
    for (const source of PATIENT_SOURCES) {
      expect(mayRecordGrant(revoked, source, new Date(since.getTime() - 1))).toBe(false);
    }
  });
});
