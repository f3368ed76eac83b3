import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import { listReviewQueue } from '../../../app/review-queue.ts';
import { contextOf } from '../plugins/auth.ts';

/** The staff review queue: replies Wardline could not act on alone (unclear, wrong number, unknown sender). */
export function inboundRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/inbound',
      { schema: { tags: ['inbound'], querystring: z.object({ needsReview: z.enum(['true', 'false']).default('true'), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict() } },
      async (request) => {
        const items = await listReviewQueue(deps, contextOf(request), { needsReview: request.query.needsReview === 'true', limit: request.query.limit });
        return { items: items.map((i) => ({ ...i, receivedAt: i.receivedAt.toISOString() })) };
      },
    );
  };
}
