import { accessBasis, auditActorOf } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import { phi } from '../core/phi/phi.ts';
import { requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { grantView, type GrantView } from './sharing.ts';

/**
 * Break-glass (issue 5 item 4; docs/sharing.md, docs/decisions/0014-break-glass-and-security-events.md): a holder of
 * `breakglass.use` opens a patient outside their sharing for an emergency, with a written reason, for a fixed time.
 * The opening is audited and raises a security event; every later read through it is audited as `breakglass.used`
 * (`admitPatient` in access.ts). The reason may name clinical facts: it is stored encrypted and appears in no log
 * and no audit event.
 */

/** Default length of a break-glass access when the container sets none (WARDLINE_BREAKGLASS_MINUTES). */
export const DEFAULT_BREAKGLASS_MS = 60 * 60_000;

/**
 * Opens a break-glass access to a patient the caller cannot otherwise see.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `breakglass.use` (403 otherwise)
 * @param patientId - whom (404 when no such patient; 409 CONFLICT when the caller already sees it)
 * @param reason - why, 10 to 500 characters (the route checks the length)
 * @returns the grant's id and when it ends
 */
export async function openBreakGlass(deps: AppDeps, ctx: RequestContext, patientId: PatientId, reason: string): Promise<{ id: string; patientId: PatientId; expiresAt: Date }> {
  await requirePermission(deps.store, ctx, 'breakglass.use');
  const patient = await deps.store.patients.get(patientId);
  if (patient === null) throw new DomainError('NOT_FOUND', 'No patient has this id.');
  const basis = accessBasis(ctx.actor, patient);
  if (basis === 'breakglass') throw new DomainError('CONFLICT', 'A break-glass access to this patient is already open for you.');
  if (basis !== null) throw new DomainError('CONFLICT', 'Break-glass is not needed: you can already see this patient.');
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + (deps.settings.breakGlassMs ?? DEFAULT_BREAKGLASS_MS));
  const id = deps.ids.uuid();
  await deps.store.transaction(async (tx) => {
    await tx.grants.insert({ id, kind: 'breakglass', patientId, principalId: ctx.actor.id, reason: phi(reason), grantedBy: ctx.actor.id, grantedAt: now, expiresAt });
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'breakglass.opened',
      outcome: 'success',
      targetType: 'grant',
      targetId: id,
      patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { breakGlass: true, expiresAt: expiresAt.toISOString() },
    });
    await tx.securityEvents.record({ kind: 'breakglass.opened', occurredAt: now, principalId: ctx.actor.id, patientId, details: { grantId: id, expiresAt: expiresAt.toISOString() } });
  });
  deps.forgetAccess(ctx.actor.id);
  deps.logger.info({ grantId: id, patientId, principalId: ctx.actor.id }, 'break-glass opened');
  return { id, patientId, expiresAt };
}

/**
 * Ends the caller's open break-glass access to a patient before it expires.
 * @param deps - app dependencies
 * @param ctx - the caller, whose access it is
 * @param patientId - whom (404 when the caller has no open break-glass access to this patient)
 */
export async function closeBreakGlass(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<void> {
  const now = deps.clock.now();
  const grant = await deps.store.grants.open('breakglass', ctx.actor.id, patientId, now);
  if (grant === null) throw new DomainError('NOT_FOUND', 'You have no open break-glass access to this patient.');
  await deps.store.transaction(async (tx) => {
    if (!(await tx.grants.revoke(grant.id, ctx.actor.id, now))) return;
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'breakglass.closed',
      outcome: 'success',
      targetType: 'grant',
      targetId: grant.id,
      patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { breakGlass: true },
    });
  });
  deps.forgetAccess(ctx.actor.id);
}

/**
 * Break-glass accesses for review: every one still open, and every one opened within `sinceMs`, newest first,
 * with their reasons (the caller holds `audit.read`; reasons go to the response, never to a log).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `audit.read`
 * @param options - how far back to look and how many to return
 */
export async function listBreakGlass(deps: AppDeps, ctx: RequestContext, options: { readonly sinceMs: number; readonly limit: number }): Promise<GrantView[]> {
  await requirePermission(deps.store, ctx, 'audit.read');
  const now = deps.clock.now();
  const grants = await deps.store.grants.list({ kind: 'breakglass', openAt: now, since: new Date(now.getTime() - options.sinceMs), limit: options.limit }, { reasons: true });
  return grants.map((g) => grantView(g, now, true));
}
