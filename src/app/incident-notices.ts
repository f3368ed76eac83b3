import { auditActorOf } from '../core/access/actor.ts';
import type { PatientId } from '../core/ids.ts';
import { annualLogCsv, type AnnualLogEntry } from '../core/incidents/annual-log.ts';
import { formatDate, localDate } from '../core/incidents/deadlines.ts';
import type { NoticeLetterInput } from '../core/incidents/notice-letter.ts';
import { DomainError } from '../core/errors.ts';
import { reveal } from '../core/phi/phi.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { DEMO_INCIDENT_SETTINGS, incidentAudit, loadIncident, visibleTo } from './incidents.ts';
import type { IncidentRecord } from './ports.ts';

/**
 * The documents incident response produces (issue 7 item 4): the individual notice letter of 45 CFR 164.404(c) for
 * each affected patient, and the annual log of breaches affecting fewer than 500 individuals (164.408(c)). Both need
 * `incident.manage`; both are audited. The letter is mailed or e-mailed with the patient's agreement (164.404(d)(1)),
 * never texted.
 */

/** Element A in plain words, by how the incident was detected (no other person's PHI, 164.404(c)(2)). */
const WHAT_HAPPENED: Readonly<Record<IncidentRecord['source'], string>> = {
  'patient-reply': 'A text message from us that was meant for you was sent to a phone number that may no longer belong to you. The person who has that number told us the message was not for them.',
  'carrier-report': 'A text message from us that was meant for you was sent to a phone number that may no longer belong to you. The phone company later told us that the number had changed or could no longer be reached.',
  'staff-report': 'A text message from us that was meant for you may have been sent to the wrong person. A member of our staff noticed it and reported it to our privacy office.',
  'bulk-cancelled': 'A message from us that was meant for you was part of a group of messages that was sent in error and stopped after it had started, so it may have reached someone else.',
};

/** Plain words for content classes in a letter (element B); unknown classes are shown as they are. */
function plainClass(c: string): string {
  const known: Record<string, string> = {
    appointment: 'appointment date and time',
    'lab-result': 'a laboratory result',
    medication: 'medication information',
    diagnosis: 'diagnosis information',
    billing: 'billing information',
    name: 'your name',
    'first-name': 'your first name',
    'date-of-birth': 'your date of birth',
    'record-number': 'your medical record number',
    'category:clinical': 'clinical information about your care',
    'category:billing': 'billing information',
    'category:administrative': 'administrative information (such as an appointment reminder)',
  };
  return known[c] ?? c.replace(/^category:/, '').replaceAll('-', ' ');
}

/**
 * The individual notice letter for one affected patient (164.404(c); issue 7 item 4), as a PDF. Wardline keeps no
 * postal address, so the address block is left as blank lines for the privacy office (`noticeAddressMissing`).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param id - the incident (confirmed: the letter states the discovery date)
 * @param patientId - an affected patient (404 otherwise)
 * @param render - the PDF renderer (adapters/report/breach-notice.pdf.ts)
 */
export async function noticeLetter(deps: AppDeps, ctx: RequestContext, id: string, patientId: PatientId, render: (input: NoticeLetterInput) => Promise<Buffer>): Promise<{ pdf: Buffer; addressMissing: boolean }> {
  await requirePermission(deps.store, ctx, 'incident.manage');
  const record = await loadIncident(deps.store, ctx, id);
  const s = record.state;
  if (!s.affectedPatientIds.includes(patientId)) throw new DomainError('NOT_FOUND', 'This patient is not affected by this incident.');
  if (s.discoveredAt === null) throw new DomainError('INCIDENT_DISCOVERY_DATE_REQUIRED', 'Confirm the incident with its discovery date before writing notices (45 CFR 164.404(c)(1)(A)).');
  const patient = await loadAccessiblePatient(deps.store, ctx, patientId);
  const zone = record.timeZone;
  const mine = record.messages.filter((m) => m.patientId === patientId);
  const classes = [...new Set((mine.length > 0 ? mine : record.messages).flatMap((m) => m.contentClasses))];
  const first = mine.map((m) => m.sentAt).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  const mitigated = s.mitigations.map((m) => m.kind);
  const hospital = (deps.settings.incidents ?? DEMO_INCIDENT_SETTINGS).hospital;
  const input: NoticeLetterInput = {
    hospital,
    recipient: { name: `${reveal(patient.givenName)} ${reveal(patient.familyName)}`, address: ['______________________________', '______________________________', '______________________________'] },
    breachDate: first === null ? null : formatDate(localDate(first, zone)),
    discoveryDate: formatDate(localDate(s.discoveredAt, zone)),
    whatHappened: WHAT_HAPPENED[record.source],
    phiInvolved: classes.length > 0 ? classes.map(plainClass) : ['the content of a text message to you'],
    stepsForIndividual: [
      'Check that we have your current phone number, and tell us if it changed.',
      'Review the statements and appointment letters you receive from us, and call us if anything looks wrong.',
    ],
    whatWeAreDoing: [
      ...(mitigated.includes('links-revoked') ? ['We switched off the secure links sent in those messages, so they can no longer be opened.'] : []),
      ...(mitigated.includes('contact-point-suspended') || mitigated.includes('queue-paused') ? ['We stopped all messages to that phone number until we confirm your number with you.'] : []),
      'We reviewed what happened and are improving how we check phone numbers before we send messages.',
    ],
    letterDate: formatDate(localDate(deps.clock.now(), zone)),
    incidentReference: record.id,
  };
  const pdf = await render(input);
  await deps.store.audit.append({ ...incidentAudit(ctx, record, 'incident.notice-generated', null, { addressMissing: true }), patientId });
  return { pdf, addressMissing: true };
}

/**
 * The annual log of breaches affecting fewer than 500 individuals discovered in `year` (164.408(c)), as CSV.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `incident.manage`
 * @param year - the calendar year of discovery (in each incident's time zone)
 */
export async function annualLog(deps: AppDeps, ctx: RequestContext, year: number): Promise<string> {
  await requirePermission(deps.store, ctx, 'incident.manage');
  const entries: AnnualLogEntry[] = [];
  for (const r of await deps.store.incidents.list({ limit: 100_000 })) {
    const s = r.state;
    if (!visibleTo(ctx, r) || s.decision?.outcome !== 'breach' || s.discoveredAt === null || s.affectedPatientIds.length >= 500) continue;
    const discovered = localDate(s.discoveredAt, r.timeZone);
    if (discovered.year !== year) continue;
    const sent = r.messages.map((m) => m.sentAt.getTime());
    const individual = s.notices.filter((n) => n.kind === 'individual').map((n) => n.at.getTime());
    const day = (t: number): string => formatDate(localDate(new Date(t), r.timeZone));
    entries.push({
      incidentId: r.id,
      breachStart: sent.length === 0 ? null : day(Math.min(...sent)),
      breachEnd: sent.length === 0 ? null : day(Math.max(...sent)),
      discoveredOn: formatDate(discovered),
      affected: s.affectedPatientIds.length,
      breachType: 'Unauthorized Access/Disclosure',
      location: 'Other: text message to a wrong or reassigned number',
      phiTypes: r.contentClasses.map(plainClass),
      safeguards: 'Consent-gated sending; secure links for clinical content; audit trail',
      actionsTaken: s.mitigations.map((m) => m.kind),
      individualNoticeOn: individual.length === 0 ? null : day(Math.max(...individual)),
    });
  }
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'incident.annual-log-exported', outcome: 'success', targetType: 'system', targetId: null, patientId: null, reason: null, ...auditOrigin(ctx), details: { year, entries: entries.length } });
  return annualLogCsv(year, entries);
}
