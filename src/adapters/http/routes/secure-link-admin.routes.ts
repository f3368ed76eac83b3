import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MessageId } from '../../../core/ids.ts';
import type { AppDeps } from '../../../app/context.ts';
import { getSecureLinks, reissueSecureLink, REVOCATION_REASONS, revokeMessageSecureLinks } from '../../../app/secure-link-admin.ts';
import { contextOf } from '../plugins/auth.ts';
import { IdParams } from './schemas.ts';

const RevokeBody = z.object({ reason: z.enum(REVOCATION_REASONS) }).strict();

/**
 * Staff operations on a message's secure link (bearer-authenticated): its state, revoke, reissue. Never the token,
 * never the content (`GET /v1/messages/{id}` shows the notice; the content is read where the patient reads it).
 * @param deps - app dependencies
 */
export function secureLinkAdminRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/messages/:id/secure-link', { schema: { tags: ['secure links'], params: IdParams } }, async (request) => {
      return getSecureLinks(deps, contextOf(request), request.params.id as MessageId);
    });

    app.post('/v1/messages/:id/secure-link/revoke', { schema: { tags: ['secure links'], params: IdParams, body: RevokeBody } }, async (request) => {
      return revokeMessageSecureLinks(deps, contextOf(request), request.params.id as MessageId, request.body.reason);
    });

    app.post('/v1/messages/:id/secure-link/reissue', { schema: { tags: ['secure links'], params: IdParams } }, async (request, reply) => {
      const result = await reissueSecureLink(deps, contextOf(request), request.params.id as MessageId);
      return reply.code(202).send(result);
    });
  };
}
