import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, ERROR_CATALOG, type ErrorCode, type FieldIssue } from '../../../core/errors.ts';

/** Base of the `type` URIs: each code's section in docs/errors.md. */
const TYPE_BASE = 'https://wardline.dev/docs/errors#';

/**
 * Sends an RFC 9457 problem document with a stable `code`. Never includes submitted values.
 * @param reply - the reply
 * @param request - for the instance id
 * @param code - the error code
 * @param detail - reviewed, PHI-free text
 * @param issues - field pointers and rule messages
 * @param extensions - extra PHI-free members (RFC 9457 extension members)
 */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  detail?: string,
  issues: readonly FieldIssue[] = [],
  extensions: Readonly<Record<string, unknown>> = {},
): FastifyReply {
  const { status, title } = ERROR_CATALOG[code];
  // RFC 6750 §3: a 401 names the scheme it wants (MCP and other OAuth-aware clients look for it).
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="wardline"');
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      ...extensions,
      type: `${TYPE_BASE}${code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status,
      code,
      detail: detail ?? title,
      instance: `urn:uuid:${request.id}`,
      ...(issues.length > 0 ? { errors: issues } : {}),
    });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/** The one error-to-HTTP mapper (STYLE.md §5). Unknown errors are logged once and answered with a generic 500. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      return sendProblem(reply, request, error.code, error.safeDetail, error.issues, error.extensions);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        pointer: `/${error.validationContext ?? 'body'}${v.instancePath}`,
        // Zod names unknown keys in its message; a key can be anything a client typed (even PHI), so it is not echoed.
        message: v.keyword === 'unrecognized_keys' ? 'has fields that are not allowed here (see the API documentation)' : (v.message ?? 'is not valid'),
      }));
      return sendProblem(reply, request, 'VALIDATION_FAILED', 'Some fields are missing or not valid.', issues);
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error.statusCode === 400 && error.message.includes('JSON'))) {
      return sendProblem(reply, request, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    }
    const mapped = FASTIFY_CODES[error.code];
    if (mapped !== undefined) return sendProblem(reply, request, mapped);
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, request, 'VALIDATION_FAILED', 'The request could not be read.');
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, 'INTERNAL', 'Something went wrong on our side; the request id identifies it in our logs.');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 'NOT_FOUND', 'No such route.'));
}
