import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasPermission } from '../../../core/access/actor.ts';
import { DomainError } from '../../../core/errors.ts';
import { visibilityFilter } from '../../../core/access/actor.ts';
import type { AppDeps } from '../../../app/context.ts';
import { contextOf } from '../plugins/auth.ts';

/** The staff review queue: replies Wardline could not act on alone (unclear, wrong number, unknown sender). */
export function inboundRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/inbound',
      { schema: { tags: ['inbound'], querystring: z.object({ needsReview: z.enum(['true', 'false']).default('true'), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict() } },
      async (request) => {
        const ctx = contextOf(request);
        if (!hasPermission(ctx.actor, 'consent.manage')) throw new DomainError('ACCESS_DENIED', 'The review queue needs consent.manage.');
        const visibility = visibilityFilter(ctx.actor);
        // Filtered in SQL and under row-level security (issue 5 item 3).
        const items = await deps.store.asViewer(visibility, (viewer) => viewer.inbound.list({ needsReview: request.query.needsReview === 'true', visibility, limit: request.query.limit }));
        return { items: items.map((i) => ({ ...i, receivedAt: i.receivedAt.toISOString() })) };
      },
    );
  };
}
