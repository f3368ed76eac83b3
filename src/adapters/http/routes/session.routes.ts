import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import type { SignInServices } from '../../../app/ports.ts';
import { confirmTotpEnrolment, describeSession, signInWithOidc, signInWithPassword, signOut, startTotpEnrolment, type SessionView } from '../../../app/sign-in.ts';
import { DomainError } from '../../../core/errors.ts';
import { contextOf, sessionCookieName } from '../plugins/auth.ts';

/** Holds state, nonce and PKCE verifier between the redirect to the identity provider and its callback. */
const OIDC_PENDING_COOKIE = 'wardline_oidc';
const OIDC_PATH = '/v1/session/oidc';

const SessionViewSchema = z.object({
  csrfToken: z.string(),
  expiresAt: z.string(),
  enrolmentRequired: z.boolean(),
  user: z.object({ id: z.string(), username: z.string().nullable(), displayName: z.string(), kind: z.string(), permissionSets: z.array(z.string()).readonly(), method: z.enum(['password', 'oidc']) }),
});

/**
 * Staff sign-in: local accounts (password, TOTP) and OpenID Connect single sign-on, browser sessions, second-factor
 * enrolment. The session cookie is httpOnly, SameSite=Strict, path /, Secure when the public URL is https, and has no
 * expiry of its own (it goes when the browser closes; the server ends it earlier).
 * @param deps - app dependencies
 * @param services - sign-in settings and services
 */
export function sessionRoutes(deps: AppDeps, services: SignInServices): FastifyPluginAsyncZod {
  const cookieName = sessionCookieName(services.secureCookies);
  const cookieOptions = { httpOnly: true, secure: services.secureCookies, sameSite: 'strict', path: '/' } as const;
  const clientOf = (request: FastifyRequest): { sourceIp: string; requestId: string } => ({ sourceIp: request.ip, requestId: request.id });
  const setSession = (reply: FastifyReply, secret: string): void => {
    void reply.setCookie(cookieName, secret, cookieOptions);
    void reply.header('cache-control', 'no-store');
  };
  const sessionOf = (request: FastifyRequest): NonNullable<FastifyRequest['staffSession']> => {
    if (request.staffSession === null) throw new DomainError('UNAUTHENTICATED', 'This needs a browser session (POST /v1/session), not a bearer token.');
    return request.staffSession;
  };

  return async (app) => {
    app.post(
      '/v1/session',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024), totp: z.string().max(16).optional() }).strict(),
          response: { 200: SessionViewSchema },
        },
      },
      async (request, reply): Promise<SessionView> => {
        const { secret, view } = await signInWithPassword(deps, request.body, clientOf(request));
        setSession(reply, secret);
        return view;
      },
    );

    app.get('/v1/session', { config: { enrolment: true }, schema: { tags: ['session'], response: { 200: SessionViewSchema } } }, async (request, reply): Promise<SessionView> => {
      const { secret, session } = sessionOf(request);
      void reply.header('cache-control', 'no-store');
      return describeSession(deps, secret, session);
    });

    app.delete('/v1/session', { config: { enrolment: true }, schema: { tags: ['session'] } }, async (request, reply) => {
      await signOut(deps, sessionOf(request).session, clientOf(request));
      void reply.clearCookie(cookieName, cookieOptions);
      return reply.code(204).send();
    });

    app.post('/v1/session/totp', { config: { enrolment: true }, schema: { tags: ['session'] } }, async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return reply.code(201).send(await startTotpEnrolment(deps, contextOf(request), deps.settings.organisation.name));
    });

    app.post('/v1/session/totp/confirm', { config: { enrolment: true }, schema: { tags: ['session'], body: z.object({ code: z.string().max(16) }).strict() } }, async (request, reply) => {
      await confirmTotpEnrolment(deps, contextOf(request), request.body.code);
      return reply.code(204).send();
    });

    const oidc = services.oidc;
    if (oidc === null) return;

    app.get(`${OIDC_PATH}/start`, { config: { public: true }, schema: { tags: ['session'] } }, async (_request, reply) => {
      const { url, pending } = await oidc.start();
      // Lax, not Strict: the identity provider's redirect back is a cross-site navigation, which Strict cookies miss.
      void reply.setCookie(OIDC_PENDING_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), { httpOnly: true, secure: services.secureCookies, sameSite: 'lax', path: OIDC_PATH, maxAge: 600 });
      void reply.header('cache-control', 'no-store');
      return reply.redirect(url, 302);
    });

    app.get(`${OIDC_PATH}/callback`, { config: { public: true }, schema: { tags: ['session'] } }, async (request, reply) => {
      const raw = request.cookies[OIDC_PENDING_COOKIE];
      void reply.clearCookie(OIDC_PENDING_COOKIE, { path: OIDC_PATH });
      const pending = parsePending(raw);
      if (pending === null) throw new DomainError('SIGN_IN_FAILED', 'The sign-in took too long or did not start here; start again.');
      let subject: string;
      try {
        subject = (await oidc.finish(new URL(request.url, deps.settings.publicUrl), pending)).subject;
      } catch (error) {
        request.log.warn({ err: error instanceof Error ? { name: error.name, code: (error as { code?: unknown }).code } : null }, 'single sign-on callback refused');
        throw new DomainError('SIGN_IN_FAILED', 'The identity provider did not confirm the sign-in.');
      }
      const { secret, view } = await signInWithOidc(deps, oidc.issuer, subject, clientOf(request));
      setSession(reply, secret);
      return view;
    });
  };
}

function parsePending(raw: string | undefined): { state: string; nonce: string; codeVerifier: string } | null {
  if (raw === undefined) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { state, nonce, codeVerifier } = v;
    return typeof state === 'string' && typeof nonce === 'string' && typeof codeVerifier === 'string' ? { state, nonce, codeVerifier } : null;
  } catch {
    return null;
  }
}
