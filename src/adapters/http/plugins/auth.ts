import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../../core/access/actor.ts';
import { DomainError } from '../../../core/errors.ts';
import type { AppDeps, RequestContext } from '../../../app/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes that authenticate otherwise (health, docs, signed webhooks). */
    public?: boolean;
  }
}

/**
 * Every API call is authenticated by a bearer token (hashed at rest) unless its route is marked public.
 * @param app - the Fastify instance
 * @param deps - app dependencies
 */
export function registerAuth(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) throw new DomainError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>.');
    const actor = await deps.authenticate(token);
    if (actor === null) throw new DomainError('UNAUTHENTICATED', 'The token is unknown, expired or revoked.');
    request.actor = actor;
  });
}

/** @param request - an authenticated request @returns the use-case context */
export function contextOf(request: FastifyRequest): RequestContext {
  if (request.actor === null) throw new DomainError('UNAUTHENTICATED');
  return { actor: request.actor, requestId: request.id };
}
