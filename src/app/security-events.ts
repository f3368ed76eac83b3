import { auditActorOf } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { SecurityEventRecord } from './ports.ts';
import { requireAnyPermission } from './sharing.ts';

/**
 * The security officer's queue (issue 5 items 4 and "bad input"): break-glass openings and attempts on patients
 * outside the actor's sharing, until acknowledged. Readable by holders of `audit.read` or `user.admin`. Events hold
 * ids only; the optional webhook (adapters/dispatch/security-webhook.ts) pushes the same ids.
 */

/**
 * @param deps - app dependencies
 * @param ctx - the caller; needs `audit.read` or `user.admin`
 * @param filter - acknowledged or not (both when absent), and how many, newest first
 */
export async function listSecurityEvents(deps: AppDeps, ctx: RequestContext, filter: { readonly acknowledged?: boolean; readonly limit: number }): Promise<SecurityEventRecord[]> {
  await requireAnyPermission(deps.store, ctx, ['audit.read', 'user.admin']);
  return deps.store.securityEvents.list(filter);
}

/**
 * Marks an event as seen by the caller; acknowledging it again changes nothing.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `audit.read` or `user.admin`
 * @param id - which event (404 when unknown)
 * @returns the event as it now stands
 */
export async function acknowledgeSecurityEvent(deps: AppDeps, ctx: RequestContext, id: string): Promise<SecurityEventRecord> {
  await requireAnyPermission(deps.store, ctx, ['audit.read', 'user.admin']);
  if ((await deps.store.securityEvents.get(id)) === null) throw new DomainError('NOT_FOUND', 'No security event has this id.');
  await deps.store.transaction(async (tx) => {
    if (!(await tx.securityEvents.acknowledge(id, ctx.actor.id, deps.clock.now()))) return;
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'security-event.acknowledged', outcome: 'success', targetType: 'security-event', targetId: id, patientId: null, reason: null, ...auditOrigin(ctx) });
  });
  const event = await deps.store.securityEvents.get(id);
  if (event === null) throw new DomainError('NOT_FOUND', 'No security event has this id.');
  return event;
}
