import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrincipalKind } from '../../../core/access/actor.ts';
import { PERMISSION_SET_NAME_PATTERN, PERMISSIONS } from '../../../core/access/permissions.ts';
import type { PrincipalId, WardId } from '../../../core/ids.ts';
import type { AppDeps } from '../../../app/context.ts';
import type { PrincipalRecord } from '../../../app/ports.ts';
import { DomainError } from '../../../core/errors.ts';
import { createPrincipal, createWard, getPrincipal, issueToken, listPrincipals, updatePrincipal } from '../../../app/directory.ts';
import { createPermissionSet, listPermissionSets, updatePermissionSet } from '../../../app/permission-sets.ts';
import { configureSignIn, deactivatePrincipal, hashNewPassword, resetCredentials, revokeToken } from '../../../app/sign-in.ts';
import { contextOf } from '../plugins/auth.ts';
import { Uuid } from './schemas.ts';

const PermissionSetName = z.string().regex(PERMISSION_SET_NAME_PATTERN, 'must be 2-63 characters: a-z, 0-9, _ (starting with a letter)');
const PermissionSets = z.array(PermissionSetName).min(1).max(16);
const Permissions = z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length);
const PermissionSetBody = z.object({ label: z.string().trim().min(1).max(100), permissions: Permissions, orgWide: z.boolean().default(false) }).strict();
const PrincipalPatch = z
  .object({ displayName: z.string().trim().min(1).max(100).optional(), permissionSets: PermissionSets.optional(), wardIds: z.array(Uuid).max(100).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one of displayName, permissionSets, wardIds');

/** Wards, users, AI agents, tokens and permission sets. */
export function directoryRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/wards', { schema: { tags: ['directory'], body: z.object({ name: z.string().trim().min(1).max(100) }).strict() } }, async (request, reply) => {
      return reply.code(201).send(await createWard(deps, contextOf(request), request.body.name));
    });

    const principalBody = (kind: PrincipalKind) =>
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
        permissionSets: b.permissionSets,
        wardIds: b.wardIds as WardId[],
      });
      if (b.mfaRequired !== undefined || b.oidcSubject !== undefined) await configureSignIn(deps, ctx, result.id, { mfaRequired: b.mfaRequired, oidcSubject: b.oidcSubject });
      return reply.code(201).send(result);
    });

    const CredentialsReset = z
      .object({ password: z.string().max(1024).optional(), totp: z.literal(true).optional() })
      .strict()
      .refine((b) => b.password !== undefined || b.totp === true, 'give a new password, or totp: true to remove the second factor, or both');
    app.post('/v1/users/:id/credentials-reset', { schema: { tags: ['directory'], params: z.object({ id: Uuid }), body: CredentialsReset } }, async (request) => {
      return resetCredentials(deps, contextOf(request), request.params.id as PrincipalId, request.body);
    });

    app.delete('/v1/tokens/:id', { schema: { tags: ['directory'], params: z.object({ id: Uuid }) } }, async (request, reply) => {
      await revokeToken(deps, contextOf(request), request.params.id);
      return reply.code(204).send();
    });

    // AI agents and integrations (an EHR feed, a scheduling system) authenticate with API tokens only.
    for (const [collection, kind] of [['agents', 'agent'], ['integrations', 'integration']] as const) {
      app.post(`/v1/${collection}`, { schema: { tags: ['directory'], body: principalBody(kind) } }, async (request, reply) => {
        const b = request.body as { displayName: string; permissionSets: string[]; wardIds: string[] };
        const result = await createPrincipal(deps, contextOf(request), {
          kind,
          username: null,
          displayName: b.displayName,
          passwordHash: null,
          permissionSets: b.permissionSets,
          wardIds: b.wardIds as WardId[],
        });
        return reply.code(201).send(result);
      });
    }

    const TokenBody = z.object({ principalId: Uuid, expiresAt: z.iso.datetime({ offset: true }).optional(), scopes: Permissions.min(1).optional() }).strict();
    app.post('/v1/tokens', { schema: { tags: ['directory'], body: TokenBody } }, async (request, reply) => {
      const b = request.body;
      const result = await issueToken(deps, contextOf(request), b.principalId as PrincipalId, b.expiresAt === undefined ? null : new Date(b.expiresAt), b.scopes ?? null);
      return reply.code(201).send({ id: result.id, token: result.token, principalId: b.principalId, scopes: b.scopes ?? null });
    });

    const view = (p: PrincipalRecord) => ({ id: p.id, kind: p.kind, username: p.username, displayName: p.displayName, permissionSets: p.permissionSets, wardIds: p.wardIds, disabled: p.disabledAt !== null });
    for (const [collection, kind] of [['users', 'user'], ['agents', 'agent'], ['integrations', 'integration']] as const) {
      app.get(`/v1/${collection}`, { schema: { tags: ['directory'], querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict() } }, async (request) => ({
        items: (await listPrincipals(deps, contextOf(request), kind, request.query.limit)).map(view),
      }));
      // Each collection answers for its own kind only: an agent's id under /v1/users is unknown.
      const ofKind = async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const p = await getPrincipal(deps, contextOf(request), request.params.id as PrincipalId);
        if (p.kind !== kind) throw new DomainError('NOT_FOUND', 'No principal of this kind has this id.');
        return p;
      };
      app.get(`/v1/${collection}/:id`, { schema: { tags: ['directory'], params: z.object({ id: Uuid }) } }, async (request) => view(await ofKind(request)));
      app.post(`/v1/${collection}/:id/deactivate`, { schema: { tags: ['directory'], params: z.object({ id: Uuid }) } }, async (request) => {
        return deactivatePrincipal(deps, contextOf(request), (await ofKind(request)).id);
      });
      app.patch(`/v1/${collection}/:id`, { schema: { tags: ['directory'], params: z.object({ id: Uuid }), body: PrincipalPatch } }, async (request) => {
        const b = request.body as { displayName?: string; permissionSets?: string[]; wardIds?: string[] };
        const change = {
          ...(b.displayName === undefined ? {} : { displayName: b.displayName }),
          ...(b.permissionSets === undefined ? {} : { permissionSets: b.permissionSets }),
          ...(b.wardIds === undefined ? {} : { wardIds: b.wardIds as WardId[] }),
        };
        return view(await updatePrincipal(deps, contextOf(request), (await ofKind(request)).id, change));
      });
    }

    app.get('/v1/permission-sets', { schema: { tags: ['directory'] } }, async () => ({ items: await listPermissionSets(deps) }));
    app.post('/v1/permission-sets', { schema: { tags: ['directory'], body: PermissionSetBody.extend({ name: PermissionSetName }).strict() } }, async (request, reply) => {
      const { name, ...cmd } = request.body;
      return reply.code(201).send(await createPermissionSet(deps, contextOf(request), name, cmd));
    });
    app.put('/v1/permission-sets/:name', { schema: { tags: ['directory'], params: z.object({ name: PermissionSetName }), body: PermissionSetBody } }, async (request) => {
      return updatePermissionSet(deps, contextOf(request), request.params.name, request.body);
    });
  };
}
