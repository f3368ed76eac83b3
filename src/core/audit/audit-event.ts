import type { AuditActor } from '../access/actor.ts';

/**
 * Audit actions, `noun.past-verb`, stable forever (STYLE.md §4). HIPAA 45 CFR §164.312(b) audit controls.
 */
export const AUDIT_ACTIONS = [
  'patient.created',
  'patient.viewed',
  'consent.granted',
  'consent.revoked',
  'consent.viewed',
  'consent.overridden',
  'message.queued',
  'message.blocked',
  'message.status-changed',
  'message.cancelled',
  'message.viewed',
  'message.listed',
  'message.content-viewed',
  'audit.report-generated',
  'conversation.viewed',
  'message.held',
  'contact-point.changed',
  'webhook.rejected',
  'webhook.replayed',
  'inbound.received',
  'inbound.flagged',
  'principal.created',
  'principal.deactivated',
  'principal.updated',
  'permission-set.created',
  'permission-set.updated',
  'care-team.created',
  'care-team.changed',
  'patient.shared',
  'patient.share-revoked',
  'breakglass.opened',
  'breakglass.used',
  'breakglass.closed',
  'security-event.acknowledged',
  'auth.password-reset',
  'auth.totp-reset',
  'auth.signed-in',
  'auth.failed',
  'auth.locked',
  'auth.signed-out',
  'auth.session-expired',
  'auth.csrf-rejected',
  'auth.totp-enrolment-started',
  'auth.totp-enrolled',
  'token.revoked',
  'token.issued',
  'ward.created',
  'access.denied',
  'agent.throttled',
  'secure-link.created',
  'secure-link.opened',
  'secure-link.rejected',
  'secure-link.throttled',
  'secure-link.verification-failed',
  'secure-link.locked',
  'secure-link.code-sent',
  'secure-link.revoked',
  'secure-link.reissued',
  'secure-message.viewed',
  'template.created',
  'template.version-created',
  'template.approved',
  'template.rejected',
  'template.approval-refused',
  'template-kind.created',
  'phi-preference.accepted',
  'phi-preference.withdrawn',
  'audit.checkpoints-exported',
  'audit.retention-purged',
  'audit.export-started',
  'audit.exported',
  'audit.export-aborted',
  'audit.viewed',
  // Incident response (issue 7): every action on an incident, 45 CFR 164.530(j) documentation.
  'incident.opened',
  'incident.signal-linked',
  'incident.viewed',
  'incident.listed',
  'incident.confirmed',
  'incident.mitigated',
  'incident.assessed',
  'incident.decided',
  'incident.delayed',
  'incident.residents-recorded',
  'incident.notice-recorded',
  'incident.notice-generated',
  'incident.annual-log-exported',
  'incident.closed',
  'incident.reminder-raised',
  'contact-point.suspended',
  'contact-point.reverified',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'denied' | 'failure';

/**
 * One audit event. It stores ids and codes, never copies of PHI (no bodies, numbers or names): the audit
 * trail is read by more people than the records it describes (STYLE.md §7, medplum applyOptionalRedaction).
 */
export interface AuditEventInput {
  readonly actor: AuditActor;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly targetType: 'patient' | 'message' | 'consent' | 'principal' | 'token' | 'ward' | 'inbound' | 'system' | 'contact-point' | 'webhook' | 'secure-link' | 'template' | 'template-kind' | 'phi-preference' | 'session' | 'permission-set' | 'care-team' | 'grant' | 'security-event' | 'incident';
  readonly targetId: string | null;
  readonly patientId: string | null;
  /** A stable reason code (e.g. CONSENT_REVOKED), or reviewed text without PHI. */
  readonly reason: string | null;
  readonly requestId: string | null;
  /** The caller's network address (an HTTP request's client IP, `cli`); null for the system's own work. */
  readonly sourceAddress?: string | null;
  /** The user an agent or integration acted for, when the request says so (`principal:<id>` or an external id). */
  readonly onBehalfOf?: string | null;
  /** Extra ids and codes; never PHI. */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}
