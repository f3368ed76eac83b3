import { DomainError } from '../errors.ts';
import { assertAssessmentComplete } from './assessment.ts';

/**
 * The incident record and its state machine (issue 7; reference §1.5, the Breach Notification Rule, 45 CFR 164.400–414).
 *
 * A misdirected message (wrong or reassigned number, wrong patient, a bulk send to the wrong list) is an
 * impermissible disclosure, and under 45 CFR 164.402(2) it is presumed to be a breach unless a documented risk
 * assessment shows a low probability that the PHI was compromised. This module is the pure core of that procedure:
 * it decides which step may happen next and refuses anything that would leave the record incomplete. In particular
 * nothing is closed without a recorded decision, its decider and a rationale, and a breach is not closed before every
 * notice the rule requires is recorded (164.404 individuals, 164.406 media, 164.408 HHS). The record is what the
 * hospital shows to carry its burden of proof (164.414), so it is kept at least six years (164.530(j)).
 *
 * Pure: no I/O, no clock, no randomness. Times come in with the commands.
 */

/** How an incident draft was opened (issue 7 item 1). */
export const DETECTION_SOURCES = ['patient-reply', 'carrier-report', 'staff-report', 'bulk-cancelled'] as const;
export type DetectionSource = (typeof DETECTION_SOURCES)[number];

/**
 * draft: opened by detection (or a staff report), not yet confirmed; open: confirmed by an incident manager,
 * discovery date fixed; decided: a decision is recorded; closed. A draft can also be decided directly
 * (outcome 'not-an-incident' only: a false alarm).
 */
export const INCIDENT_STATUSES = ['draft', 'open', 'decided', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The one-click mitigations (issue 7 item 2); they feed factor 4 of the assessment (164.402(2)(iv)) and 164.530(f). */
export const MITIGATION_KINDS = ['links-revoked', 'contact-point-suspended', 'queue-paused'] as const;
export type MitigationKind = (typeof MITIGATION_KINDS)[number];

/**
 * breach: notify (164.404–164.408); low-probability: the 4-factor assessment shows a low probability of compromise
 * (164.402(2)); excluded: one of the three exclusions of 164.402(1); not-an-incident: a false alarm (no PHI left).
 */
export const DECISION_OUTCOMES = ['breach', 'low-probability', 'excluded', 'not-an-incident'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** 45 CFR 164.402(1)(i)-(iii) */
export const BREACH_EXCLUSIONS = ['unintentional-workforce-access', 'inadvertent-authorized-disclosure', 'recipient-unable-to-retain'] as const;
export type BreachExclusion = (typeof BREACH_EXCLUSIONS)[number];

/** individual: 164.404; hhs: 164.408(b) (500 or more); media: 164.406 (more than 500 residents of a state); annual-log: 164.408(c). */
export const NOTICE_KINDS = ['individual', 'hhs', 'media', 'annual-log'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/**
 * How a notice went out. Individual notices go by first-class mail, or e-mail when the individual agreed to it
 * (164.404(d)(1)), or substitute notice when contact information is insufficient (164.404(d)(2)); never by SMS.
 */
export const NOTICE_METHODS = ['first-class-mail', 'email', 'substitute-notice', 'hhs-portal', 'media-outlet'] as const;
export type NoticeMethod = (typeof NOTICE_METHODS)[number];

export interface Mitigation { readonly kind: MitigationKind; readonly at: Date; readonly by: string; readonly count: number }
export interface RiskAssessment {
  /** Factor 1: nature and extent of the PHI (content classes Wardline knows, e.g. 'appointment', 'lab-result'; identifiers e.g. 'name', 'date-of-birth') */
  readonly natureAndExtent: { readonly contentClasses: readonly string[]; readonly identifiers: readonly string[]; readonly note: string };
  /** Factor 2: the unauthorized person who used or received it */
  readonly recipient: { readonly kind: 'unknown-person' | 'other-patient' | 'family-member' | 'covered-entity' | 'business-associate' | 'other'; readonly note: string };
  /** Factor 3: whether the PHI was actually acquired or viewed (Wardline knows whether a secure link was opened) */
  readonly acquiredOrViewed: { readonly viewed: 'yes' | 'no' | 'unknown'; readonly evidence: string };
  /** Factor 4: the extent to which the risk has been mitigated (the recorded mitigations count too) */
  readonly mitigation: { readonly note: string };
}
export interface Decision { readonly outcome: DecisionOutcome; readonly exclusion: BreachExclusion | null; readonly rationale: string; readonly by: string; readonly at: Date }
export interface NoticeRecord { readonly kind: NoticeKind; readonly method: NoticeMethod; readonly at: Date; readonly by: string; readonly patientId: string | null; readonly state: string | null }
/** A law-enforcement delay (164.412): written for the period stated; oral at most 30 days from the statement. */
export interface LawEnforcementDelay { readonly agency: string; readonly until: Date; readonly oral: boolean; readonly by: string; readonly at: Date }
export interface IncidentState {
  readonly status: IncidentStatus;
  readonly discoveredAt: Date | null;
  readonly affectedPatientIds: readonly string[];
  /** residents affected per US state (two-letter code), for the media notice threshold */
  readonly residentsByState: Readonly<Record<string, number>>;
  readonly mitigations: readonly Mitigation[];
  readonly assessment: RiskAssessment | null;
  readonly decision: Decision | null;
  readonly notices: readonly NoticeRecord[];
  readonly lawEnforcementDelay: LawEnforcementDelay | null;
}
export type IncidentCommand =
  | { readonly kind: 'confirm'; readonly discoveredAt: Date } // draft -> open
  | { readonly kind: 'mitigate'; readonly mitigation: Mitigation } // draft|open|decided, not closed
  | { readonly kind: 'assess'; readonly assessment: RiskAssessment } // open|decided(before close); replaces
  | { readonly kind: 'decide'; readonly outcome: DecisionOutcome; readonly exclusion: BreachExclusion | null; readonly rationale: string; readonly by: string; readonly at: Date }
  | { readonly kind: 'record-notice'; readonly notice: NoticeRecord } // decided with outcome 'breach'
  | { readonly kind: 'delay'; readonly delay: LawEnforcementDelay } // open|decided
  | { readonly kind: 'residents'; readonly residentsByState: Readonly<Record<string, number>> } // not closed: affected residents per state (164.406)
  | { readonly kind: 'close'; readonly by: string; readonly at: Date }; // decided; a breach only once every due notice is recorded

/** The command kinds, in the order the procedure usually takes them. */
export const INCIDENT_COMMAND_KINDS = ['confirm', 'mitigate', 'residents', 'assess', 'decide', 'record-notice', 'delay', 'close'] as const satisfies readonly IncidentCommand['kind'][];

/** A rationale shorter than this (after trimming) documents nothing (164.414: the burden of proof is the hospital's). */
export const MIN_RATIONALE_LENGTH = 20;

/** HHS notice at the time of the individual notices from this many affected individuals (164.408(b): "500 or more"). */
export const HHS_IMMEDIATE_THRESHOLD = 500;
/** Media notice for a state with MORE than this many affected residents (164.406(a): "more than 500 residents"). */
export const MEDIA_THRESHOLD = 500;
/** An oral law-enforcement statement delays notices at most this long from the statement (164.412(b)). */
export const ORAL_DELAY_MAX_MS = 30 * 24 * 60 * 60 * 1000;

/** Individual notice methods allowed by 164.404(d): mail, e-mail with agreement, substitute notice. */
const INDIVIDUAL_METHODS: readonly NoticeMethod[] = ['first-class-mail', 'email', 'substitute-notice'];

/**
 * A fresh incident in status `draft` (detection or a staff report opened it; nobody has confirmed it yet).
 * @param affectedPatientIds - the patients whose PHI went astray (duplicates are dropped)
 * @param residentsByState - affected residents per US state (two-letter code), for the 164.406 media threshold
 * @throws DomainError VALIDATION_FAILED when a count is not a non-negative integer
 */
export function newIncidentState(affectedPatientIds: readonly string[], residentsByState: Readonly<Record<string, number>>): IncidentState {
  const residents: Record<string, number> = {};
  for (const [state, count] of Object.entries(residentsByState)) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new DomainError('VALIDATION_FAILED', 'Residents per state must be non-negative whole numbers.', { issues: [{ pointer: '/residentsByState', message: 'must be a non-negative integer per state' }] });
    }
    residents[state] = count;
  }
  return Object.freeze({
    status: 'draft',
    discoveredAt: null,
    affectedPatientIds: Object.freeze([...new Set(affectedPatientIds)]),
    residentsByState: Object.freeze(residents),
    mitigations: Object.freeze([]),
    assessment: null,
    decision: null,
    notices: Object.freeze([]),
    lawEnforcementDelay: null,
  });
}

/** A notice the rule requires and that is not recorded yet. */
export interface OutstandingNotice { readonly kind: NoticeKind; readonly patientId: string | null; readonly state: string | null }

/**
 * The notices a breach requires, minus those recorded: one individual notice per affected patient unless a
 * substitute notice was given (164.404(a), (d)(2)); HHS when 500 or more are affected (164.408(b)); the media for each
 * state with more than 500 affected residents (164.406); below 500 the entry in the annual log to HHS (164.408(c)).
 * Empty for any outcome other than 'breach'.
 */
export function outstandingNotices(state: IncidentState): readonly OutstandingNotice[] {
  if (state.decision?.outcome !== 'breach') return [];
  const out: OutstandingNotice[] = [];
  const individual = state.notices.filter((n) => n.kind === 'individual');
  if (!individual.some((n) => n.method === 'substitute-notice')) {
    const notified = new Set(individual.map((n) => n.patientId));
    for (const patientId of state.affectedPatientIds) {
      if (!notified.has(patientId)) out.push({ kind: 'individual', patientId, state: null });
    }
  }
  const affected = state.affectedPatientIds.length;
  if (affected >= HHS_IMMEDIATE_THRESHOLD) {
    if (!state.notices.some((n) => n.kind === 'hhs')) out.push({ kind: 'hhs', patientId: null, state: null });
  } else if (!state.notices.some((n) => n.kind === 'annual-log')) {
    out.push({ kind: 'annual-log', patientId: null, state: null });
  }
  for (const usState of mediaStates(state.residentsByState)) {
    if (!state.notices.some((n) => n.kind === 'media' && n.state === usState)) out.push({ kind: 'media', patientId: null, state: usState });
  }
  return out;
}

/** States with more than 500 affected residents (164.406), sorted. */
export function mediaStates(residentsByState: Readonly<Record<string, number>>): readonly string[] {
  return Object.entries(residentsByState)
    .filter(([, count]) => count > MEDIA_THRESHOLD)
    .map(([usState]) => usState)
    .sort();
}

/**
 * The command kinds allowed now (for the console and the API's `allowedActions`). A listed kind can still be refused
 * for its content (e.g. a decision without rationale); an unlisted kind is always refused.
 */
export function allowedCommands(state: IncidentState): readonly IncidentCommand['kind'][] {
  switch (state.status) {
    case 'draft':
      return ['confirm', 'mitigate', 'residents', 'decide'];
    case 'open':
      return ['mitigate', 'residents', 'assess', 'decide', 'delay'];
    case 'decided': {
      const kinds: IncidentCommand['kind'][] = ['mitigate', 'residents'];
      if (state.discoveredAt !== null) kinds.push('assess', 'decide', 'delay');
      if (state.decision?.outcome === 'breach') kinds.push('record-notice');
      if (outstandingNotices(state).length === 0) kinds.push('close');
      return kinds;
    }
    case 'closed':
      return [];
  }
}

/**
 * Applies one step of the procedure and returns the new state; the input is never modified.
 * Throws DomainError (src/core/errors.ts) with the codes below; never returns a half-applied state.
 * - INCIDENT_TRANSITION_INVALID (409): the status does not allow the command (closed is terminal; once a breach
 *   notice is recorded the outcome can no longer change from breach).
 * - INCIDENT_DECISION_INVALID (422): rationale under 20 characters, blank decider, exclusion mismatch, or a breach /
 *   low-probability / excluded decision without a complete 4-factor assessment (164.402(2)).
 * - INCIDENT_ASSESSMENT_INCOMPLETE (422): an assessment lacking a factor.
 * - INCIDENT_DISCOVERY_DATE_REQUIRED (422): confirming without a valid discovery date (164.404(a)(2)).
 * - INCIDENT_NOTICES_OUTSTANDING (409): closing a breach before every required notice is recorded.
 * - VALIDATION_FAILED (400): a malformed mitigation, notice or law-enforcement delay.
 * Error details name the rule, never the submitted text.
 */
export function applyIncidentCommand(state: IncidentState, command: IncidentCommand): IncidentState {
  switch (command.kind) {
    case 'confirm': {
      requireStatus(state, command.kind, ['draft']);
      if (!isValidDate(command.discoveredAt)) throw new DomainError('INCIDENT_DISCOVERY_DATE_REQUIRED', 'Confirming an incident needs the date the breach was discovered (45 CFR 164.404(a)(2)).');
      return freeze({ ...state, status: 'open', discoveredAt: command.discoveredAt });
    }
    case 'mitigate': {
      requireStatus(state, command.kind, ['draft', 'open', 'decided']);
      const m = command.mitigation;
      const issues: { pointer: string; message: string }[] = [];
      if (!(MITIGATION_KINDS as readonly string[]).includes(m.kind)) issues.push({ pointer: '/kind', message: `must be one of ${MITIGATION_KINDS.join(', ')}` });
      if (!isValidDate(m.at)) issues.push({ pointer: '/at', message: 'must be a valid time' });
      if (isBlank(m.by)) issues.push({ pointer: '/by', message: 'must name who did it' });
      if (!Number.isSafeInteger(m.count) || m.count < 0) issues.push({ pointer: '/count', message: 'must be a non-negative integer' });
      if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The mitigation is not valid.', { issues });
      return freeze({ ...state, mitigations: [...state.mitigations, { kind: m.kind, at: m.at, by: m.by, count: m.count }] });
    }
    case 'residents': {
      // Wardline holds no postal addresses: the privacy office counts the affected residents of each state, which
      // decides the media notices (more than 500 residents of a state, 164.406(a)).
      requireStatus(state, command.kind, ['draft', 'open', 'decided']);
      const entries = Object.entries(command.residentsByState);
      const issues = entries.flatMap(([usState, n]) => [
        ...(/^[A-Z]{2}$/.test(usState) ? [] : [{ pointer: '/residentsByState', message: 'keys must be two-letter US state codes' }]),
        ...(Number.isSafeInteger(n) && n >= 0 ? [] : [{ pointer: `/residentsByState/${usState}`, message: 'must be a non-negative integer' }]),
      ]);
      if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The residents by state are not valid.', { issues: issues.slice(0, 10) });
      return freeze({ ...state, residentsByState: Object.freeze(Object.fromEntries(entries.filter(([, n]) => n > 0))) });
    }
    case 'assess': {
      requireStatus(state, command.kind, ['open', 'decided']);
      requireDiscovered(state, command.kind);
      return freeze({ ...state, assessment: assertAssessmentComplete(command.assessment) });
    }
    case 'decide':
      return decide(state, command);
    case 'record-notice': {
      requireStatus(state, command.kind, ['decided']);
      if (state.decision?.outcome !== 'breach') throw transition('Notices are recorded only for an incident decided as a breach (45 CFR 164.404).');
      validateNotice(state, command.notice);
      const n = command.notice;
      return freeze({ ...state, notices: [...state.notices, { kind: n.kind, method: n.method, at: n.at, by: n.by, patientId: n.patientId, state: n.state }] });
    }
    case 'delay': {
      requireStatus(state, command.kind, ['open', 'decided']);
      requireDiscovered(state, command.kind);
      const d = command.delay;
      const issues: { pointer: string; message: string }[] = [];
      if (isBlank(d.agency)) issues.push({ pointer: '/agency', message: 'must name the law-enforcement agency' });
      if (isBlank(d.by)) issues.push({ pointer: '/by', message: 'must name who recorded it' });
      if (typeof d.oral !== 'boolean') issues.push({ pointer: '/oral', message: 'must be true or false' });
      if (!isValidDate(d.at)) issues.push({ pointer: '/at', message: 'must be a valid time' });
      if (!isValidDate(d.until)) issues.push({ pointer: '/until', message: 'must be a valid time' });
      else if (isValidDate(d.at) && d.until.getTime() <= d.at.getTime()) issues.push({ pointer: '/until', message: 'must be after the statement' });
      else if (isValidDate(d.at) && d.oral && d.until.getTime() - d.at.getTime() > ORAL_DELAY_MAX_MS) {
        issues.push({ pointer: '/until', message: 'an oral statement delays notices at most 30 days (45 CFR 164.412(b)); record the written statement for longer' });
      }
      if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The law-enforcement delay is not valid.', { issues });
      return freeze({ ...state, lawEnforcementDelay: { agency: d.agency, until: d.until, oral: d.oral, by: d.by, at: d.at } });
    }
    case 'close': {
      requireStatus(state, command.kind, ['decided']);
      if (state.decision === null || isBlank(state.decision.by) || state.decision.rationale.trim().length < MIN_RATIONALE_LENGTH) {
        throw transition('Nothing is closed without a recorded decision, its decider and a rationale.');
      }
      const issues: { pointer: string; message: string }[] = [];
      if (isBlank(command.by)) issues.push({ pointer: '/by', message: 'must name who closed it' });
      if (!isValidDate(command.at)) issues.push({ pointer: '/at', message: 'must be a valid time' });
      if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The close request is not valid.', { issues });
      const outstanding = outstandingNotices(state);
      if (outstanding.length > 0) {
        const kinds = [...new Set(outstanding.map((o) => o.kind))];
        throw new DomainError('INCIDENT_NOTICES_OUTSTANDING', `Notices still to record: ${kinds.join(', ')} (45 CFR 164.404-164.408).`, {
          extensions: { outstanding: kinds.map((kind) => ({ kind, count: outstanding.filter((o) => o.kind === kind).length })) },
        });
      }
      return freeze({ ...state, status: 'closed' });
    }
  }
}

function decide(state: IncidentState, command: Extract<IncidentCommand, { kind: 'decide' }>): IncidentState {
  const { outcome } = command;
  if (outcome === 'not-an-incident') {
    requireStatus(state, command.kind, ['draft', 'open']);
  } else {
    requireStatus(state, command.kind, ['open', 'decided']);
    requireDiscovered(state, command.kind);
  }
  if (state.notices.length > 0 && outcome !== 'breach') {
    // Notices that went out cannot be unsent: the record stays a breach (its rationale may still be restated).
    throw transition('Breach notices are already recorded; the outcome stays breach.');
  }
  const problems: string[] = [];
  if (!(DECISION_OUTCOMES as readonly string[]).includes(outcome)) problems.push(`the outcome must be one of ${DECISION_OUTCOMES.join(', ')}`);
  if (typeof command.rationale !== 'string' || command.rationale.trim().length < MIN_RATIONALE_LENGTH) {
    problems.push(`the rationale must have at least ${MIN_RATIONALE_LENGTH} characters`);
  }
  if (isBlank(command.by)) problems.push('the decision must name its decider');
  if (!isValidDate(command.at)) problems.push('the decision needs a valid time');
  if (outcome === 'excluded') {
    if (command.exclusion === null || !(BREACH_EXCLUSIONS as readonly string[]).includes(command.exclusion)) {
      problems.push(`an excluded outcome must name one exclusion of 45 CFR 164.402(1): ${BREACH_EXCLUSIONS.join(', ')}`);
    }
  } else if (command.exclusion !== null) {
    problems.push('only an excluded outcome names an exclusion');
  }
  if (outcome !== 'not-an-incident' && state.assessment === null) problems.push('record the 4-factor risk assessment first (45 CFR 164.402(2))');
  if (problems.length > 0) throw new DomainError('INCIDENT_DECISION_INVALID', `The decision is not valid: ${problems.join('; ')}.`);
  return freeze({
    ...state,
    status: 'decided',
    decision: { outcome, exclusion: command.exclusion, rationale: command.rationale.trim(), by: command.by, at: command.at },
  });
}

function validateNotice(state: IncidentState, n: NoticeRecord): void {
  const issues: { pointer: string; message: string }[] = [];
  if (!(NOTICE_KINDS as readonly string[]).includes(n.kind)) issues.push({ pointer: '/kind', message: `must be one of ${NOTICE_KINDS.join(', ')}` });
  if (!(NOTICE_METHODS as readonly string[]).includes(n.method)) issues.push({ pointer: '/method', message: `must be one of ${NOTICE_METHODS.join(', ')}` });
  if (!isValidDate(n.at)) issues.push({ pointer: '/at', message: 'must be a valid time' });
  if (isBlank(n.by)) issues.push({ pointer: '/by', message: 'must name who sent it' });
  switch (n.kind) {
    case 'individual':
      if (!INDIVIDUAL_METHODS.includes(n.method)) issues.push({ pointer: '/method', message: 'individual notices go by first-class mail, e-mail (with agreement) or substitute notice (45 CFR 164.404(d))' });
      if (n.method === 'substitute-notice') {
        if (n.patientId !== null) issues.push({ pointer: '/patientId', message: 'a substitute notice covers everyone; send no patientId' });
      } else if (n.patientId === null || !state.affectedPatientIds.includes(n.patientId)) {
        issues.push({ pointer: '/patientId', message: 'must name an affected patient of this incident' });
      }
      if (n.state !== null) issues.push({ pointer: '/state', message: 'only media notices name a state' });
      break;
    case 'hhs':
    case 'annual-log':
      if (n.method !== 'hhs-portal') issues.push({ pointer: '/method', message: 'notices to HHS go through the HHS portal (45 CFR 164.408)' });
      if (n.patientId !== null) issues.push({ pointer: '/patientId', message: 'only individual notices name a patient' });
      if (n.state !== null) issues.push({ pointer: '/state', message: 'only media notices name a state' });
      break;
    case 'media':
      if (n.method !== 'media-outlet') issues.push({ pointer: '/method', message: 'media notices go to prominent media outlets (45 CFR 164.406)' });
      if (n.patientId !== null) issues.push({ pointer: '/patientId', message: 'only individual notices name a patient' });
      if (n.state === null || !Object.hasOwn(state.residentsByState, n.state)) issues.push({ pointer: '/state', message: 'must name a state with affected residents' });
      break;
  }
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The notice record is not valid.', { issues });
}

function requireStatus(state: IncidentState, kind: IncidentCommand['kind'], allowed: readonly IncidentStatus[]): void {
  if (!allowed.includes(state.status)) {
    throw transition(`'${kind}' is not allowed on an incident in status ${state.status}.`);
  }
}

function requireDiscovered(state: IncidentState, kind: IncidentCommand['kind']): void {
  if (state.discoveredAt === null) throw transition(`'${kind}' needs a confirmed incident with a discovery date.`);
}

function transition(detail: string): DomainError {
  return new DomainError('INCIDENT_TRANSITION_INVALID', detail);
}

function freeze(state: IncidentState): IncidentState {
  return Object.freeze({
    ...state,
    mitigations: Object.freeze([...state.mitigations]),
    notices: Object.freeze([...state.notices]),
  });
}

function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '';
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}
