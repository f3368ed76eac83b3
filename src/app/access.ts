import { accessBasis, auditActorOf, canPlaceInWard, hasPermission, visibilityFilter, type PatientScope } from '../core/access/actor.ts';
import { viewPermission, type Permission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId, WardId } from '../core/ids.ts';
import { auditOrigin, type RequestContext } from './context.ts';
import type { MessageRecord, PatientRecord, PatientSendState, StoreSession } from './ports.ts';

/**
 * Throws ACCESS_DENIED (and audits the denial) unless the actor holds `permission` — or, given several, any of them.
 * @param session - where the denial is audited
 * @param ctx - the caller
 * @param permission - what it needs, or the permissions of which it needs one
 * @param target - the record the refused action named (e.g. the patient of a refused send), kept as the denial's
 * target; not yet checked against the caller's sharing, so it is not recorded as the event's patient
 */
export async function requirePermission(
  session: StoreSession,
  ctx: RequestContext,
  permission: Permission | readonly Permission[],
  target?: { readonly type: 'patient'; readonly id: string },
): Promise<void> {
  const anyOf = typeof permission === 'string' ? [permission] : permission;
  if (anyOf.some((p) => hasPermission(ctx.actor, p))) return;
  await auditDenial(session, ctx, `missing ${anyOf.join(' or ')}`, target);
  throw new DomainError('ACCESS_DENIED', anyOf.length === 1 ? `This action needs the permission ${anyOf.join('')}.` : `This action needs one of the permissions ${anyOf.join(', ')}.`);
}

/**
 * Throws ACCESS_DENIED (audited) unless the actor may place new patients in each of these wards (`canPlaceInWard`).
 * @param session - where the denial is audited
 * @param ctx - the caller
 * @param wardIds - the wards (null: no ward)
 */
export async function requireWardPlacement(session: StoreSession, ctx: RequestContext, wardIds: readonly (WardId | null)[]): Promise<void> {
  if (wardIds.every((w) => canPlaceInWard(ctx.actor, w))) return;
  await auditDenial(session, ctx, "ward outside the actor's sharing");
  throw new DomainError('ACCESS_DENIED', 'You may only register patients in your own wards.');
}

async function auditDenial(session: StoreSession, ctx: RequestContext, reason: string, target?: { readonly type: 'patient'; readonly id: string }): Promise<void> {
  await session.audit.append({ actor: auditActorOf(ctx.actor), action: 'access.denied', outcome: 'denied', targetType: target?.type ?? 'system', targetId: target?.id ?? null, patientId: null, reason, ...auditOrigin(ctx) });
}

/**
 * Admits a patient's record to the caller, or answers as for an unknown id. A patient outside every sharing rule is
 * a denied attempt on someone else's data: audited, and a security event for the security officer. A patient open
 * only through break-glass is admitted and the use flagged (issue 5 item 4).
 * @param session - where audit and security events are written
 * @param ctx - the caller
 * @param patient - the record's patient
 * @param target - what was asked for by id: the patient, one of its messages or an incident about it (audited as the denial's target)
 */
export async function admitPatient(session: StoreSession, ctx: RequestContext, patient: PatientScope, target: { readonly type: 'patient' | 'message' | 'incident'; readonly id: string }): Promise<void> {
  const patientId = patient.id;
  const basis = accessBasis(ctx.actor, patient);
  if (basis !== null) {
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
        ...auditOrigin(ctx),
        details: { breakGlass: true },
      });
    }
    return;
  }
  await session.securityEvents.record({ kind: 'access.outside-sharing', principalId: ctx.actor.id, patientId, details: { ...auditOrigin(ctx) } });
  await session.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'access.denied',
    outcome: 'denied',
    targetType: target.type,
    targetId: target.id,
    patientId,
    reason: "outside the actor's sharing",
    ...auditOrigin(ctx),
  });
  throw new DomainError('NOT_FOUND', `No ${target.type} with this id is visible to you.`);
}

/**
 * Admits a message to the caller: its category's view permission, then its patient (`admitPatient`). Anything else
 * answers as for an unknown id, audited; another patient's message outside the caller's sharing is also a security
 * event.
 * @param session - where audit and security events are written
 * @param ctx - the caller
 * @param id - the message asked for
 * @param message - the message found (null: unknown)
 * @returns the message, admitted
 */
export async function admitMessage<T extends Pick<MessageRecord, 'category' | 'patientId' | 'wardId'>>(session: StoreSession, ctx: RequestContext, id: string, message: T | null): Promise<T> {
  if (message === null) throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  if (!hasPermission(ctx.actor, viewPermission(message.category))) {
    await session.audit.append({ actor: auditActorOf(ctx.actor), action: 'access.denied', outcome: 'denied', targetType: 'message', targetId: id, patientId: message.patientId, reason: `missing ${viewPermission(message.category)}`, ...auditOrigin(ctx) });
    throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  }
  await admitPatient(session, ctx, { id: message.patientId, wardId: message.wardId }, { type: 'message', id });
  return message;
}

/**
 * Returns what was found about a patient if the actor may see it. A patient that does not exist and one outside the
 * actor's sharing answer alike (404), so ids cannot be probed; the second case is audited (`admitPatient`).
 */
async function visibleOrDeny<T extends { patient: PatientScope }>(session: StoreSession, ctx: RequestContext, found: T | null): Promise<T> {
  if (found === null) throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
  await admitPatient(session, ctx, found.patient, { type: 'patient', id: found.patient.id });
  return found;
}

/**
 * Two lines of defence: row-level security admits the row (issue 5 item 3), then `admitPatient` checks it in code.
 * When the scoped read finds nothing, one read as the connecting role tells an audited denial from an unknown id;
 * that row is never returned.
 */
async function loadVisible<T extends { patient: PatientScope }>(session: StoreSession, ctx: RequestContext, patientId: PatientId, read: (viewer: StoreSession) => Promise<T | null>): Promise<T> {
  const found = await session.asViewer(visibilityFilter(ctx.actor), read);
  if (found !== null) return visibleOrDeny(session, ctx, found);
  const hidden = await session.patients.get(patientId);
  await visibleOrDeny(session, ctx, hidden === null ? null : { patient: hidden });
  throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
}

/**
 * Loads a patient the actor may see (404 otherwise, audited when the patient exists).
 * @param session - the store session
 * @param ctx - the caller
 * @param patientId - the requested patient
 */
export async function loadAccessiblePatient(session: StoreSession, ctx: RequestContext, patientId: PatientId): Promise<PatientRecord> {
  return (await loadVisible(session, ctx, patientId, async (viewer) => {
    const patient = await viewer.patients.get(patientId);
    return patient === null ? null : { patient };
  })).patient;
}

/**
 * Loads what the send path needs about a patient the actor may see (see `PatientSendState`). Checked in code only:
 * a send returns nothing of the record to the caller, so row-level security (which guards what staff read back)
 * would cost every send a transaction for no confidentiality (docs/decisions/0013-row-level-security.md).
 * @param session - the store session
 * @param ctx - the caller
 * @param patientId - the requested patient
 */
export async function loadPatientSendState(session: StoreSession, ctx: RequestContext, patientId: PatientId): Promise<PatientSendState> {
  return visibleOrDeny(session, ctx, await session.patients.getSendState(patientId));
}
