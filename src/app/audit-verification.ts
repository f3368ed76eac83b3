import type { AppDeps } from './context.ts';
import type { AuditChainReport } from './ports.ts';

/**
 * Continuous verification of the audit trail (issue 6 items 2 and 5; docs/audit.md "Continuous verification";
 * HIPAA §164.312(c)(1) integrity, §164.308(a)(1)(ii)(D) information system activity review). A full run every
 * WARDLINE_AUDIT_VERIFY_HOURS recomputes the whole chain; when it finds tampering, the security officer is told at once
 * (security event `audit.tampering-detected`, delivered by the security webhook). Between full runs, an evidence
 * report verifies only the tail after the newest signed checkpoint the last full run covered, and says so.
 */

/**
 * One scheduled full run, recorded in `audit_verification`; tampering raises a security event.
 * @param deps - app dependencies
 */
export async function verifyAuditTrailOnSchedule(deps: AppDeps): Promise<AuditChainReport> {
  const report = await deps.auditChain.verify({ runBy: 'schedule' });
  if (!report.ok) {
    await deps.store.securityEvents.record({
      kind: 'audit.tampering-detected',
      occurredAt: deps.clock.now(),
      principalId: null,
      patientId: null,
      details: { tampering: report.tampering?.kind ?? 'unknown', position: report.tampering?.position ?? null, eventsVerified: report.events },
    });
    deps.logger.error({ tampering: report.tampering?.kind ?? 'unknown', position: report.tampering?.position ?? null }, 'audit trail verification failed');
  }
  return report;
}

/**
 * The chain's state for an evidence report: the tail since a recent full run, or a full run now.
 * @param deps - app dependencies
 */
export function verifyAuditTrailForReport(deps: AppDeps): Promise<AuditChainReport> {
  return deps.auditChain.verifyRecent('report', deps.settings.auditVerifyMs ?? 0);
}
