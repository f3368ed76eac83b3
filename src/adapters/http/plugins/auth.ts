import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../../core/access/actor.ts';
import { DomainError } from '../../../core/errors.ts';
import type { AppDeps, RequestContext } from '../../../app/context.ts';
import { isCsrfTokenValid, recordCsrfRejection, resolveSession, type ResolvedSession } from '../../../app/sign-in.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** The staff session when the request authenticated with the session cookie (null for bearer tokens). */
    staffSession: { readonly secret: string; readonly session: ResolvedSession } | null;
  }
  interface FastifyContextConfig {
    /** Routes that authenticate otherwise (health, docs, signed webhooks). */
    public?: boolean;
    /** Routes a session may use while its account must still enrol a second factor. */
    enrolment?: boolean;
  }
}

/** Methods that change state: a cookie-authenticated request using one must carry the session's CSRF token. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** @param secure - whether the public URL is https @returns the session cookie's name (`__Host-` needs Secure) */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-wardline_session' : 'wardline_session';
}

/**
 * Every API call is authenticated by a bearer token (hashed at rest) or a staff session cookie, unless its route
 * is marked public. A bearer header wins when both are present. A cookie-authenticated POST, PUT, PATCH or DELETE
 * must carry the session's CSRF token in `X-CSRF-Token` (docs/sign-in.md).
 * @param app - the Fastify instance
 * @param deps - app dependencies
 */
export function registerAuth(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('staffSession', null);
  const cookieName = sessionCookieName(deps.signIn?.secureCookies ?? false);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    const secret = request.cookies[cookieName];
    if (header === undefined && secret !== undefined && secret !== '' && deps.signIn !== undefined) {
      const client = { sourceIp: request.ip, requestId: request.id };
      const presented = request.headers['x-csrf-token'];
      if (STATE_CHANGING.has(request.method) && !isCsrfTokenValid(secret, typeof presented === 'string' ? presented : undefined)) {
        await recordCsrfRejection(deps, null, { ...client, method: request.method, route: request.routeOptions.url });
        throw new DomainError('CSRF_TOKEN_INVALID', 'Send the csrfToken of this session in X-CSRF-Token.');
      }
      const session = await resolveSession(deps, secret, client);
      if (session === null) throw new DomainError('SESSION_EXPIRED', 'The session has ended; sign in again.');
      if (session.record.enrolmentOnly && request.routeOptions.config.enrolment !== true) {
        throw new DomainError('MFA_ENROLMENT_REQUIRED', 'Enrol a second factor at POST /v1/session/totp, then sign in again with a code.');
      }
      request.actor = session.actor;
      request.staffSession = { secret, session };
      return;
    }
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) throw new DomainError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>, or sign in (POST /v1/session).');
    const actor = await deps.authenticate(token);
    if (actor === null) throw new DomainError('UNAUTHENTICATED', 'The token is unknown, expired or revoked.');
    request.actor = actor;
  });
}

/**
 * An agent or integration may say which user it acts for (`On-Behalf-Of: <user id or the user's id in the calling
 * system>`); the audit trail records it as the caller's claim. Users act for themselves: the header is ignored.
 */
function onBehalfOf(request: FastifyRequest): string | null {
  const header = request.headers['on-behalf-of'];
  if (request.actor === null || request.actor.kind === 'user' || typeof header !== 'string') return null;
  const value = header.trim();
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) throw new DomainError('VALIDATION_FAILED', 'On-Behalf-Of must be 1-200 printable ASCII characters (an id, not a name).');
  return value;
}

/** @param request - an authenticated request @returns the use-case context */
export function contextOf(request: FastifyRequest): RequestContext {
  if (request.actor === null) throw new DomainError('UNAUTHENTICATED');
  return { actor: request.actor, requestId: request.id, via: request.staffSession === null ? 'api' : 'console', sourceAddress: request.ip, onBehalfOf: onBehalfOf(request) };
}
