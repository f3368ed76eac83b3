import { auditActorOf, canAccessPatient, type AuditActor } from '../core/access/actor.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { PURPOSES } from '../core/consent/consent.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { parseRiskAssessment, suggestOutcome } from '../core/incidents/assessment.ts';
import { computeDeadlines, daysLeft } from '../core/incidents/deadlines.ts';
import {
  allowedCommands,
  applyIncidentCommand,
  outstandingNotices,
  type BreachExclusion,
  type DecisionOutcome,
  type IncidentCommand,
  type IncidentState,
  type IncidentStatus,
  type NoticeKind,
  type NoticeMethod,
} from '../core/incidents/incident.ts';
import type { NoticeLetterInput } from '../core/incidents/notice-letter.ts';
import { phi, reveal } from '../core/phi/phi.ts';
import { admitMessage, admitPatient, loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { channelsOfKind, openIncidentDraft } from './incident-detection.ts';
import type { ContactPointKind, IncidentRecord, StoreSession } from './ports.ts';
import { revokeSecureLinksIn } from './secure-link-admin.ts';
import { requireAnyPermission } from './sharing.ts';

/**
 * Incident response (issue 7; docs/incident-response.md; reference §1.5, the Breach Notification Rule, 45 CFR
 * 164.400–414): the guided, recorded procedure from a detected misdirected message to a documented decision and the
 * notices it requires. Everything here needs `incident.manage` except reporting a message as misdirected, which any
 * staff member who may view the message can do. Every action is audited as `incident.<verb>` in the transaction that
 * takes it; the incident's record is kept at least six years (164.530(j)) and never deleted.
 */

/** What the privacy office's letters name as the sender (WARDLINE_HOSPITAL_*); demo values when unset. */
export interface IncidentSettings {
  readonly hospital: NoticeLetterInput['hospital'];
}

export const DEMO_INCIDENT_SETTINGS: IncidentSettings = {
  hospital: {
    name: 'Wardline Demo Hospital',
    address: ['Privacy Office', '100 Example Street', 'Springfield, ST 00000'],
    tollFreePhone: '1-800-555-0100',
    email: 'privacy@hospital.example',
    website: 'https://hospital.example/privacy',
  },
};

/** The mitigations the API offers, and what they are recorded as (factor 4). */
export const MITIGATION_ACTIONS = ['revoke-links', 'suspend-contact-point', 'pause-queue'] as const;
export type MitigationAction = (typeof MITIGATION_ACTIONS)[number];

/** A secure link sent on a linked message, and whether it was ever opened (factor 3: acquired or viewed). */
export interface LinkEvidence {
  readonly linkId: string;
  readonly opened: boolean;
  readonly firstViewedAt: Date | null;
  readonly viewCount: number;
  readonly revoked: boolean;
}

/** The incident as the privacy office works it: ids, classes, dates and codes; never a message's content. */
export interface IncidentDetail {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly source: IncidentRecord['source'];
  readonly openedAt: Date;
  readonly openedBy: IncidentRecord['openedBy'];
  readonly note: string | null;
  readonly timeZone: string;
  readonly discoveredAt: Date | null;
  readonly affectedPatients: number;
  readonly contentClasses: readonly string[];
  readonly contactPoints: readonly { readonly patientId: PatientId; readonly kind: ContactPointKind; readonly suspended: boolean; readonly queuePaused: boolean }[];
  readonly messages: readonly {
    readonly messageId: MessageId;
    readonly patientId: PatientId;
    readonly channel: string;
    readonly category: string;
    readonly delivery: string;
    readonly contentClasses: readonly string[];
    readonly sentAt: Date;
    readonly secureLinks: readonly LinkEvidence[];
  }[];
  /** Factor 3 as Wardline sees it: `no` when every linked message went behind a secure link and none was opened. */
  readonly viewedEvidence: { readonly viewed: 'yes' | 'no' | 'unknown'; readonly links: number; readonly linksOpened: number; readonly directMessages: number };
  readonly mitigations: IncidentState['mitigations'];
  readonly assessment: IncidentState['assessment'];
  readonly suggestedOutcome: ReturnType<typeof suggestOutcome> | null;
  readonly decision: IncidentState['decision'];
  readonly notices: IncidentState['notices'];
  readonly outstandingNotices: ReturnType<typeof outstandingNotices>;
  readonly lawEnforcementDelay: IncidentState['lawEnforcementDelay'];
  readonly deadlines: readonly { readonly kind: NoticeKind; readonly state: string | null; readonly dueDate: string; readonly dueAt: Date; readonly rule: string; readonly daysLeft: number }[];
  readonly allowedActions: readonly IncidentCommand['kind'][];
  /** Wardline keeps no postal addresses: the letters' address blocks are left for the privacy office to fill in. */
  readonly noticeAddressMissing: boolean;
  readonly closedAt: Date | null;
  readonly closedBy: string | null;
}

/** Whether the caller's sharing covers every patient of the incident (another ward's incident answers 404). */
export function visibleTo(ctx: RequestContext, record: IncidentRecord): boolean {
  return record.contactPoints.every((c) => canAccessPatient(ctx.actor, { id: c.patientId, wardId: c.wardId }));
}

/**
 * The incident if the caller's sharing covers it; NOT_FOUND (404) otherwise, as for an unknown id — and, for an
 * incident that exists, audited as `access.denied` with a security event, like any record outside one's sharing.
 */
export async function loadIncident(session: StoreSession, ctx: RequestContext, id: string, forUpdate = false): Promise<IncidentRecord> {
  const record = await session.incidents.get(id, { forUpdate });
  if (record === null) throw new DomainError('NOT_FOUND', 'No incident has this id.');
  const hidden = record.contactPoints.find((c) => !canAccessPatient(ctx.actor, { id: c.patientId, wardId: c.wardId }));
  if (hidden !== undefined) await admitPatient(session, ctx, { id: hidden.patientId, wardId: hidden.wardId }, { type: 'incident', id });
  return record;
}

/** An `incident.*` audit event: the incident as target, its patient when there is one, ids and codes only. */
export function incidentAudit(ctx: RequestContext, record: Pick<IncidentRecord, 'id' | 'contactPoints'>, action: AuditEventInput['action'], reason: string | null, details: AuditEventInput['details'] = {}): AuditEventInput {
  const patients = [...new Set(record.contactPoints.map((c) => c.patientId))];
  return {
    actor: auditActorOf(ctx.actor),
    action,
    outcome: 'success',
    targetType: 'incident',
    targetId: record.id,
    patientId: patients.length === 1 ? (patients[0] ?? null) : null,
    reason,
    ...auditOrigin(ctx),
    details: { ...details, patients: patients.length },
  };
}

async function detailOf(deps: AppDeps, session: StoreSession, record: IncidentRecord): Promise<IncidentDetail> {
  const now = deps.clock.now();
  const s = record.state;
  const messages = [];
  let links = 0;
  let opened = 0;
  let direct = 0;
  for (const m of record.messages) {
    const evidence: LinkEvidence[] = [];
    if (m.delivery === 'secure') {
      for (const l of await session.secureLinks.forMessage(m.messageId)) {
        if (l.messageId !== m.messageId && l.noticeMessageId !== m.messageId) continue;
        const wasOpened = l.viewCount > 0 || l.firstViewedAt !== null;
        evidence.push({ linkId: l.id, opened: wasOpened, firstViewedAt: l.firstViewedAt, viewCount: l.viewCount, revoked: l.revokedAt !== null });
        links += 1;
        if (wasOpened) opened += 1;
      }
    } else {
      direct += 1;
    }
    messages.push({ ...m, secureLinks: evidence });
  }
  const viewed = opened > 0 ? 'yes' : direct === 0 && links > 0 ? 'no' : 'unknown';
  const suspensions = await session.suspensions.active([...new Set(record.contactPoints.map((c) => c.patientId))]);
  const deadlines =
    s.discoveredAt === null
      ? []
      : computeDeadlines({ discoveredAt: s.discoveredAt, affectedCount: s.affectedPatientIds.length, residentsByState: s.residentsByState, lawEnforcementDelayUntil: s.lawEnforcementDelay?.until ?? null, timeZone: record.timeZone }).map((d) => ({
          ...d,
          daysLeft: daysLeft(d, now, record.timeZone),
        }));
  return {
    id: record.id,
    status: s.status,
    source: record.source,
    openedAt: record.openedAt,
    openedBy: record.openedBy,
    note: record.note === null ? null : reveal(record.note),
    timeZone: record.timeZone,
    discoveredAt: s.discoveredAt,
    affectedPatients: s.affectedPatientIds.length,
    contentClasses: record.contentClasses,
    contactPoints: record.contactPoints.map((c) => {
      const active = (suspensions.get(c.patientId) ?? []).filter((x) => x.kind === c.kind);
      return { patientId: c.patientId, kind: c.kind, suspended: active.some((x) => x.blocksSending), queuePaused: active.length > 0 };
    }),
    messages,
    viewedEvidence: { viewed, links, linksOpened: opened, directMessages: direct },
    mitigations: s.mitigations,
    assessment: s.assessment,
    suggestedOutcome: s.assessment === null ? null : suggestOutcome(s.assessment, s.mitigations),
    decision: s.decision,
    notices: s.notices,
    outstandingNotices: outstandingNotices(s),
    lawEnforcementDelay: s.lawEnforcementDelay,
    deadlines,
    allowedActions: allowedCommands(s),
    noticeAddressMissing: true,
    closedAt: record.closedAt,
    closedBy: record.closedBy,
  };
}

/** A summary for the list: no links' evidence, no free text. */
export interface IncidentSummary {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly source: IncidentRecord['source'];
  readonly openedAt: Date;
  readonly discoveredAt: Date | null;
  readonly affectedPatients: number;
  readonly patientIds: readonly string[];
  readonly messages: number;
  readonly contentClasses: readonly string[];
  readonly decision: DecisionOutcome | null;
}

/**
 * Incidents the caller may see, newest first.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param filter - a status, and how many
 */
export async function listIncidents(deps: AppDeps, ctx: RequestContext, filter: { readonly status?: IncidentStatus; readonly limit: number }): Promise<IncidentSummary[]> {
  await requirePermission(deps.store, ctx, 'incident.manage');
  const records = (await deps.store.incidents.list(filter)).filter((r) => visibleTo(ctx, r));
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'incident.listed', outcome: 'success', targetType: 'system', targetId: null, patientId: null, reason: null, ...auditOrigin(ctx), details: { status: filter.status ?? null, count: records.length } });
  return records.map((r) => ({
    id: r.id,
    status: r.state.status,
    source: r.source,
    openedAt: r.openedAt,
    discoveredAt: r.state.discoveredAt,
    affectedPatients: r.state.affectedPatientIds.length,
    patientIds: r.state.affectedPatientIds,
    messages: r.messages.length,
    contentClasses: r.contentClasses,
    decision: r.state.decision?.outcome ?? null,
  }));
}

/**
 * One incident with everything the privacy office needs to work it (see `IncidentDetail`).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage` and sharing over every affected patient (404 otherwise)
 * @param id - the incident
 */
export async function getIncident(deps: AppDeps, ctx: RequestContext, id: string): Promise<IncidentDetail> {
  await requirePermission(deps.store, ctx, 'incident.manage');
  const record = await loadIncident(deps.store, ctx, id);
  await deps.store.audit.append(incidentAudit(ctx, record, 'incident.viewed', null, { status: record.state.status }));
  return detailOf(deps, deps.store, record);
}

/**
 * Staff report a message as misdirected ("report misdirected message", issue 7 item 1): opens a draft linked to the
 * message, its patient and the contact point it went to, and alerts the security officer. Reporting the same message
 * again answers with the incident already open for it.
 * @param deps - app dependencies
 * @param ctx - the caller; needs to be able to view the message (404 otherwise, like `GET /v1/messages/{id}`)
 * @param messageId - the message
 * @param note - what the reporter knows (may name clinical facts: stored encrypted, never in the alert)
 */
export async function reportMisdirected(deps: AppDeps, ctx: RequestContext, messageId: MessageId, note: string | null): Promise<{ incidentId: string; opened: boolean }> {
  const message = await admitMessage(deps.store, ctx, messageId, await deps.store.messages.get(messageId));
  const kind: ContactPointKind = message.channel === 'whatsapp' ? 'whatsapp' : 'phone';
  const outcome = await deps.store.transaction((tx) =>
    openIncidentDraft(deps, tx, {
      source: 'staff-report',
      ref: `message:${messageId}`,
      contactPoints: [{ patientId: message.patientId, kind }],
      messageIds: [messageId],
      openedBy: auditActorOf(ctx.actor),
      note: note === null ? null : phi(note),
      origin: auditOrigin(ctx),
    }),
  );
  if (outcome.opened) deps.logger.warn({ incidentId: outcome.incidentId, source: 'staff-report', requestId: ctx.requestId }, 'incident draft opened');
  return outcome;
}

/**
 * Runs one step of the procedure under the incident's row lock: the pure state machine decides, the new state and
 * its audit event are written together, all or nothing.
 */
async function step(
  deps: AppDeps,
  ctx: RequestContext,
  id: string,
  command: (record: IncidentRecord, now: Date, tx: StoreSession) => Promise<{ command: IncidentCommand; audits: readonly AuditEventInput[] }>,
): Promise<IncidentDetail> {
  await requirePermission(deps.store, ctx, 'incident.manage');
  await loadIncident(deps.store, ctx, id);
  const now = deps.clock.now();
  const record = await deps.store.transaction(async (tx) => {
    const current = await loadIncident(tx, ctx, id, true);
    const { command: cmd, audits } = await command(current, now, tx);
    const next = applyIncidentCommand(current.state, cmd);
    await tx.incidents.save(id, current.state, next, now, ctx.actor.id);
    for (const a of audits) await tx.audit.append(a);
    return (await tx.incidents.get(id)) ?? current;
  });
  return detailOf(deps, deps.store, record);
}

/** The contact-point kinds that reach the same number as `kind` (phone and WhatsApp when they are one number). */
async function kindsOfNumber(tx: StoreSession, patientId: PatientId, kind: ContactPointKind): Promise<ContactPointKind[]> {
  const patient = await tx.patients.get(patientId);
  if (patient === null || patient.whatsapp === null || reveal(patient.whatsapp) !== reveal(patient.phone)) return [kind];
  return ['phone', 'whatsapp'];
}

/**
 * Confirms a draft: it is an incident, discovered at `discoveredAt` (the 60-day clock's start, 164.404(a)(2)).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param discoveredAt - when the breach was known, or by reasonable diligence would have been
 */
export function confirmIncident(deps: AppDeps, ctx: RequestContext, id: string, discoveredAt: Date): Promise<IncidentDetail> {
  // A discovery in the future would push every deadline out (a few minutes of clock skew are tolerated).
  if (discoveredAt.getTime() > deps.clock.now().getTime() + 5 * 60_000) {
    return Promise.reject(new DomainError('VALIDATION_FAILED', 'The discovery date cannot be in the future.', { issues: [{ pointer: '/body/discoveredAt', message: 'must not be in the future' }] }));
  }
  return step(deps, ctx, id, async (record) => ({
    command: { kind: 'confirm', discoveredAt },
    audits: [incidentAudit(ctx, record, 'incident.confirmed', null, { discoveredAt: Number.isNaN(discoveredAt.getTime()) ? null : discoveredAt.toISOString() })],
  }));
}

/**
 * One-click mitigation (issue 7 item 2), applied to every contact point of the incident and recorded with who and
 * when (factor 4 of the assessment, and 164.530(f) mitigation):
 * - `revoke-links`: every secure link sent to the contact point is revoked (reason `incident`); the page refuses it.
 * - `suspend-contact-point`: new sends to it are refused with CONTACT_POINT_SUSPENDED, and queued ones are held at
 *   dispatch, until the patient re-verifies the number (`reverifyContactPoint`).
 * - `pause-queue`: its queued messages are held at dispatch (new sends still queue, and are held too) until then.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param action - which mitigation
 */
export function mitigateIncident(deps: AppDeps, ctx: RequestContext, id: string, action: MitigationAction): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record, now, tx) => {
    const by = ctx.actor.id;
    // Refuse before acting: a closed incident takes no mitigation.
    applyIncidentCommand(record.state, { kind: 'mitigate', mitigation: { kind: 'links-revoked', at: now, by, count: 0 } });
    const audits: AuditEventInput[] = [];
    let count = 0;
    const actor: AuditActor = auditActorOf(ctx.actor);
    // The number, on every channel that reaches it: a patient's WhatsApp is often the same number as the phone.
    const points = new Map<string, { patientId: PatientId; kind: ContactPointKind }>();
    for (const point of record.contactPoints) {
      for (const kind of await kindsOfNumber(tx, point.patientId, point.kind)) points.set(`${point.patientId}/${kind}`, { patientId: point.patientId, kind });
    }
    for (const point of points.values()) {
      const channels = channelsOfKind(point.kind);
      const target = { targetType: 'contact-point', targetId: `${point.patientId}/${point.kind}`, patientId: point.patientId } as const;
      switch (action) {
        case 'revoke-links': {
          const secure = (await tx.incidents.messagesOf(point.patientId, channels, new Date(0))).filter((m) => m.delivery === 'secure').map((m) => m.messageId);
          const revoked = await revokeSecureLinksIn(tx, { actor, ...auditOrigin(ctx) }, { messageIds: secure }, 'incident', now);
          count += revoked.length;
          break;
        }
        case 'suspend-contact-point':
        case 'pause-queue': {
          const blocksSending = action === 'suspend-contact-point';
          const queued = (await tx.messages.queuedFor(point.patientId, channels, PURPOSES)).length;
          await tx.suspensions.add({ id: deps.ids.uuid(), patientId: point.patientId, kind: point.kind, incidentId: record.id, blocksSending, at: now, by });
          audits.push({ actor, action: 'contact-point.suspended', outcome: 'success', ...target, reason: 'incident', ...auditOrigin(ctx), details: { incidentId: record.id, blocksSending, queued } });
          count += blocksSending ? 1 : queued;
          break;
        }
      }
    }
    const kind = action === 'revoke-links' ? 'links-revoked' : action === 'suspend-contact-point' ? 'contact-point-suspended' : 'queue-paused';
    return { command: { kind: 'mitigate', mitigation: { kind, at: now, by, count } }, audits: [...audits, incidentAudit(ctx, record, 'incident.mitigated', kind, { count })] };
  });
}

/**
 * Records the 4-factor risk assessment (164.402(2)); replaces an earlier one before closing.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param body - the untrusted assessment (422 INCIDENT_ASSESSMENT_INCOMPLETE naming the missing factors)
 */
export function assessIncident(deps: AppDeps, ctx: RequestContext, id: string, body: unknown): Promise<IncidentDetail> {
  const assessment = parseRiskAssessment(body);
  return step(deps, ctx, id, async (record) => ({
    command: { kind: 'assess', assessment },
    audits: [incidentAudit(ctx, record, 'incident.assessed', null, { viewed: assessment.acquiredOrViewed.viewed, recipient: assessment.recipient.kind })],
  }));
}

/**
 * Records the decision: breach, low probability of compromise, an exclusion, or not an incident — with its rationale
 * and decider (164.414: the hospital carries the burden of proof).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param decision - outcome, exclusion (for `excluded` only) and rationale (at least 20 characters)
 */
export function decideIncident(deps: AppDeps, ctx: RequestContext, id: string, decision: { readonly outcome: DecisionOutcome; readonly exclusion: BreachExclusion | null; readonly rationale: string }): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record, now) => ({
    command: { kind: 'decide', outcome: decision.outcome, exclusion: decision.exclusion, rationale: decision.rationale, by: ctx.actor.id, at: now },
    audits: [incidentAudit(ctx, record, 'incident.decided', decision.outcome, { exclusion: decision.exclusion })],
  }));
}

/**
 * Records a law enforcement official's statement that notice would impede an investigation (164.412): notices are
 * due after it ends (a written statement for its period, an oral one at most 30 days).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param delay - the agency (stored encrypted), until when, and whether the statement was oral
 */
export function delayIncident(deps: AppDeps, ctx: RequestContext, id: string, delay: { readonly agency: string; readonly until: Date; readonly oral: boolean }): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record, now) => ({
    command: { kind: 'delay', delay: { agency: delay.agency, until: delay.until, oral: delay.oral, by: ctx.actor.id, at: now } },
    audits: [incidentAudit(ctx, record, 'incident.delayed', null, { until: delay.until.toISOString(), oral: delay.oral })],
  }));
}

/**
 * Records how many affected individuals live in each US state. Wardline holds no postal addresses, so the privacy
 * office enters the counts; a state with more than 500 needs a media notice (164.406), which closing then requires.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param residentsByState - counts by two-letter state code (replaces the previous counts)
 */
export function recordResidents(deps: AppDeps, ctx: RequestContext, id: string, residentsByState: Readonly<Record<string, number>>): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record) => ({
    command: { kind: 'residents', residentsByState },
    audits: [incidentAudit(ctx, record, 'incident.residents-recorded', null, { states: Object.keys(residentsByState).sort().join(','), over500: Object.values(residentsByState).filter((n) => n > 500).length })],
  }));
}

/**
 * Records a notice given: an individual's letter, the HHS submission, the media notice of a state, the annual log entry.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 * @param notice - kind, method, and the patient (individual) or state (media)
 */
export function recordNotice(deps: AppDeps, ctx: RequestContext, id: string, notice: { readonly kind: NoticeKind; readonly method: NoticeMethod; readonly patientId: string | null; readonly state: string | null }): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record, now) => ({
    command: { kind: 'record-notice', notice: { ...notice, at: now, by: ctx.actor.id } },
    audits: [incidentAudit(ctx, record, 'incident.notice-recorded', notice.kind, { method: notice.method, noticePatientId: notice.patientId, state: notice.state })],
  }));
}

/**
 * Closes a decided incident (a breach only once every required notice is recorded: 409 INCIDENT_NOTICES_OUTSTANDING).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident
 */
export function closeIncident(deps: AppDeps, ctx: RequestContext, id: string): Promise<IncidentDetail> {
  return step(deps, ctx, id, async (record, now) => ({
    command: { kind: 'close', by: ctx.actor.id, at: now },
    audits: [incidentAudit(ctx, record, 'incident.closed', record.state.decision?.outcome ?? null)],
  }));
}

/**
 * The patient re-verified a suspended contact point (staff checked the number with the patient): lifts every
 * suspension and pause of it and RESUMES its held queued messages — they become due at once, and dispatch re-checks
 * consent, quiet hours and the contact point as for any message. (Staff who would rather not send them cancel them.)
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage` or `patient.manage`, and the patient in its sharing
 * @param patientId - the patient
 * @param kind - which contact point
 * @param evidence - how the number was re-verified (may name clinical facts: stored encrypted)
 * @returns how many suspensions were lifted and messages resumed (404 when the contact point is not suspended)
 */
export async function reverifyContactPoint(deps: AppDeps, ctx: RequestContext, patientId: PatientId, kind: ContactPointKind, evidence: string): Promise<{ patientId: PatientId; kind: ContactPointKind; lifted: number; resumed: number }> {
  await requireAnyPermission(deps.store, ctx, ['incident.manage', 'patient.manage']);
  await loadAccessiblePatient(deps.store, ctx, patientId);
  const now = deps.clock.now();
  const result = await deps.store.transaction(async (tx) => {
    let lifted = 0;
    let resumed = 0;
    // Re-verifying the number lifts it on every channel that reaches it (as the mitigation suspended it).
    for (const k of await kindsOfNumber(tx, patientId, kind)) lifted += await tx.suspensions.lift(patientId, k, { at: now, by: ctx.actor.id, evidence: phi(evidence) });
    if (lifted === 0) throw new DomainError('NOT_FOUND', 'This contact point is not suspended.');
    for (const k of await kindsOfNumber(tx, patientId, kind)) resumed += await tx.suspensions.resumeQueued(patientId, channelsOfKind(k), now);
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'contact-point.reverified', outcome: 'success', targetType: 'contact-point', targetId: `${patientId}/${kind}`, patientId, reason: null, ...auditOrigin(ctx), details: { lifted, resumed } });
    return { lifted, resumed };
  });
  if (result.resumed > 0) deps.wakeDispatcher();
  return { patientId, kind, ...result };
}
