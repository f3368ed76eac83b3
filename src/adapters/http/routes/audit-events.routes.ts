import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAuditEvents } from '../../../app/audit-events.ts';
import type { AppDeps } from '../../../app/context.ts';
import type { AuditEventRecord } from '../../../app/ports.ts';
import type { PatientId } from '../../../core/ids.ts';
import { AUDIT_ACTIONS } from '../../../core/audit/audit-event.ts';
import { contextOf } from '../plugins/auth.ts';
import { Uuid } from './schemas.ts';

const Query = z
  .object({
    patientId: Uuid.optional(),
    actorId: z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be an id (printable ASCII)').optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be the nextCursor of a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

function view(e: AuditEventRecord): Record<string, unknown> {
  return {
    id: String(e.id),
    eventId: e.eventId,
    occurredAt: e.occurredAt.toISOString(),
    actor: e.actor,
    onBehalfOf: e.onBehalfOf,
    action: e.action,
    outcome: e.outcome,
    target: { type: e.targetType, id: e.targetId },
    patientId: e.patientId,
    reason: e.reason,
    requestId: e.requestId,
    sourceAddress: e.sourceAddress,
    details: e.details,
    chainPosition: e.chainPosition,
  };
}

/** The audit trail as a query (docs/audit-events.md): `audit.read`, filtered by the caller's sharing, audited. */
export function auditEventRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/audit/events', { schema: { tags: ['audit'], querystring: Query } }, async (request) => {
      const q = request.query;
      const page = await listAuditEvents(deps, contextOf(request), {
        patientId: q.patientId as PatientId | undefined,
        actorId: q.actorId,
        action: q.action,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        before: q.cursor === undefined ? undefined : Number(q.cursor),
        limit: q.limit,
      });
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    });
  };
}
