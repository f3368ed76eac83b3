import { auditActorOf, visibilityFilter } from '../core/access/actor.ts';
import type { PatientId } from '../core/ids.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { AuditEventRecord } from './ports.ts';

/** What `GET /v1/audit/events` filters by; every field but `limit` is optional. */
export interface AuditEventQuery {
  readonly patientId?: PatientId | undefined;
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** The `nextCursor` of the previous page. */
  readonly before?: number | undefined;
  readonly limit: number;
}

/**
 * The audit trail as a query (issue 6 item 1; HIPAA 45 CFR §164.312(b) audit controls): newest first, keyset-paginated,
 * filtered in SQL by the caller's record-level sharing like every other list. A patient outside that sharing answers
 * 404 as an unknown id would, and the attempt is audited (`loadAccessiblePatient`). Reading the trail is itself an
 * audit event (`audit.viewed`), written after the read with the filters used (ids and codes only).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `audit.read`
 * @param q - filters, cursor and page size
 * @returns one page and the cursor of the next (null on the last page)
 */
export async function listAuditEvents(deps: AppDeps, ctx: RequestContext, q: AuditEventQuery): Promise<{ items: AuditEventRecord[]; nextCursor: string | null }> {
  await requirePermission(deps.store, ctx, 'audit.read');
  if (q.patientId !== undefined) await loadAccessiblePatient(deps.store, ctx, q.patientId);
  const items = await deps.store.auditEvents.list({
    visibility: visibilityFilter(ctx.actor),
    limit: q.limit,
    ...(q.patientId === undefined ? {} : { patientId: q.patientId }),
    ...(q.actorId === undefined ? {} : { actorId: q.actorId }),
    ...(q.action === undefined ? {} : { action: q.action }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.before === undefined ? {} : { before: q.before }),
  });
  await deps.store.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'audit.viewed',
    outcome: 'success',
    targetType: q.patientId === undefined ? 'system' : 'patient',
    targetId: q.patientId ?? null,
    patientId: q.patientId ?? null,
    reason: null,
    ...auditOrigin(ctx),
    details: {
      count: items.length,
      via: ctx.via,
      actorId: q.actorId ?? null,
      action: q.action ?? null,
      from: q.from?.toISOString() ?? null,
      to: q.to?.toISOString() ?? null,
      page: q.before === undefined ? 'first' : 'next',
    },
  });
  const last = items.at(-1);
  return { items, nextCursor: items.length === q.limit && last !== undefined ? String(last.id) : null };
}
