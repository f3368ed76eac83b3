import type { AuditActor } from '../core/access/actor.ts';
import { deriveConsentState, PURPOSES, type ConsentSource } from '../core/consent/consent.ts';
import { classifyInboundReply, type InboundIntent } from '../core/consent/inbound-intent.ts';
import { helpReply, optInConfirmation, optOutConfirmation } from '../core/consent/keyword-replies.ts';
import { DomainError } from '../core/errors.ts';
import type { E164, InboundMessageId, MessageId } from '../core/ids.ts';
import { CHANNELS, type Channel } from '../core/messaging/channel.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { parsePhone } from '../core/patients/phone-number.ts';
import { applyConsentChange } from './consent-changes.ts';
import type { AppDeps } from './context.ts';
import type { PatientRecord, StoreSession } from './ports.ts';
import { composedMessage } from './composed-message.ts';
import { detectWrongNumberReply } from './incident-detection.ts';

export interface InboundCommand {
  readonly from: Phi<string>;
  readonly channel: Channel;
  readonly body: Phi<string>;
  readonly providerMessageId: string | null;
  /**
   * The keyword class the carrier itself matched (Twilio Advanced Opt-Out's `OptOutType`). The carrier has already
   * acted on it (it blocks sends after STOP), so Wardline's ledger follows it even where its own classifier would not.
   */
  readonly carrierKeyword?: 'STOP' | 'START' | 'HELP' | null | undefined;
  /** The webhook request that brought the reply (its id and the caller's address), recorded on every audit event. */
  readonly origin?: InboundOrigin | undefined;
}

/** Where a carrier's delivery came from; absent when Wardline fetched it itself. */
export interface InboundOrigin {
  readonly requestId: string;
  readonly sourceAddress: string | null;
}

const NO_ORIGIN = { requestId: null, sourceAddress: null } as const;

function carrierIntent(keyword: 'STOP' | 'START' | 'HELP'): InboundIntent {
  switch (keyword) {
    case 'STOP':
      return { kind: 'opt-out', via: 'keyword', keyword: 'STOP', allChannels: false };
    case 'START':
      return { kind: 'opt-in', keyword: 'START' };
    case 'HELP':
      return { kind: 'help', keyword: 'HELP' };
  }
}

/**
 * The channels a STOP revokes. SMS and rich text reach the same phone number, and Twilio unifies SMS, MMS and RCS
 * opt-outs per sender (reference §2.5), so a STOP on either stops both; WhatsApp is its own channel.
 */
function optOutChannels(channel: Channel, allChannels: boolean): readonly Channel[] {
  if (allChannels) return CHANNELS;
  return channel === 'whatsapp' ? ['whatsapp'] : ['sms', 'text'];
}

export interface InboundOutcome {
  readonly id: InboundMessageId;
  readonly intent: InboundIntent['kind'];
  readonly matchedPatients: number;
  readonly needsReview: boolean;
  readonly replyMessageId: MessageId | null;
}

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };

/** Wording kept as evidence with keyword-driven consent events. */
const KEYWORD_EVIDENCE = 'Patient replied with an opt-out or opt-in keyword or phrase';

/**
 * Queues an automatic reply (STOP confirmation, START confirmation, HELP). These are exempt from the consent
 * check: the law requires them (FCC 24-24 one confirmation; CTIA HELP) and they carry no PHI.
 */
async function queueKeywordReply(
  deps: AppDeps,
  tx: StoreSession,
  patient: PatientRecord,
  channel: Channel,
  body: string,
  inReplyTo: InboundMessageId,
  origin: InboundOrigin | typeof NO_ORIGIN,
): Promise<MessageId> {
  const id = deps.ids.uuid() as MessageId;
  await tx.messages.queue(
    composedMessage({ id, patientId: patient.id, wardId: patient.wardId, channel, category: 'administrative', purpose: 'care', body: phi(body), consentBasis: 'keyword-reply', inReplyTo, sender: SYSTEM }),
    [
      {
        actor: SYSTEM,
        action: 'message.queued',
        outcome: 'success',
        targetType: 'message',
        targetId: id,
        patientId: patient.id,
        reason: 'keyword-reply',
        ...origin,
        details: { channel, consentBasis: 'keyword-reply' },
      },
    ],
    deps.clock.now(),
  );
  return id;
}

function keywordSource(channel: Channel): ConsentSource {
  return channel === 'whatsapp' ? 'whatsapp_optout' : 'sms_keyword';
}

/**
 * Handles a patient's reply, whichever carrier brought it. STOP-family keywords and clear revocation phrases
 * revoke consent for that channel at once (every purpose), cancel queued messages and send exactly one
 * confirmation; START/UNSTOP/YES re-grants `care` with the patient as source; HELP/INFO answers; everything
 * else is stored and flagged for staff review — never silently dropped (FCC 24-24, CTIA, reference §2).
 * @param deps - app dependencies
 * @param cmd - the reply as the carrier adapter parsed it
 */
export async function handleInbound(deps: AppDeps, cmd: InboundCommand): Promise<InboundOutcome> {
  const parsed = parsePhone(reveal(cmd.from), deps.settings.defaultRegion);
  if (!parsed.ok) {
    throw new DomainError('INVALID_PHONE_NUMBER', 'from is not a valid phone number', {
      issues: [{ pointer: '/body/from', message: 'from is not a valid phone number' }],
    });
  }
  const from: Phi<E164> = phi(parsed.e164);
  const classified = classifyInboundReply(reveal(cmd.body));
  const intent = cmd.carrierKeyword !== undefined && cmd.carrierKeyword !== null && classified.kind !== carrierIntent(cmd.carrierKeyword).kind
    ? carrierIntent(cmd.carrierKeyword)
    : classified;
  const patients = await deps.store.patients.findByContact(cmd.channel, from);
  const id = deps.ids.uuid() as InboundMessageId;
  const first = patients[0];
  const needsReview = intent.kind === 'review' || first === undefined;
  const now = deps.clock.now();

  const replyMessageId = await deps.store.transaction(async (tx) => {
    await tx.inbound.insert({
      id,
      patientId: first?.id ?? null,
      wardId: first?.wardId ?? null,
      channel: cmd.channel,
      intent: intent.kind,
      reviewReason: intent.kind === 'review' ? intent.reason : first === undefined ? 'unknown-sender' : null,
      needsReview,
      receivedAt: now,
      fromIndex: from,
      body: cmd.body,
      providerMessageId: cmd.providerMessageId,
    });
    for (const patient of patients.length > 0 ? patients : [null]) {
      await tx.audit.append({
        actor: patient === null ? SYSTEM : { type: 'patient', id: patient.id },
        action: needsReview ? 'inbound.flagged' : 'inbound.received',
        outcome: 'success',
        targetType: 'inbound',
        targetId: id,
        patientId: patient?.id ?? null,
        reason: intent.kind === 'review' ? intent.reason : intent.kind,
        ...(cmd.origin ?? NO_ORIGIN),
        details: { channel: cmd.channel },
      });
    }
    if (first === undefined) return null;
    // A message from the number proves it exists and takes texts: clear what carriers said against it.
    await tx.contactPoints.clear(patients.map((p) => p.id), cmd.channel === 'whatsapp' ? 'whatsapp' : 'phone');
    // When the carrier matched the keyword itself it has already answered the patient (Twilio Advanced Opt-Out):
    // a second confirmation would break the one-confirmation rule (FCC 24-24).
    const carrierReplied = cmd.carrierKeyword !== undefined && cmd.carrierKeyword !== null;
    return applyIntent(deps, tx, { intent, patients, first, channel: cmd.channel, inboundId: id, now, carrierReplied, origin: cmd.origin ?? NO_ORIGIN });
  });
  if (replyMessageId !== null) deps.wakeDispatcher();
  // A wrong recipient (issue 7): an incident draft, after the reply is safely stored — the reply also stays in the
  // review queue, so a detection that fails is never a silently dropped signal.
  if (intent.kind === 'review' && intent.reason === 'possible-wrong-number' && patients.length > 0) {
    const origin = cmd.origin ?? NO_ORIGIN;
    await detectWrongNumberReply(deps, { inboundId: id, providerMessageId: cmd.providerMessageId, channel: cmd.channel, patientIds: patients.map((p) => p.id), origin: { requestId: origin.requestId, sourceAddress: origin.sourceAddress } });
  }
  return { id, intent: intent.kind, matchedPatients: patients.length, needsReview, replyMessageId };
}

async function applyIntent(
  deps: AppDeps,
  tx: StoreSession,
  p: { intent: InboundIntent; patients: readonly PatientRecord[]; first: PatientRecord; channel: Channel; inboundId: InboundMessageId; now: Date; carrierReplied: boolean; origin: InboundOrigin | typeof NO_ORIGIN },
): Promise<MessageId | null> {
  const org = deps.settings.organisation;
  const reply = (body: string): Promise<MessageId | null> =>
    p.carrierReplied ? Promise.resolve(null) : queueKeywordReply(deps, tx, p.first, p.channel, body, p.inboundId, p.origin);
  switch (p.intent.kind) {
    case 'help':
      return reply(helpReply(org));
    case 'review':
      return null;
    case 'opt-out': {
      const channels = optOutChannels(p.channel, p.intent.allChannels);
      let changed = false;
      for (const patient of p.patients) {
        await tx.consents.lockPatient(patient.id);
        const ledger = await tx.consents.ledger(patient.id);
        const open = PURPOSES.filter((purpose) => channels.some((c) => deriveConsentState(ledger, c, purpose).status !== 'revoked'));
        if (open.length === 0) continue;
        changed = true;
        await applyConsentChange(tx, {
          patientId: patient.id,
          channels,
          purposes: PURPOSES,
          status: 'revoked',
          source: keywordSource(p.channel),
          evidence: { wordingShown: KEYWORD_EVIDENCE, capturedBy: 'wardline', capturedAt: p.now.toISOString() },
          actor: { type: 'patient', id: patient.id },
          ...p.origin,
          inboundMessageId: p.inboundId,
          at: p.now,
        }, deps.ids.uuid);
      }
      // One confirmation, and only when this reply changed something (a repeated STOP gets none).
      return changed ? reply(optOutConfirmation(org)) : null;
    }
    case 'opt-in': {
      for (const patient of p.patients) {
        await tx.consents.lockPatient(patient.id);
        const ledger = await tx.consents.ledger(patient.id);
        if (deriveConsentState(ledger, p.channel, 'care').status === 'granted') continue;
        await applyConsentChange(tx, {
          patientId: patient.id,
          channels: [p.channel],
          purposes: ['care'],
          status: 'granted',
          source: keywordSource(p.channel),
          evidence: { wordingShown: KEYWORD_EVIDENCE, capturedBy: 'wardline', capturedAt: p.now.toISOString() },
          actor: { type: 'patient', id: patient.id },
          ...p.origin,
          inboundMessageId: p.inboundId,
          at: p.now,
        }, deps.ids.uuid);
      }
      return reply(optInConfirmation(org));
    }
  }
}
