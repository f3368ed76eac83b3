import { CHANNELS, type Channel } from '../messaging/channel.ts';

/** Purposes consent is recorded for; `care` is the default (PRODUCT.md safeguard 1). */
export const PURPOSES = ['care', 'billing', 'marketing'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const CONSENT_STATUSES = ['granted', 'revoked'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/**
 * Where a consent event came from. `sms_keyword` and `whatsapp_optout` are written only by Wardline itself
 * when a patient replies, `carrier_optout` when a carrier reports that the patient opted out there (Twilio 21610,
 * WhatsApp 131050); staff and integrations record the others through the API.
 */
export const CONSENT_SOURCES = [
  'intake_form',
  'sms_keyword',
  'whatsapp_optout',
  'carrier_optout',
  'phone',
  'portal',
  'staff',
  'salesforce',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** Sources that only inbound patient replies may produce; the API refuses them. */
export const SYSTEM_ONLY_SOURCES: readonly ConsentSource[] = ['sms_keyword', 'whatsapp_optout', 'carrier_optout'];

/** Evidence kept with each consent event: what the patient was shown, who captured it and when. */
export interface ConsentEvidence {
  readonly wordingShown?: string;
  readonly capturedBy?: string;
  readonly capturedAt?: string;
}

/** One entry of the append-only consent ledger. */
export interface ConsentEvent {
  readonly channel: Channel;
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly source: ConsentSource;
  /** Ledger order: strictly increasing, assigned by the database. */
  readonly sequence: number;
  readonly occurredAt: Date;
}

/** The effective consent for one channel and purpose, derived from the ledger. */
export type ConsentState =
  | { readonly status: 'never-granted' }
  | { readonly status: 'granted'; readonly since: Date; readonly source: ConsentSource }
  | { readonly status: 'revoked'; readonly since: Date; readonly source: ConsentSource };

/**
 * Derives the effective state of one channel × purpose: the last event in ledger order wins.
 * History is never rewritten, so this is the only place "current consent" is computed.
 * @param ledger - every consent event of one patient, in any order
 * @param channel - the channel asked about
 * @param purpose - the purpose asked about
 */
export function deriveConsentState(
  ledger: readonly ConsentEvent[],
  channel: Channel,
  purpose: Purpose,
): ConsentState {
  let last: ConsentEvent | undefined;
  for (const event of ledger) {
    if (event.channel !== channel || event.purpose !== purpose) continue;
    if (last === undefined || event.sequence > last.sequence) last = event;
  }
  if (last === undefined) return { status: 'never-granted' };
  return { status: last.status, since: last.occurredAt, source: last.source };
}

/** The outcome of the consent check made before queueing and again at dispatch. */
export type ConsentDecision =
  | { readonly allowed: true; readonly basis: 'consent' | 'override' }
  | { readonly allowed: false; readonly reason: 'never-granted' | 'revoked' | 'override-not-permitted' };

/** What the sender brings to a consent decision. */
export interface ConsentRequest {
  readonly channel: Channel;
  readonly purpose: Purpose;
  /** The sender asked for an override with a justification. */
  readonly overrideRequested: boolean;
  /** The sender holds `consent.override`. */
  readonly mayOverride: boolean;
}

/**
 * Default-deny consent policy (TCPA 47 CFR 64.1200(a)(10); CTIA opt-out; PRODUCT.md safeguard 1).
 * - granted → allowed;
 * - revoked → refused, always: a patient's opt-out is never overridden, by anyone, on any channel;
 * - never granted → refused, unless an override is requested by a holder of `consent.override`.
 * @param ledger - the patient's consent events
 * @param request - channel, purpose and override details
 */
export function decideConsent(ledger: readonly ConsentEvent[], request: ConsentRequest): ConsentDecision {
  const state = deriveConsentState(ledger, request.channel, request.purpose);
  switch (state.status) {
    case 'granted':
      return { allowed: true, basis: 'consent' };
    case 'revoked':
      return { allowed: false, reason: 'revoked' };
    case 'never-granted':
      if (!request.overrideRequested) return { allowed: false, reason: 'never-granted' };
      if (!request.mayOverride) return { allowed: false, reason: 'override-not-permitted' };
      return { allowed: true, basis: 'override' };
  }
}

/**
 * The re-check made at dispatch: a message queued on consent needs the consent still granted; one queued
 * on an override needs the consent not revoked since (an opt-out always wins).
 * @param ledger - the patient's consent events now
 * @param channel - the message's channel
 * @param purpose - the message's purpose
 * @param basis - on what the message was queued
 */
export function isStillSendable(
  ledger: readonly ConsentEvent[],
  channel: Channel,
  purpose: Purpose,
  basis: 'consent' | 'override',
): boolean {
  const state = deriveConsentState(ledger, channel, purpose);
  if (state.status === 'granted') return true;
  return basis === 'override' && state.status === 'never-granted';
}

/** Sources that carry the patient's own statement (a reply, a form, a call, the portal). */
export const PATIENT_SOURCES: readonly ConsentSource[] = ['sms_keyword', 'whatsapp_optout', 'carrier_optout', 'intake_form', 'phone', 'portal'];

/**
 * Whether a grant may be recorded now. After an opt-out only the patient can opt back in (CTIA: START/YES/UNSTOP
 * "only by the patient"): a grant from `staff` or `salesforce`, or one whose evidence predates the opt-out, is refused.
 * @param state - the current state of that channel and purpose
 * @param source - where the grant comes from
 * @param capturedAt - when the evidence was captured, if known
 */
export function mayRecordGrant(state: ConsentState, source: ConsentSource, capturedAt: Date | null): boolean {
  if (state.status !== 'revoked') return true;
  if (!PATIENT_SOURCES.includes(source)) return false;
  return capturedAt === null || capturedAt.getTime() >= state.since.getTime();
}

/** Every channel × purpose pair, in display order. */
export const CHANNELS_AND_PURPOSES: readonly (readonly [Channel, Purpose])[] = CHANNELS.flatMap((c) =>
  PURPOSES.map((p) => [c, p] as const),
);
