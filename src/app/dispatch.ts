import type { AuditActor } from '../core/access/actor.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { deriveConsentState, isStillSendable } from '../core/consent/consent.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { blocksSending, carrierErrorEffect } from '../core/messaging/carrier-errors.ts';
import { WHATSAPP_WINDOW_MS } from '../core/messaging/channel.ts';
import { checkHealthcareExemption } from '../core/messaging/exemption.ts';
import { planSlots } from '../core/messaging/pacing.ts';
import { candidateZones, evaluateSendWindow } from '../core/messaging/send-window.ts';
import { reveal } from '../core/phi/phi.ts';
import { SECURE_LINK_CODE_RECORD } from '../core/secure-link/secure-link.ts';
import { applyCarrierEffects, contactPointKindOf, needsPatientLocks, type CarrierEffectItem } from './carrier-effects.ts';
import { senderFor, type AppDeps } from './context.ts';
import { detectCarrierReports } from './incident-detection.ts';
import type { ConsentEventRecord, ContactPointRecord, ContactPointSuspension, MessageContent, MessageRecord, OutboundEnvelope, OutboxClaim, PatientRecord, SendResult, Sender, StoreSession, TemplateSend } from './ports.ts';
import { toStatusChangeBatch, type StatusChange } from './status-changes.ts';

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };
/** After this many attempts a transient carrier fault becomes a failure. */
export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** How long a message to a suspended contact point waits before dispatch looks again (re-verification resumes it at once). */
const SUSPENSION_RECHECK_MS = 6 * 60 * 60_000;
/**
 * Pacing: slots start a little after the reservation (its commit never makes the first one late) and are handed out
 * at most a second ahead; the rest of a batch goes back to the queue, due when its turn comes.
 */
const PACE = { leadMs: 25, horizonMs: 1000 } as const;

interface Send {
  readonly claim: OutboxClaim;
  readonly patientId: PatientId;
  readonly sender: Sender;
  readonly envelope: OutboundEnvelope;
  /** When to hand it over (a paced sender's slot), or null for at once. */
  readonly slot: Date | null;
  /** When this attempt began (the start of the doubt, should its outcome be unknown). */
  readonly attemptAt: Date;
}

type Candidate = Omit<Send, 'slot'>;

/** A reason a message cannot go now, decided at dispatch. */
type Verdict =
  | { readonly kind: 'send'; readonly candidate: Candidate }
  | { readonly kind: 'done' }
  | { readonly kind: 'end'; readonly status: 'cancelled' | 'failed'; readonly reason: string }
  | { readonly kind: 'hold'; readonly until: Date; readonly reason: 'QUIET_HOURS' | 'CONTACT_POINT_SUSPENDED' };

/** What decide reads for a whole batch, in a handful of queries. */
interface BatchView {
  readonly messages: Map<MessageId, MessageRecord>;
  readonly patients: Map<PatientId, PatientRecord>;
  readonly ledgers: Map<PatientId, ConsentEventRecord[]>;
  readonly contents: Map<MessageId, MessageContent>;
  readonly contactPoints: Map<PatientId, ContactPointRecord[]>;
  /** Contact points incident response suspended or paused (issue 7): their messages wait. */
  readonly suspensions: Map<PatientId, ContactPointSuspension[]>;
  readonly lastWhatsapp: Map<PatientId, Date>;
  readonly exemptSends: Map<PatientId, { readonly messageId: MessageId; readonly at: Date; readonly handedOver: boolean }[]>;
  /** Exempt sends approved earlier in this batch, per patient. */
  readonly exemptInBatch: Map<PatientId, Date[]>;
}

/** Quiet hours (reference §2.3): when the recipient's send window next opens, or null when it is open now. */
function quietHoursHold(deps: AppDeps, message: MessageRecord, patient: PatientRecord, now: Date): Date | null {
  const policy = deps.settings.sendingPolicy;
  if (policy.quietHours === 'off') return null;
  // Confirmations of a patient's own STOP/START/HELP answer the patient; they are due at once (FCC 24-24).
  if (message.consentBasis === 'keyword-reply') return null;
  // A secure link's one-time code answers the patient's request of a moment ago and expires in minutes.
  if (message.sender.type === 'system' && message.relatedRecord?.type === SECURE_LINK_CODE_RECORD) return null;
  if (message.urgent && policy.quietHoursBypass.includes(message.category)) return null;
  const number = reveal(message.channel === 'whatsapp' ? (patient.whatsapp ?? patient.phone) : patient.phone);
  const found = candidateZones(patient.timezone, number);
  const zones = found.length > 0 ? found : [policy.defaultTimeZone];
  const window = evaluateSendWindow(now, zones, policy.quietHours);
  if (window.open) return null;
  if (window.opensAt !== null) return window.opensAt;
  // The zones' windows never overlap (a region spanning more hours than the window is long): use the first zone.
  const first = evaluateSendWindow(now, zones.slice(0, 1), policy.quietHours);
  return first.open ? null : (first.opensAt ?? new Date(now.getTime() + DAY_MS));
}

function judge(deps: AppDeps, view: BatchView, claim: OutboxClaim, now: Date): Verdict {
  const message = view.messages.get(claim.messageId);
  // `sending` again means an earlier attempt did not finish; the carrier is asked before anything is sent twice.
  if (message === undefined || (message.status !== 'queued' && message.status !== 'sending') || message.providerMessageId !== null) {
    return { kind: 'done' };
  }
  const ledger = view.ledgers.get(message.patientId) ?? [];
  if (message.consentBasis !== 'keyword-reply' && !isStillSendable(ledger, message.channel, message.purpose, message.consentBasis)) {
    return { kind: 'end', status: 'cancelled', reason: 'CONSENT_REVOKED' };
  }
  const patient = view.patients.get(message.patientId);
  const to = message.channel === 'whatsapp' ? patient?.whatsapp : patient?.phone;
  const content = view.contents.get(message.id);
  if (patient === undefined || to === null || to === undefined || content === undefined) {
    return { kind: 'end', status: 'failed', reason: 'NO_CONTACT_POINT' };
  }
  const kind = contactPointKindOf(message.channel);
  const blocked = (view.contactPoints.get(patient.id) ?? []).find((c) => c.kind === kind && blocksSending(c.state));
  if (blocked !== undefined) return { kind: 'end', status: 'failed', reason: `CONTACT_POINT_${blocked.state.toUpperCase()}` };
  // Suspended or paused by incident response: held, not failed, so lifting the suspension (re-verification) resumes it.
  // A STOP/START/HELP answer still goes: it carries no PHI, and its sender (whoever holds the number) is owed exactly
  // one confirmation (FCC 24-24).
  if (message.consentBasis !== 'keyword-reply' && (view.suspensions.get(patient.id) ?? []).some((s) => s.kind === kind)) return { kind: 'hold', until: new Date(now.getTime() + SUSPENSION_RECHECK_MS), reason: 'CONTACT_POINT_SUSPENDED' };
  const sender = senderFor(deps, message.channel);
  if (sender === null) return { kind: 'end', status: 'failed', reason: 'CHANNEL_NOT_CONFIGURED' };
  // Outside WhatsApp's 24-hour window only an approved Meta template may go; inside it the rendered text goes as is.
  let template: TemplateSend | null = null;
  if (message.channel === 'whatsapp') {
    const last = view.lastWhatsapp.get(patient.id);
    if (last === undefined || now.getTime() - last.getTime() >= WHATSAPP_WINDOW_MS) {
      const metaName = message.template?.metaName ?? null;
      if (message.template === null || metaName === null) return { kind: 'end', status: 'failed', reason: 'WHATSAPP_WINDOW_CLOSED' };
      template = { name: metaName, language: message.template.language, parameters: content.templateParameters };
    }
  }
  const until = quietHoursHold(deps, message, patient, now);
  if (until !== null) return { kind: 'hold', until, reason: 'QUIET_HOURS' };
  if (message.exempt) {
    const earlier = (view.exemptSends.get(patient.id) ?? []).filter((s) => s.handedOver && s.messageId !== message.id).map((s) => s.at);
    const inBatch = view.exemptInBatch.get(patient.id) ?? [];
    const verdict = checkHealthcareExemption({ body: reveal(content.body), now, previousSends: [...earlier, ...inBatch] });
    if (!verdict.ok) return { kind: 'end', status: 'failed', reason: `EXEMPT_${verdict.rule.toUpperCase().replaceAll('-', '_')}` };
    view.exemptInBatch.set(patient.id, [...inBatch, now]);
  }
  return {
    kind: 'send',
    candidate: {
      claim,
      patientId: patient.id,
      sender,
      attemptAt: now,
      envelope: {
        messageId: message.id,
        channel: message.channel,
        to,
        body: content.body,
        mediaUrls: content.mediaUrls,
        // RCS may fall back to SMS only where the patient agreed to SMS for the same purpose (PRODUCT.md channels).
        smsFallback: message.channel === 'text' && deriveConsentState(ledger, 'sms', message.purpose).status === 'granted',
        template,
      },
    },
  };
}

/**
 * Phase 1, one transaction for the whole batch, under the patients' row locks: re-check consent at dispatch (an
 * opt-out that arrived while a message was queued wins), the contact point, the WhatsApp window, quiet hours and the
 * exemption limits; reserve the senders' send slots; mark what goes `sending`, and remember that from here on a
 * crash leaves its outcome in doubt.
 */
async function decide(deps: AppDeps, claims: readonly OutboxClaim[]): Promise<Send[]> {
  return deps.store.transaction(async (tx) => {
    const ids = claims.map((c) => c.messageId);
    await tx.consents.lockPatientsOfMessages(ids);
    const messages = new Map((await tx.messages.getManyForUpdate(ids)).map((m) => [m.id, m]));
    const patientIds = [...new Set([...messages.values()].map((m) => m.patientId))];
    const now = deps.clock.now();
    const anyExempt = [...messages.values()].some((m) => m.exempt);
    const anyWhatsapp = [...messages.values()].some((m) => m.channel === 'whatsapp');
    const view: BatchView = {
      messages,
      ledgers: await tx.consents.ledgers(patientIds),
      patients: new Map((await tx.patients.getMany(patientIds)).map((p) => [p.id, p])),
      contents: await tx.messages.contents(ids),
      contactPoints: await tx.contactPoints.get(patientIds),
      suspensions: await tx.suspensions.active(patientIds),
      lastWhatsapp: anyWhatsapp ? await tx.inbound.lastReceived(patientIds, 'whatsapp') : new Map<PatientId, Date>(),
      exemptSends: anyExempt ? await tx.messages.exemptSends(patientIds, new Date(now.getTime() - 7 * DAY_MS)) : new Map<PatientId, { messageId: MessageId; at: Date; handedOver: boolean }[]>(),
      exemptInBatch: new Map(),
    };
    const changes: StatusChange[] = [];
    const done: number[] = [];
    const deferred: { outboxId: number; availableAt: Date }[] = [];
    const audits: AuditEventInput[] = [];
    const candidates: Candidate[] = [];
    for (const claim of claims) {
      const verdict = judge(deps, view, claim, now);
      const message = messages.get(claim.messageId);
      switch (verdict.kind) {
        case 'done':
          done.push(claim.outboxId);
          break;
        case 'end':
          if (message !== undefined) {
            changes.push({ messageId: message.id, patientId: message.patientId, status: verdict.status, reason: verdict.reason, source: 'wardline', at: now, actor: SYSTEM, requestId: null });
          }
          done.push(claim.outboxId);
          break;
        case 'hold':
          deferred.push({ outboxId: claim.outboxId, availableAt: verdict.until });
          if (message !== undefined && message.heldUntil?.getTime() !== verdict.until.getTime()) {
            await tx.messages.hold(message.id, verdict.until);
            audits.push({ actor: SYSTEM, action: 'message.held', outcome: 'success', targetType: 'message', targetId: message.id, patientId: message.patientId, reason: verdict.reason, requestId: null, details: { until: verdict.until.toISOString() } });
          }
          break;
        case 'send':
          candidates.push(verdict.candidate);
          break;
      }
    }
    const sends = await reserveSlots(deps, tx, candidates, now, deferred);
    for (const send of sends) {
      if (messages.get(send.envelope.messageId)?.status === 'queued') {
        changes.push({ messageId: send.envelope.messageId, patientId: send.patientId, status: 'sending', reason: null, source: 'wardline', at: now, actor: SYSTEM, requestId: null });
      }
    }
    const batch = toStatusChangeBatch(changes);
    await tx.messages.recordStatusChanges({ ...batch, audits: [...batch.audits, ...audits] });
    await tx.outbox.markInDoubt(sends.map((s) => s.claim.outboxId), now);
    await tx.outbox.defer(deferred);
    await tx.outbox.complete(done);
    return sends;
  });
}

/**
 * Gives each candidate of a paced sender a slot (GCRA under the sender's row lock, shared by every dispatcher on the
 * database); those beyond the horizon go back to the queue, each due shortly before its turn.
 */
async function reserveSlots(
  deps: AppDeps,
  tx: StoreSession,
  candidates: readonly Candidate[],
  now: Date,
  deferred: { outboxId: number; availableAt: Date }[],
): Promise<Send[]> {
  const sends: Send[] = [];
  const bySender = new Map<string, Candidate[]>();
  for (const c of candidates) {
    if (c.sender.ratePerSecond === null) sends.push({ ...c, slot: null });
    else bySender.set(c.sender.id, [...(bySender.get(c.sender.id) ?? []), c]);
  }
  for (const [senderId, group] of bySender) {
    const rate = (group[0]?.sender.ratePerSecond ?? 1) * (1 - deps.settings.sendingPolicy.pacingMargin);
    const plan = await tx.senders.reserve(senderId, (next) => planSlots(next, now, group.length, { ratePerSecond: rate, ...PACE }));
    const interval = 1000 / rate;
    group.forEach((c, i) => {
      const slot = plan.slots[i];
      if (slot !== undefined) {
        sends.push({ ...c, slot });
        return;
      }
      const turn = plan.next.getTime() + (i - plan.slots.length) * interval - PACE.horizonMs;
      deferred.push({ outboxId: c.claim.outboxId, availableAt: new Date(Math.max(turn, now.getTime() + PACE.leadMs)) });
    });
  }
  return sends;
}

/** The answer when a send missed its paced slot: nothing went out; it goes back to the queue, no attempt counted. */
const SLOT_MISSED: SendResult = { ok: false, outcome: 'rejected', retryable: true, errorCode: 'PACING_SLOT_MISSED' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Phase 2, outside any transaction: if an earlier attempt's outcome is unknown, ask the carrier first (never twice);
 * then wait for the slot and hand the message over.
 */
async function attempt(deps: AppDeps, send: Send): Promise<SendResult> {
  const provider = send.sender.provider;
  if (send.claim.inDoubtSince !== null) {
    const found = await provider.reconcile(send.envelope, send.claim.inDoubtSince).catch(() => ({ found: false as const, certain: false }));
    if (found.found) return { ok: true, providerMessageId: found.providerMessageId };
    if (!found.certain) return { ok: false, outcome: 'unknown', retryable: true, errorCode: 'OUTCOME_UNKNOWN' };
  }
  if (send.slot !== null) {
    const wait = send.slot.getTime() - deps.clock.now().getTime();
    if (wait > 0) await sleep(wait);
    // A send that goes out later than the pacing margin absorbs could crowd the next second's sends into one
    // window with it: give the slot up and take a new one instead. Half the margin is kept for the time the
    // request still needs to leave the process.
    const late = deps.clock.now().getTime() - send.slot.getTime();
    if (late > (deps.settings.sendingPolicy.pacingMargin * 1000) / 2) return SLOT_MISSED;
  }
  return provider.send(send.envelope).catch((): SendResult => ({ ok: false, outcome: 'unknown', retryable: true, errorCode: 'NETWORK' }));
}

/** Backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 5 minutes. */
function backoffMs(attemptNo: number): number {
  return Math.min(300_000, 1000 * 2 ** (attemptNo - 1));
}

/**
 * Phase 3, one transaction for the batch: remember accepted messages, schedule retries (keeping the doubt of an
 * unknown outcome), record failures and what carrier errors say about consent and numbers.
 */
async function record(deps: AppDeps, sends: readonly Send[], results: readonly SendResult[]): Promise<void> {
  const now = deps.clock.now();
  const accepted: { messageId: MessageId; provider: string; providerMessageId: string }[] = [];
  const retries: { outboxId: number; at: Date; errorCode: string; inDoubtSince: Date | null }[] = [];
  const failures: StatusChange[] = [];
  const effects: CarrierEffectItem[] = [];
  const done: number[] = [];
  const missed: { outboxId: number; availableAt: Date; inDoubtSince: Date | null }[] = [];
  sends.forEach((send, i) => {
    const result = results[i] ?? { ok: false, outcome: 'unknown', retryable: true, errorCode: 'NETWORK' };
    const { messageId, channel } = send.envelope;
    if (result === SLOT_MISSED) {
      missed.push({ outboxId: send.claim.outboxId, availableAt: now, inDoubtSince: send.claim.inDoubtSince });
      return;
    }
    if (result.ok) {
      accepted.push({ messageId, provider: send.sender.provider.name, providerMessageId: result.providerMessageId });
      done.push(send.claim.outboxId);
      return;
    }
    const unknown = result.outcome === 'unknown';
    if (result.retryable && send.claim.attempts < MAX_ATTEMPTS) {
      const wait = Math.max(backoffMs(send.claim.attempts), result.retryAfterMs ?? 0);
      retries.push({ outboxId: send.claim.outboxId, at: new Date(now.getTime() + wait), errorCode: result.errorCode, inDoubtSince: unknown ? (send.claim.inDoubtSince ?? send.attemptAt) : null });
      return;
    }
    const effect = carrierErrorEffect(send.sender.provider.name, channel, result.errorCode);
    // Out of attempts with the outcome still unknown: never risk a second send; staff see why and may resend.
    const reason = unknown ? 'SEND_OUTCOME_UNKNOWN' : effect.reason;
    failures.push({ messageId, patientId: send.patientId, status: 'failed', reason, source: 'wardline', at: now, actor: SYSTEM, requestId: null });
    if (!unknown) effects.push({ patientId: send.patientId, channel, effect, messageId });
    done.push(send.claim.outboxId);
  });
  await deps.store.transaction(async (tx) => {
    const ids = sends.map((send) => send.envelope.messageId);
    // Lock order everywhere: patients, then messages in id order (no deadlock with receipts or opt-outs).
    if (needsPatientLocks(effects)) await tx.consents.lockPatientsOfMessages(ids);
    await tx.messages.getManyForUpdate(ids);
    await tx.messages.setProviders(accepted);
    for (const r of retries) await tx.outbox.retry(r.outboxId, r.at, r.errorCode, r.inDoubtSince);
    await tx.outbox.defer(missed);
    await tx.messages.recordStatusChanges(toStatusChangeBatch(failures));
    await applyCarrierEffects(deps, tx, effects, now);
    await tx.outbox.complete(done);
  });
  // A number the carrier refuses as dead or a landline after earlier deliveries may have been reassigned (issue 7).
  const reports = effects.flatMap((e) => (e.effect.kind === 'contact-point' && e.messageId !== undefined ? [{ patientId: e.patientId, channel: e.channel, messageId: e.messageId, state: e.effect.state }] : []));
  if (reports.length > 0) await detectCarrierReports(deps, reports);
}

/** A claimed batch: how many rows, and the promise of its sends and bookkeeping. */
export interface StartedBatch {
  readonly claimed: number;
  readonly completion: Promise<void>;
}

/**
 * Claims a batch of due outbox rows (FOR UPDATE SKIP LOCKED, so several dispatchers can run), decides each message,
 * and starts handing the sendable ones to their senders at their slots. Returns once the decision is committed; the
 * sends and their bookkeeping finish in `completion`, so a dispatcher can claim the next batch meanwhile.
 * @param deps - app dependencies
 * @param batchSize - rows claimed at once
 */
export async function startBatch(deps: AppDeps, batchSize: number): Promise<StartedBatch> {
  const now = deps.clock.now();
  const claims = await deps.store.transaction((tx) => tx.outbox.claim(now, batchSize, new Date(now.getTime() + LEASE_MS)));
  if (claims.length === 0) return { claimed: 0, completion: Promise.resolve() };
  const sends = await decide(deps, claims);
  const completion = (async () => {
    const results = await Promise.all(sends.map((s) => attempt(deps, s)));
    await record(deps, sends, results);
    deps.logger.debug({ claimed: claims.length, sent: sends.length }, 'outbox batch dispatched');
  })();
  return { claimed: claims.length, completion };
}

/**
 * One batch from claim to bookkeeping (tests, the CLI): `startBatch` and wait for it.
 * @param deps - app dependencies
 * @param batchSize - rows claimed at once
 * @returns how many rows were claimed
 */
export async function dispatchBatch(deps: AppDeps, batchSize: number): Promise<number> {
  const batch = await startBatch(deps, batchSize);
  await batch.completion;
  return batch.claimed;
}
