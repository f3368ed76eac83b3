import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ERROR_CATALOG } from '../../../core/errors.ts';
import { phi, reveal } from '../../../core/phi/phi.ts';
import { SECURE_LINK_POLICY } from '../../../core/secure-link/secure-link.ts';
import type { AppDeps } from '../../../app/context.ts';
import { answerBirthDate, answerCode, openSecureLink, type PatientOutcome, type PatientRequest } from '../../../app/secure-link-access.ts';
import { linkLanguage, type LinkLanguage } from '../../../app/secure-links.ts';
import { patientErrorText, renderSecureLinkPage, SECURE_PAGE_CSP } from '../pages/secure-link.page.ts';
import { sendProblem } from '../plugins/problem.ts';

/** The view-session cookie: scoped to the patient pages, never readable by script, never sent cross-site. */
const SESSION_COOKIE = 'wl_secure_view';
const BODY_LIMIT = 4 * 1024;

/** Sent with every response of the patient pages (docs/secure-links.md "Headers"). */
const PAGE_HEADERS = {
  'cache-control': 'no-store, max-age=0',
  pragma: 'no-cache',
  expires: '0',
  'referrer-policy': 'no-referrer',
  'content-security-policy': SECURE_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow, noarchive',
} as const;

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /application\/(problem\+)?json/.test(accept) || (request.headers['content-type'] ?? '').startsWith('application/json');
}

function sessionCookie(request: FastifyRequest): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=') || null;
  }
  return null;
}

function patientRequest(request: FastifyRequest): PatientRequest {
  const token = (request.params as { token?: unknown }).token;
  return { token: typeof token === 'string' ? token : '', sourceIp: request.ip, requestId: request.id, session: sessionCookie(request) };
}

/** The form's or JSON body's one answer: `dob` or `code`, as text; null when it is neither (or both). */
function answerOf(body: unknown): { field: 'dob' | 'code'; value: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { dob, code } = body as Record<string, unknown>;
  if (typeof dob === 'string' && code === undefined) return { field: 'dob', value: dob };
  if (typeof code === 'string' && dob === undefined) return { field: 'code', value: code };
  return null;
}

/**
 * The patient pages (issue 4 item 5; docs/secure-links.md): public (the token is the credential), server-rendered
 * HTML for browsers, the same steps as JSON (and problem+json errors) for clients that ask for JSON.
 * @param deps - app dependencies
 */
export function secureLinkRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const secureCookie = deps.settings.publicUrl.startsWith('https://');
  const org = deps.settings.organisation;

  const render = (reply: FastifyReply, status: number, language: LinkLanguage, outcome: PatientOutcome): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').send(renderSecureLinkPage({ language, org, page: outcome.page, error: outcome.ok ? null : outcome.code }));

  const fallbackLanguage = (request: FastifyRequest): LinkLanguage => linkLanguage(request.headers['accept-language']);

  function respond(request: FastifyRequest, reply: FastifyReply, outcome: PatientOutcome, field: 'dob' | 'code' | null): FastifyReply {
    const json = wantsJson(request);
    if (!outcome.ok) {
      if (outcome.retryAfterMs !== null) reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
      if (json) {
        const issues = outcome.code === 'VALIDATION_FAILED' && field !== null ? [{ pointer: `/body/${field}`, message: field === 'dob' ? 'must be a date, YYYY-MM-DD' : 'must be the 6-digit code' }] : [];
        return sendProblem(reply, request, outcome.code, patientErrorText('en', outcome.code), issues);
      }
      return render(reply, ERROR_CATALOG[outcome.code].status, outcome.language ?? fallbackLanguage(request), outcome);
    }
    if (outcome.session !== undefined) {
      const maxAge = Math.round(SECURE_LINK_POLICY.sessionTtlMs / 1000);
      reply.header('set-cookie', `${SESSION_COOKIE}=${outcome.session.secret}; Path=/s/; Max-Age=${String(maxAge)}; HttpOnly; SameSite=Strict${secureCookie ? '; Secure' : ''}`);
    }
    const page = outcome.page;
    if (json) {
      if (page.step === 'content') return reply.code(200).send({ step: 'content', content: reveal(page.content) });
      return reply.code(200).send(page.step === 'code' ? { step: 'code', codeExpiresAt: page.codeExpiresAt.toISOString() } : { step: page.step });
    }
    // Post/redirect/get: a reload never posts an answer twice; the link itself shows the next step or the content.
    if (request.method === 'POST') return reply.code(303).header('location', `/s/${patientRequest(request).token}`).send();
    return render(reply, 200, outcome.language, outcome);
  }

  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(PAGE_HEADERS);
      return payload;
    });

    app.get('/s/:token', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      return respond(request, reply, await openSecureLink(deps, patientRequest(request)), null);
    });

    app.post('/s/:token', { config: { public: true }, bodyLimit: BODY_LIMIT, schema: { hide: true } }, async (request, reply) => {
      const answer = answerOf(request.body);
      if (answer === null) {
        const outcome: PatientOutcome = { ok: false, language: null, code: 'VALIDATION_FAILED', retryAfterMs: null, page: { step: 'date-of-birth' } };
        return respond(request, reply, outcome, 'dob');
      }
      const req = patientRequest(request);
      const outcome =
        answer.field === 'dob' ? await answerBirthDate(deps, req, phi(answer.value)) : await answerCode(deps, req, phi(answer.value), wantsJson(request));
      return respond(request, reply, outcome, answer.field);
    });
  };
}
