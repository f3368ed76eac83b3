import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import { acknowledgeSecurityEvent, listSecurityEvents } from '../../../app/security-events.ts';
import { contextOf } from '../plugins/auth.ts';
import { IdParams } from './schemas.ts';

const ListQuery = z
  .object({
    acknowledged: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** The security officer's queue of security events (docs/sharing.md). */
export function securityEventRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/security-events', { schema: { tags: ['security'], querystring: ListQuery } }, async (request) => {
      const { acknowledged, limit } = request.query;
      const items = await listSecurityEvents(deps, contextOf(request), { ...(acknowledged === undefined ? {} : { acknowledged: acknowledged === 'true' }), limit });
      return { items };
    });
    app.post('/v1/security-events/:id/acknowledge', { schema: { tags: ['security'], params: IdParams } }, async (request) => {
      return acknowledgeSecurityEvent(deps, contextOf(request), request.params.id);
    });
  };
}
