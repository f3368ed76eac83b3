import { accessBasis, auditActorOf, type PatientScope, hasPermission } from '../core/access/actor.ts';
import type { Permission } from '../core/access/permissions.ts';
import { visibilityFilter } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import type { RequestContext } from './context.ts';
import type { PatientRecord, PatientSendState, StoreSession } from './ports.ts';

/**
 * Throws ACCESS_DENIED (and audits the denial) unless the actor holds `permission`.
 * @param session - where the denial is audited
 * @param ctx - the caller
 * @param permission - what it needs
 */
export async function requirePermission(
  session: StoreSession,
  ctx: RequestContext,
  permission: Permission,
): Promise<void> {
  if (hasPermission(ctx.actor, permission)) return;
  await session.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'access.denied',
    outcome: 'denied',
    targetType: 'system',
    targetId: null,
    patientId: null,
    reason: `missing ${permission}`,
    requestId: ctx.requestId,
  });
  throw new DomainError('ACCESS_DENIED', `This action needs the permission ${permission}.`);
}

/**
 * Returns what was found about a patient if the actor may see it. A patient that does not exist and one in another
 * ward answer alike (404), so ids cannot be probed; the second case is audited as a denial.
 */
async function visibleOrDeny<T extends { patient: PatientScope }>(
  session: StoreSession,
  ctx: RequestContext,
  patientId: PatientId,
  found: T | null,
): Promise<T> {
  const basis = found === null ? null : accessBasis(ctx.actor, found.patient);
  if (found !== null && basis !== null) {
    // Break-glass access is flagged on every use (issue 5 item 4); the security officer reviews these.
    if (basis === 'breakglass') {
      await session.audit.append({
        actor: auditActorOf(ctx.actor),
        action: 'breakglass.used',
        outcome: 'success',
        targetType: 'patient',
        targetId: patientId,
        patientId,
        reason: null,
        requestId: ctx.requestId,
        details: { breakGlass: true },
      });
    }
    return found;
  }
  if (found !== null) {
    await session.securityEvents.record({ kind: 'access.outside-sharing', principalId: ctx.actor.id, patientId, details: { requestId: ctx.requestId } });
    await session.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'access.denied',
      outcome: 'denied',
      targetType: 'patient',
      targetId: patientId,
      patientId,
      reason: "outside the actor's wards",
      requestId: ctx.requestId,
    });
  }
  throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
}

/**
 * Loads a patient the actor may see (404 otherwise, audited when the patient exists).
 * @param session - the store session
 * @param ctx - the caller
 * @param patientId - the requested patient
 */
export async function loadAccessiblePatient(
  session: StoreSession,
  ctx: RequestContext,
  patientId: PatientId,
): Promise<PatientRecord> {
  // Two lines of defence: row-level security admits the row (issue 5 item 3), then `visibleOrDeny` checks it in code.
  const patient = await session.asViewer(visibilityFilter(ctx.actor), (viewer) => viewer.patients.get(patientId));
  if (patient !== null) return (await visibleOrDeny(session, ctx, patientId, { patient })).patient;
  // Unknown or hidden: the connecting role's read only tells an audited denial from an unknown id; never returned.
  const hidden = await session.patients.get(patientId);
  await visibleOrDeny(session, ctx, patientId, hidden === null ? null : { patient: hidden });
  throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
}

/**
 * Loads what the send path needs about a patient the actor may see (see `PatientSendState`).
 * @param session - the store session
 * @param ctx - the caller
 * @param patientId - the requested patient
 */
export async function loadPatientSendState(session: StoreSession, ctx: RequestContext, patientId: PatientId): Promise<PatientSendState> {
  const state = await session.asViewer(visibilityFilter(ctx.actor), (viewer) => viewer.patients.getSendState(patientId));
  if (state !== null) return visibleOrDeny(session, ctx, patientId, state);
  // As in `loadAccessiblePatient`: hidden by row-level security or unknown, and 404 either way.
  const hidden = await session.patients.get(patientId);
  await visibleOrDeny(session, ctx, patientId, hidden === null ? null : { patient: hidden });
  throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
}
