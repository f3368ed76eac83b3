import type { AuditActor } from '../core/access/actor.ts';
import { newIncidentState, type DetectionSource } from '../core/incidents/incident.ts';
import type { InboundMessageId, MessageId, PatientId } from '../core/ids.ts';
import type { Channel } from '../core/messaging/channel.ts';
import type { Phi } from '../core/phi/phi.ts';
import type { AppDeps } from './context.ts';
import type { ContactPointKind, IncidentContactPoint, IncidentMessageLink, StoreSession } from './ports.ts';

/**
 * Detection (issue 7 item 1): a reply that signals a wrong recipient, a carrier's report that a number went dead after
 * earlier deliveries, a staff report, a bulk send cancelled after it started — each opens an incident draft and alerts
 * the security officer. A misdirected message is presumed a breach until a risk assessment shows otherwise
 * (45 CFR 164.402(2)), and the 60-day clock runs from the day the breach is known or, by exercising reasonable
 * diligence, would have been known (164.404(a)(2)): a signal Wardline saw must reach a person at once.
 */

/** How far back a detection links the patient's messages on the contact point. */
export const INCIDENT_LOOKBACK_DAYS = 30;
const DAY_MS = 24 * 60 * 60_000;

/** The channels a contact point carries (`phone`: SMS and rich text). */
export function channelsOfKind(kind: ContactPointKind): readonly Channel[] {
  return kind === 'whatsapp' ? ['whatsapp'] : ['sms', 'text'];
}

export interface IncidentDraftInput {
  readonly source: DetectionSource;
  /**
   * What makes the detection event unique within its source: the inbound message's carrier id (or Wardline id), the
   * failed message id and its carrier status, the reported message id, the bulk send's id. A second signal with the
   * same ref changes nothing; another signal about a contact point that already has a draft or open incident of
   * the same source joins it.
   */
  readonly ref: string;
  readonly contactPoints: readonly IncidentContactPoint[];
  /** Messages to link (their content classes are copied: factor 1). */
  readonly messageIds: readonly MessageId[];
  readonly inboundMessageId?: InboundMessageId | null;
  readonly openedBy: AuditActor;
  /** A staff report's note (may name clinical facts: stored encrypted, never in the alert). */
  readonly note?: Phi<string> | null;
  readonly origin?: { readonly requestId: string | null; readonly sourceAddress?: string | null; readonly onBehalfOf?: string | null };
}

export interface IncidentDraftOutcome {
  readonly incidentId: string;
  /** True when this call opened the incident; false when the signal was known or joined an active incident. */
  readonly opened: boolean;
}

/**
 * Opens an incident draft for a detection event, in the caller's transaction, idempotently: the same event twice opens
 * one incident. Links the messages, patients and contact points (content classes, never content), audits
 * `incident.opened` (one event per affected patient, so each patient's audit trail shows it) and raises a security
 * event `incident.opened` — ids, counts and content classes only — that the security webhook delivers.
 * Scheduled and bulk sends (a later issue) call it with source `bulk-cancelled` when an approver cancels a send that
 * had started. It takes the affected patients' locks (`consents.lockPatient`, in id order): call it before taking any
 * message lock.
 * @param deps - app dependencies
 * @param tx - a store session inside a transaction
 * @param input - the detection event
 */
export async function openIncidentDraft(deps: AppDeps, tx: StoreSession, input: IncidentDraftInput): Promise<IncidentDraftOutcome> {
  // The patients' locks (taken in id order, before any message lock) serialise detections about the same patients:
  // two copies of one reply arriving at once see each other's signal instead of opening two incidents.
  for (const patientId of [...new Set(input.contactPoints.map((c) => c.patientId))].sort()) await tx.consents.lockPatient(patientId);
  const known = await tx.incidents.signalIncident(input.source, input.ref);
  if (known !== null) return { incidentId: known, opened: false };
  const now = deps.clock.now();
  const links = await tx.incidents.messageLinks(input.messageIds);
  const origin = { requestId: input.origin?.requestId ?? null, sourceAddress: input.origin?.sourceAddress ?? null, onBehalfOf: input.origin?.onBehalfOf ?? null };
  const signal = { source: input.source, ref: input.ref, inboundMessageId: input.inboundMessageId ?? null, at: now };
  for (const point of input.contactPoints) {
    const active = await tx.incidents.activeFor(input.source, point);
    if (active === null) continue;
    await tx.incidents.addSignal(active, signal);
    await tx.incidents.link(active, input.contactPoints, links);
    await tx.audit.append({ actor: input.openedBy, action: 'incident.signal-linked', outcome: 'success', targetType: 'incident', targetId: active, patientId: point.patientId, reason: input.source, ...origin, details: { messages: links.length } });
    return { incidentId: active, opened: false };
  }
  const id = deps.ids.uuid();
  const patientIds = [...new Set(input.contactPoints.map((c) => c.patientId))];
  await tx.incidents.insert({
    id,
    source: input.source,
    openedAt: now,
    openedBy: input.openedBy,
    note: input.note ?? null,
    timeZone: deps.settings.sendingPolicy.defaultTimeZone,
    state: newIncidentState(patientIds, {}),
  });
  await tx.incidents.addSignal(id, signal);
  await tx.incidents.link(id, input.contactPoints, links);
  const contentClasses = [...new Set(links.flatMap((l) => l.contentClasses))].sort();
  for (const patientId of patientIds.length > 0 ? patientIds : [null]) {
    await tx.audit.append({
      actor: input.openedBy,
      action: 'incident.opened',
      outcome: 'success',
      targetType: 'incident',
      targetId: id,
      patientId,
      reason: input.source,
      ...origin,
      details: { source: input.source, patients: patientIds.length, messages: links.length, contentClasses: contentClasses.join(',') },
    });
  }
  await tx.securityEvents.record({
    kind: 'incident.opened',
    occurredAt: now,
    principalId: input.openedBy.type === 'system' || input.openedBy.type === 'patient' || input.openedBy.type === 'carrier' ? null : input.openedBy.id,
    patientId: patientIds[0] ?? null,
    details: { incidentId: id, source: input.source, patients: patientIds.length, messages: links.length, contentClasses: contentClasses.join(',') },
  });
  return { incidentId: id, opened: true };
}

/** How often a detection that failed is tried again before it is left to the review queue and the error log. */
const DETECTION_ATTEMPTS = 3;

/**
 * Runs a detection in its own transaction after the signal's own work committed, so a failure here never fails the
 * inbound webhook or the status ingest. It is tried again; if it still fails, the error is logged (ids only, never
 * PHI) at error level, and the signal is not lost: a wrong-number reply is also in the review queue.
 * @param deps - app dependencies
 * @param what - a label for the log (`patient-reply`, `carrier-report`)
 * @param ref - the signal's id, for the log
 * @param detect - the detection, given a transaction
 */
export async function detectSafely(deps: AppDeps, what: DetectionSource, ref: string, detect: (tx: StoreSession) => Promise<IncidentDraftOutcome | null>): Promise<IncidentDraftOutcome | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await deps.store.transaction(detect);
      if (outcome?.opened === true) deps.logger.warn({ incidentId: outcome.incidentId, source: what, ref }, 'incident draft opened');
      return outcome;
    } catch (error) {
      if (attempt >= DETECTION_ATTEMPTS) {
        deps.logger.error({ source: what, ref, errorName: error instanceof Error ? error.name : 'unknown', code: (error as { code?: unknown }).code ?? null }, 'incident detection failed; the signal stays in the review queue');
        return null;
      }
    }
  }
}

/**
 * A reply flagged `possible-wrong-number`: opens a draft linked to the patient's messages on that contact point in
 * the last INCIDENT_LOOKBACK_DAYS days. The signal's ref is the carrier's message id when there is one (a replayed
 * webhook carries the same), else Wardline's inbound id; a repeated reply from the number joins the open draft.
 * @param deps - app dependencies
 * @param reply - the stored reply and the patients its number matched
 */
export async function detectWrongNumberReply(
  deps: AppDeps,
  reply: { readonly inboundId: InboundMessageId; readonly providerMessageId: string | null; readonly channel: Channel; readonly patientIds: readonly PatientId[]; readonly origin: { readonly requestId: string | null; readonly sourceAddress: string | null } },
): Promise<IncidentDraftOutcome | null> {
  if (reply.patientIds.length === 0) return null;
  const ref = reply.providerMessageId === null ? `inbound:${reply.inboundId}` : `provider:${reply.channel}:${reply.providerMessageId}`;
  return detectSafely(deps, 'patient-reply', ref, async (tx) => {
    const kind: ContactPointKind = reply.channel === 'whatsapp' ? 'whatsapp' : 'phone';
    const since = new Date(deps.clock.now().getTime() - INCIDENT_LOOKBACK_DAYS * DAY_MS);
    const messages: IncidentMessageLink[] = [];
    for (const patientId of reply.patientIds) messages.push(...(await tx.incidents.messagesOf(patientId, channelsOfKind(kind), since)));
    return openIncidentDraft(deps, tx, {
      source: 'patient-reply',
      ref,
      contactPoints: reply.patientIds.map((patientId) => ({ patientId, kind })),
      messageIds: messages.map((m) => m.messageId),
      inboundMessageId: reply.inboundId,
      openedBy: { type: 'system', id: 'wardline' },
      origin: reply.origin,
    });
  });
}

/** A carrier's report that a contact point is dead, unreachable or a landline, about one message. */
export interface CarrierReportSignal {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly messageId: MessageId;
  readonly state: string;
}

/**
 * A carrier reports a number undeliverable (unknown, reassigned) or a landline AFTER earlier successful deliveries to
 * it: the number may have been reassigned, and the earlier messages may have reached someone else. An `unreachable`
 * report (a handset switched off) opens nothing: it is temporary, and a delivery clears it. Opens a draft linked to
 * those delivered messages (none delivered: nothing to report). The ref is the failed message and the state.
 * @param deps - app dependencies
 * @param signals - the reports, from a committed status ingest
 */
export async function detectCarrierReports(deps: AppDeps, signals: readonly CarrierReportSignal[]): Promise<void> {
  // `unreachable` (a handset switched off, out of coverage) is temporary and says nothing about who holds the number.
  for (const s of signals.filter((x) => x.state !== 'unreachable')) {
    const ref = `${s.messageId}:${s.state}`;
    await detectSafely(deps, 'carrier-report', ref, async (tx) => {
      const kind: ContactPointKind = s.channel === 'whatsapp' ? 'whatsapp' : 'phone';
      const since = new Date(deps.clock.now().getTime() - INCIDENT_LOOKBACK_DAYS * DAY_MS);
      const delivered = (await tx.incidents.messagesOf(s.patientId, channelsOfKind(kind), since, ['delivered', 'read'])).filter((m) => m.messageId !== s.messageId);
      if (delivered.length === 0) return null;
      return openIncidentDraft(deps, tx, {
        source: 'carrier-report',
        ref,
        contactPoints: [{ patientId: s.patientId, kind }],
        messageIds: delivered.map((m) => m.messageId),
        openedBy: { type: 'system', id: 'wardline' },
      });
    });
  }
}

/** How far back the sweep looks for replies whose detection did not happen. */
const SWEEP_DAYS = 7;

/**
 * Retries detections that did not happen: a wrong-number reply from a known patient that no incident signal names
 * (the process stopped between storing the reply and opening the draft, or every attempt failed). Run with the
 * reminders (`createIncidentReminderTimer`); a reply whose signal is already known changes nothing.
 * @param deps - app dependencies
 * @returns how many drafts it opened
 */
export async function sweepMissedDetections(deps: AppDeps): Promise<number> {
  const since = new Date(deps.clock.now().getTime() - SWEEP_DAYS * DAY_MS);
  let opened = 0;
  for (const r of await deps.store.incidents.unlinkedWrongNumberReplies(since, 100)) {
    const outcome = await detectWrongNumberReply(deps, { inboundId: r.inboundId, providerMessageId: r.providerMessageId, channel: r.channel, patientIds: [r.patientId], origin: { requestId: null, sourceAddress: null } });
    if (outcome?.opened === true) opened += 1;
  }
  return opened;
}
