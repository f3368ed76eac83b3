import { auditActorOf } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { verifyAuditTrailForReport } from './audit-verification.ts';
import { checkDateRange } from './date-range.ts';
import { listMessages, type ListCursor } from './messages.ts';
import type { AuditChainReport, MessageRecord, ReportedMessage } from './ports.ts';

/** The most messages one evidence report (PDF or CLI) holds; a wider report is refused, never cut short silently. */
export const REPORT_MAX_MESSAGES = 5_000;

/** Everything the regulator's query returns for one patient and period, every page of it. */
export interface PatientMessageReport {
  readonly patientId: PatientId;
  readonly from: Date;
  readonly to: Date;
  readonly items: readonly ReportedMessage[];
  /** Whether contents were included (the caller holds `audit.read`). */
  readonly withContent: boolean;
}

/**
 * Every message to one patient in a period, through the regulator's query page by page (each page access-filtered
 * and audited as the list is), up to REPORT_MAX_MESSAGES.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param q - the patient and the period (both ends required)
 */
export async function patientMessageReport(deps: AppDeps, ctx: RequestContext, q: { readonly patientId: PatientId; readonly from: Date; readonly to: Date }): Promise<PatientMessageReport> {
  checkDateRange(q, deps.clock.now(), true);
  const pageAt = (before: ListCursor | undefined): ReturnType<typeof listMessages> => listMessages(deps, ctx, { patientId: q.patientId, from: q.from, to: q.to, limit: 500, before });
  let page = await pageAt(undefined);
  const items: ReportedMessage[] = [...page.items];
  for (;;) {
    if (items.length > REPORT_MAX_MESSAGES) {
      throw new DomainError('REPORT_TOO_LARGE', `A report holds at most ${String(REPORT_MAX_MESSAGES)} messages; narrow the range.`);
    }
    if (page.next === null) break;
    page = await pageAt(page.next);
    items.push(...page.items);
  }
  const withContent = page.withContent;
  return { ...q, items, withContent };
}

/** What the PDF evidence report shows (issue 6 item 5); the patient's name is for the PDF body only, never a log. */
export interface EvidenceReport extends PatientMessageReport {
  readonly organisation: string;
  readonly patientName: Phi<{ readonly given: string; readonly family: string }>;
  readonly generatedAt: Date;
  readonly generatedBy: { readonly id: string; readonly type: string; readonly name: string | null };
  readonly chain: AuditChainReport;
  readonly head: { readonly position: number; readonly hash: string; readonly checkpointPosition: number | null; readonly keyId: string };
}

/**
 * The evidence report a compliance officer hands an auditor: the regulator's query for one patient and period, with
 * the audit chain's verification result and head. Needs `audit.read` (and a view permission, as the query does);
 * access-filtered like the list; audited as `audit.report-generated`.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param q - the patient and the period
 */
export async function evidenceReport(deps: AppDeps, ctx: RequestContext, q: { readonly patientId: PatientId; readonly from: Date; readonly to: Date }): Promise<EvidenceReport> {
  await requirePermission(deps.store, ctx, 'audit.read');
  checkDateRange(q, deps.clock.now(), true);
  const patient = await loadAccessiblePatient(deps.store, ctx, q.patientId);
  const report = await patientMessageReport(deps, ctx, q);
  const [chain, head, me] = await Promise.all([verifyAuditTrailForReport(deps), deps.auditChain.head(), deps.store.principals.get(ctx.actor.id)]);
  const generatedAt = deps.clock.now();
  await deps.store.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'audit.report-generated',
    outcome: 'success',
    targetType: 'patient',
    targetId: q.patientId,
    patientId: q.patientId,
    reason: null,
    ...auditOrigin(ctx),
    details: { via: ctx.via, format: 'pdf', count: report.items.length, from: q.from.toISOString(), to: q.to.toISOString(), chainOk: chain.ok },
  });
  const { givenName, familyName } = patient;
  return {
    ...report,
    organisation: deps.settings.organisation.name,
    patientName: phi({ given: reveal(givenName), family: reveal(familyName) }),
    generatedAt,
    generatedBy: { id: ctx.actor.id, type: ctx.actor.kind, name: me?.displayName ?? null },
    chain,
    head: { position: head.position, hash: head.hash, checkpointPosition: head.checkpoint?.position ?? null, keyId: head.keyId },
  };
}

/** A message's fields as every message view shows them (detail, list, report): ids, codes, size and times; no PHI. */
export function messageSummary(m: MessageRecord): Record<string, unknown> {
  return {
    id: m.id,
    patientId: m.patientId,
    channel: m.channel,
    category: m.category,
    purpose: m.purpose,
    status: m.status,
    statusReason: m.statusReason,
    consentBasis: m.consentBasis,
    sender: m.sender,
    template: m.template === null ? null : { versionId: m.template.versionId, metaName: m.template.metaName, language: m.template.language },
    delivery: m.delivery,
    relatedRecord: m.relatedRecord,
    encoding: m.size.encoding,
    segments: m.size.segments,
    characters: m.size.characters,
    mediaCount: m.mediaCount,
    urgent: m.urgent,
    exempt: m.exempt,
    heldUntil: m.heldUntil?.toISOString() ?? null,
    provider: m.provider,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/**
 * One message of the regulator's query as the API and the CLI print it (JSON): the list's summary fields, the sender
 * by name, the approval, the carrier, the status times and — only for a holder of `audit.read` — the content.
 * @param m - the message
 */
export function messageReportView(m: ReportedMessage): Record<string, unknown> {
  const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
  return {
    ...messageSummary(m),
    sender: { type: m.sender.type, id: m.sender.id, displayName: m.senderName },
    approval:
      m.approval === null
        ? null
        : {
            templateId: m.approval.templateId,
            templateName: m.approval.templateName,
            version: m.approval.version,
            status: m.approval.status,
            approvedBy: m.approval.decidedBy === null ? null : { type: m.approval.decidedBy.type, id: m.approval.decidedBy.id, displayName: m.approval.decidedBy.name },
            approvedAt: iso(m.approval.decidedAt),
          },
    providerMessageId: m.providerMessageId,
    sentAt: iso(m.times.sentAt),
    deliveredAt: iso(m.times.deliveredAt),
    readAt: iso(m.times.readAt),
    failedAt: iso(m.times.failedAt),
    ...(m.content === null
      ? {}
      : {
          content: { body: reveal(m.content.body), secureContent: m.content.secureContent === null ? null : reveal(m.content.secureContent) },
          overrideJustification: m.content.overrideJustification === null ? null : reveal(m.content.overrideJustification),
        }),
  };
}
