import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PERMISSION_SET_NAMES } from '../../../core/access/permissions.ts';
import type { PrincipalId, WardId } from '../../../core/ids.ts';
import type { AppDeps } from '../../../app/context.ts';
import { createPrincipal, createWard, issueToken } from '../../../app/directory.ts';
import { configureSignIn, deactivatePrincipal, hashNewPassword, revokeToken } from '../../../app/sign-in.ts';
import { contextOf } from '../plugins/auth.ts';
import { Uuid } from './schemas.ts';

const PermissionSets = z.array(z.enum(PERMISSION_SET_NAMES as [string, ...string[]])).min(1).max(8);

/** Wards, users, AI agents and tokens. */
export function directoryRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/wards', { schema: { tags: ['directory'], body: z.object({ name: z.string().trim().min(1).max(100) }).strict() } }, async (request, reply) => {
      return reply.code(201).send(await createWard(deps, contextOf(request), request.body.name));
    });

    const principalBody = (kind: 'user' | 'agent') =>
      z
        .object({
          ...(kind === 'user'
            ? {
                username: z.string().regex(/^[a-z0-9._-]{3,64}$/, 'must be 3-64 characters: a-z, 0-9, . _ -'),
                password: z.string().max(1024).optional(),
                mfaRequired: z.boolean().optional(),
                oidcSubject: z.string().min(1).max(255).optional(),
              }
            : {}),
          displayName: z.string().trim().min(1).max(100),
          permissionSets: PermissionSets,
          wardIds: z.array(Uuid).max(100).default([]),
        })
        .strict();

    app.post('/v1/users', { schema: { tags: ['directory'], body: principalBody('user') } }, async (request, reply) => {
      const b = request.body as { username: string; password?: string; mfaRequired?: boolean; oidcSubject?: string; displayName: string; permissionSets: string[]; wardIds: string[] };
      const ctx = contextOf(request);
      const result = await createPrincipal(deps, ctx, {
        kind: 'user',
        username: b.username,
        displayName: b.displayName,
        passwordHash: b.password === undefined ? null : await hashNewPassword(deps, ctx, b.username, b.password),
        permissionSets: b.permissionSets as (typeof PERMISSION_SET_NAMES)[number][],
        wardIds: b.wardIds as WardId[],
      });
      if (b.mfaRequired !== undefined || b.oidcSubject !== undefined) await configureSignIn(deps, ctx, result.id, { mfaRequired: b.mfaRequired, oidcSubject: b.oidcSubject });
      return reply.code(201).send(result);
    });

    app.post('/v1/users/:id/deactivate', { schema: { tags: ['directory'], params: z.object({ id: Uuid }) } }, async (request) => {
      return deactivatePrincipal(deps, contextOf(request), request.params.id as PrincipalId);
    });

    app.delete('/v1/tokens/:id', { schema: { tags: ['directory'], params: z.object({ id: Uuid }) } }, async (request, reply) => {
      await revokeToken(deps, contextOf(request), request.params.id);
      return reply.code(204).send();
    });

    app.post('/v1/agents', { schema: { tags: ['directory'], body: principalBody('agent') } }, async (request, reply) => {
      const b = request.body as { displayName: string; permissionSets: string[]; wardIds: string[] };
      const result = await createPrincipal(deps, contextOf(request), {
        kind: 'agent',
        username: null,
        displayName: b.displayName,
        passwordHash: null,
        permissionSets: b.permissionSets as (typeof PERMISSION_SET_NAMES)[number][],
        wardIds: b.wardIds as WardId[],
      });
      return reply.code(201).send(result);
    });

    app.post('/v1/tokens', { schema: { tags: ['directory'], body: z.object({ principalId: Uuid, expiresAt: z.iso.datetime({ offset: true }).optional() }).strict() } }, async (request, reply) => {
      const b = request.body;
      const result = await issueToken(deps, contextOf(request), b.principalId as PrincipalId, b.expiresAt === undefined ? null : new Date(b.expiresAt));
      return reply.code(201).send({ id: result.id, token: result.token, principalId: b.principalId });
    });
  };
}
