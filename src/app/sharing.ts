import { accessBasis, auditActorOf, hasPermission } from '../core/access/actor.ts';
import type { Permission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId, PrincipalId } from '../core/ids.ts';
import { phi, reveal } from '../core/phi/phi.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { CareTeamSummary, GrantRecord, StoreSession } from './ports.ts';

/**
 * Sharing rules beyond wards (issue 5 item 3; docs/sharing.md): care teams, managed by administrators, and explicit
 * shares of one patient to one principal. `loadActor` reads both on every request, and each change here drops the
 * cached access of whoever it affects, so it applies at their next request.
 */

/**
 * Passes when the actor holds any of `permissions`; otherwise audits the denial and throws ACCESS_DENIED, naming
 * the first.
 * @param session - where a denial is audited
 * @param ctx - the caller
 * @param permissions - any one of these suffices
 */
export async function requireAnyPermission(session: StoreSession, ctx: RequestContext, permissions: readonly [Permission, ...Permission[]]): Promise<void> {
  if (permissions.some((p) => hasPermission(ctx.actor, p))) return;
  await requirePermission(session, ctx, permissions[0]);
}

/**
 * Creates a care team.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param name - the team's name (unique, case-insensitive)
 */
export async function createCareTeam(deps: AppDeps, ctx: RequestContext, name: string): Promise<{ id: string }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const id = deps.ids.uuid();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.careTeams.insert({ id, name, createdBy: ctx.actor.id }))) throw new DomainError('CONFLICT', 'A care team with this name exists.');
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'care-team.created', outcome: 'success', targetType: 'care-team', targetId: id, patientId: null, reason: null, ...auditOrigin(ctx) });
  });
  return { id };
}

/**
 * Every care team with its member and patient counts.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 */
export async function listCareTeams(deps: AppDeps, ctx: RequestContext): Promise<CareTeamSummary[]> {
  await requirePermission(deps.store, ctx, 'user.admin');
  return deps.store.careTeams.list();
}

/** One change to a care team: a member or a patient, added (`present`) or removed. */
export type CareTeamChange =
  | { readonly member: PrincipalId; readonly present: boolean }
  | { readonly patient: PatientId; readonly present: boolean };

/**
 * Adds or removes a member or a patient. Idempotent: a change that changes nothing writes nothing.
 * Unknown team, principal or patient: 404 NOT_FOUND.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param teamId - which team
 * @param change - what to add or remove
 */
export async function changeCareTeam(deps: AppDeps, ctx: RequestContext, teamId: string, change: CareTeamChange): Promise<void> {
  await requirePermission(deps.store, ctx, 'user.admin');
  if (!(await deps.store.careTeams.exists(teamId))) throw new DomainError('NOT_FOUND', 'No care team has this id.');
  if ('member' in change && (await deps.store.principals.get(change.member)) === null) throw new DomainError('NOT_FOUND', 'No user or agent has this id.');
  if ('patient' in change && (await deps.store.patients.get(change.patient)) === null) throw new DomainError('NOT_FOUND', 'No patient has this id.');
  const changed = await deps.store.transaction(async (tx) => {
    const done =
      'member' in change
        ? await (change.present ? tx.careTeams.addMember(teamId, change.member) : tx.careTeams.removeMember(teamId, change.member))
        : await (change.present ? tx.careTeams.addPatient(teamId, change.patient) : tx.careTeams.removePatient(teamId, change.patient));
    if (!done) return false;
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'care-team.changed',
      outcome: 'success',
      targetType: 'care-team',
      targetId: teamId,
      patientId: 'patient' in change ? change.patient : null,
      reason: null,
      ...auditOrigin(ctx),
      details: 'member' in change ? { change: change.present ? 'member-added' : 'member-removed', principalId: change.member } : { change: change.present ? 'patient-added' : 'patient-removed' },
    });
    return true;
  });
  if (changed) deps.forgetAccess('member' in change ? change.member : undefined);
}

/**
 * Who may share a patient or revoke a share: a holder of `user.admin` or `patient.manage` who can see the patient
 * through a standing rule (organisation-wide, ward, care team or a share). A break-glass access cannot be passed on.
 * A patient the caller cannot see answers 404 (audited, and a security event), like any other read.
 */
async function requireSharer(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<void> {
  await requireAnyPermission(deps.store, ctx, ['patient.manage', 'user.admin']);
  const patient = await loadAccessiblePatient(deps.store, ctx, patientId);
  if (accessBasis(ctx.actor, patient) === 'breakglass') throw new DomainError('ACCESS_DENIED', 'A break-glass access cannot be shared; ask someone on the patient’s ward or care team.');
}

export interface ShareCommand {
  readonly principalId: PrincipalId;
  readonly expiresAt: Date | null;
  /** Why; may name clinical facts, so it is stored encrypted and never logged or audited. */
  readonly reason: string | null;
}

/**
 * Shares a patient with one user or agent (an explicit share, issue 5 item 3), until revoked or `expiresAt`.
 * @param deps - app dependencies
 * @param ctx - the caller (see `requireSharer`)
 * @param patientId - whom
 * @param cmd - with whom, until when, why
 */
export async function sharePatient(deps: AppDeps, ctx: RequestContext, patientId: PatientId, cmd: ShareCommand): Promise<{ id: string }> {
  await requireSharer(deps, ctx, patientId);
  const now = deps.clock.now();
  const target = await deps.store.principals.get(cmd.principalId);
  if (target === null || target.disabledAt !== null) {
    throw new DomainError('VALIDATION_FAILED', 'principalId names no active user or agent.', { issues: [{ pointer: '/body/principalId', message: 'names no active user or agent' }] });
  }
  if (cmd.expiresAt !== null && cmd.expiresAt <= now) {
    throw new DomainError('VALIDATION_FAILED', 'expiresAt must be in the future.', { issues: [{ pointer: '/body/expiresAt', message: 'must be in the future' }] });
  }
  if ((await deps.store.grants.open('share', cmd.principalId, patientId, now)) !== null) {
    throw new DomainError('CONFLICT', 'This patient is already shared with this principal; revoke that share to change it.');
  }
  const id = deps.ids.uuid();
  await deps.store.transaction(async (tx) => {
    await tx.grants.insert({ id, kind: 'share', patientId, principalId: cmd.principalId, reason: cmd.reason === null ? null : phi(cmd.reason), grantedBy: ctx.actor.id, grantedAt: now, expiresAt: cmd.expiresAt });
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'patient.shared',
      outcome: 'success',
      targetType: 'grant',
      targetId: id,
      patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { principalId: cmd.principalId, expiresAt: cmd.expiresAt?.toISOString() ?? null },
    });
  });
  deps.forgetAccess(cmd.principalId);
  return { id };
}

/** A grant as the API shows it; `reason` only to holders of `audit.read`. */
export interface GrantView {
  readonly id: string;
  readonly patientId: PatientId;
  readonly principalId: PrincipalId;
  readonly grantedBy: PrincipalId;
  readonly grantedAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revokedBy: PrincipalId | null;
  readonly open: boolean;
  readonly reason?: string | null;
}

/**
 * @param g - a grant
 * @param now - now
 * @param withReason - whether the caller may read reasons (`audit.read`)
 */
export function grantView(g: GrantRecord, now: Date, withReason: boolean): GrantView {
  const open = g.revokedAt === null && (g.expiresAt === null || g.expiresAt > now);
  const view = { id: g.id, patientId: g.patientId, principalId: g.principalId, grantedBy: g.grantedBy, grantedAt: g.grantedAt, expiresAt: g.expiresAt, revokedAt: g.revokedAt, revokedBy: g.revokedBy, open };
  return withReason ? { ...view, reason: g.reason === null ? null : reveal(g.reason) } : view;
}

/**
 * A patient's shares, newest first (open and ended).
 * @param deps - app dependencies
 * @param ctx - the caller (see `requireSharer`)
 * @param patientId - whose
 */
export async function listShares(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<GrantView[]> {
  await requireSharer(deps, ctx, patientId);
  const withReason = hasPermission(ctx.actor, 'audit.read');
  const grants = await deps.store.grants.list({ kind: 'share', patientId, limit: 500 }, { reasons: withReason });
  const now = deps.clock.now();
  return grants.map((g) => grantView(g, now, withReason));
}

/**
 * Revokes a share; its holder loses access at its next request. Revoking a revoked share changes nothing.
 * @param deps - app dependencies
 * @param ctx - the caller (see `requireSharer`)
 * @param patientId - whose
 * @param grantId - which share (404 when it is not a share of this patient)
 */
export async function revokeShare(deps: AppDeps, ctx: RequestContext, patientId: PatientId, grantId: string): Promise<void> {
  await requireSharer(deps, ctx, patientId);
  const grant = await deps.store.grants.get(grantId);
  if (grant === null || grant.kind !== 'share' || grant.patientId !== patientId) throw new DomainError('NOT_FOUND', 'This patient has no share with this id.');
  const revoked = await deps.store.transaction(async (tx) => {
    if (!(await tx.grants.revoke(grantId, ctx.actor.id, deps.clock.now()))) return false;
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'patient.share-revoked',
      outcome: 'success',
      targetType: 'grant',
      targetId: grantId,
      patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { principalId: grant.principalId },
    });
    return true;
  });
  if (revoked) deps.forgetAccess(grant.principalId);
}
