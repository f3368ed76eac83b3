import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PatientId, PrincipalId } from '../../../core/ids.ts';
import { closeBreakGlass, listBreakGlass, openBreakGlass } from '../../../app/break-glass.ts';
import type { AppDeps } from '../../../app/context.ts';
import { changeCareTeam, createCareTeam, listCareTeams, listShares, revokeShare, sharePatient } from '../../../app/sharing.ts';
import { contextOf } from '../plugins/auth.ts';
import { IdParams, Uuid } from './schemas.ts';

const TeamMemberParams = z.object({ id: Uuid, principalId: Uuid }).strict();
const TeamPatientParams = z.object({ id: Uuid, patientId: Uuid }).strict();
const ShareBody = z
  .object({
    principalId: Uuid,
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
const BreakGlassBody = z.object({ reason: z.string().trim().min(10, 'must say why, in at least 10 characters').max(500) }).strict();
const BreakGlassQuery = z.object({ days: z.coerce.number().int().min(1).max(90).default(7), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/** Care teams, explicit shares and break-glass (docs/sharing.md). */
export function sharingRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/care-teams', { schema: { tags: ['sharing'], body: z.object({ name: z.string().trim().min(1).max(100) }).strict() } }, async (request, reply) => {
      return reply.code(201).send(await createCareTeam(deps, contextOf(request), request.body.name));
    });
    app.get('/v1/care-teams', { schema: { tags: ['sharing'] } }, async (request) => ({ items: await listCareTeams(deps, contextOf(request)) }));

    // PUT adds, DELETE removes; both are idempotent (204 either way).
    for (const [method, present] of [['PUT', true], ['DELETE', false]] as const) {
      app.route({
        method,
        url: '/v1/care-teams/:id/members/:principalId',
        schema: { tags: ['sharing'], params: TeamMemberParams },
        handler: async (request, reply) => {
          await changeCareTeam(deps, contextOf(request), request.params.id, { member: request.params.principalId as PrincipalId, present });
          return reply.code(204).send();
        },
      });
      app.route({
        method,
        url: '/v1/care-teams/:id/patients/:patientId',
        schema: { tags: ['sharing'], params: TeamPatientParams },
        handler: async (request, reply) => {
          await changeCareTeam(deps, contextOf(request), request.params.id, { patient: request.params.patientId as PatientId, present });
          return reply.code(204).send();
        },
      });
    }

    app.post('/v1/patients/:id/shares', { schema: { tags: ['sharing'], params: IdParams, body: ShareBody } }, async (request, reply) => {
      const b = request.body;
      const result = await sharePatient(deps, contextOf(request), request.params.id as PatientId, {
        principalId: b.principalId as PrincipalId,
        expiresAt: b.expiresAt === undefined ? null : new Date(b.expiresAt),
        reason: b.reason ?? null,
      });
      return reply.code(201).send(result);
    });
    app.get('/v1/patients/:id/shares', { schema: { tags: ['sharing'], params: IdParams } }, async (request) => ({
      items: await listShares(deps, contextOf(request), request.params.id as PatientId),
    }));
    app.delete('/v1/patients/:id/shares/:grantId', { schema: { tags: ['sharing'], params: z.object({ id: Uuid, grantId: Uuid }).strict() } }, async (request, reply) => {
      await revokeShare(deps, contextOf(request), request.params.id as PatientId, request.params.grantId);
      return reply.code(204).send();
    });

    app.post('/v1/patients/:id/break-glass', { schema: { tags: ['sharing'], params: IdParams, body: BreakGlassBody } }, async (request, reply) => {
      return reply.code(201).send(await openBreakGlass(deps, contextOf(request), request.params.id as PatientId, request.body.reason));
    });
    app.post('/v1/patients/:id/break-glass/close', { schema: { tags: ['sharing'], params: IdParams } }, async (request, reply) => {
      await closeBreakGlass(deps, contextOf(request), request.params.id as PatientId);
      return reply.code(204).send();
    });
    app.get('/v1/break-glass', { schema: { tags: ['sharing'], querystring: BreakGlassQuery } }, async (request) => ({
      items: await listBreakGlass(deps, contextOf(request), { sinceMs: request.query.days * 86_400_000, limit: request.query.limit }),
    }));
  };
}
