import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app/context.ts';
import { DomainError } from '../../core/errors.ts';
import type { SimulatorProvider } from '../carriers/simulator/simulator.provider.ts';
import { mcpRoutes } from '../mcp/mcp.routes.ts';
import { contextOf, registerAuth } from './plugins/auth.ts';
import { auditEventRoutes } from './routes/audit-events.routes.ts';
import { registerProblemHandler } from './plugins/problem.ts';
import { auditExportRoutes } from './routes/audit-export.routes.ts';
import { directoryRoutes } from './routes/directory.routes.ts';
import { inboundRoutes } from './routes/inbound.routes.ts';
import { messageRoutes } from './routes/messages.routes.ts';
import { auditReportRoutes } from './routes/audit-report.routes.ts';
import { renderEvidencePdf } from '../report/evidence-report.pdf.ts';
import { renderNoticeLetterPdf } from '../report/breach-notice.pdf.ts';
import { incidentRoutes } from './routes/incidents.routes.ts';
import { templateRoutes } from './routes/template.routes.ts';
import { patientRoutes } from './routes/patients.routes.ts';
import { secureLinkAdminRoutes } from './routes/secure-link-admin.routes.ts';
import { secureLinkRoutes } from './routes/secure-link.routes.ts';
import { securityEventRoutes } from './routes/security-event.routes.ts';
import { sessionRoutes } from './routes/session.routes.ts';
import { sharingRoutes } from './routes/sharing.routes.ts';
import { simulatorRoutes } from './routes/simulator.routes.ts';
import { webhookRoutes, type WebhookSettings } from './routes/webhooks.routes.ts';

/** Request bodies over this size are refused with 413 BODY_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** A hop count becomes a function (the count of proxies in front of Wardline, nearest first); the rest pass as is. */
function trustProxyOption(value: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

/**
 * Builds the HTTP app from a container's parts; never reads the environment and never listens
 * (fastify Testing guide: tests use `inject()`).
 * @param deps - app dependencies
 * @param options - the simulator, when it carries messages; webhook settings; which proxies to trust for client addresses
 */
export async function buildApp(
  deps: AppDeps,
  options: { simulator: SimulatorProvider | null; webhooks: WebhookSettings; trustProxy?: boolean | number | string[] },
): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const base = Fastify({ loggerInstance, genReqId: () => randomUUID(), bodyLimit: BODY_LIMIT_BYTES, trustProxy: trustProxyOption(options.trustProxy ?? false) });
  // The API speaks JSON only: without this, Fastify's built-in text/plain parser hands a string to validation (400).
  base.removeContentTypeParser('text/plain');
  base.setValidatorCompiler(validatorCompiler);
  base.setSerializerCompiler(serializerCompiler);
  registerProblemHandler(base);
  // Every answer names its request id: the same id is on each audit event the request wrote (GET /v1/audit/events).
  base.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // A RATE_LIMITED problem says how long to wait; HTTP clients also get it as Retry-After (RFC 9110 §10.2.3).
  base.addHook('onError', async (_request, reply, error) => {
    const wait = error instanceof DomainError ? error.extensions['retryAfterSeconds'] : undefined;
    if (typeof wait === 'number') void reply.header('retry-after', String(wait));
  });
  const app = base.withTypeProvider<ZodTypeProvider>();
  await app.register(swagger, {
    openapi: {
      info: { title: 'Wardline API', version: '1', description: 'Patient messaging with HIPAA safeguards on every send.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  await app.register(cookie);
  registerAuth(base, deps);

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(patientRoutes(deps));
  await app.register(messageRoutes(deps));
  await app.register(auditReportRoutes(deps, renderEvidencePdf));
  await app.register(templateRoutes(deps));
  await app.register(directoryRoutes(deps));
  await app.register(sharingRoutes(deps));
  await app.register(securityEventRoutes(deps));
  await app.register(auditExportRoutes(deps, deps.auditExport));
  await app.register(auditEventRoutes(deps));
  if (deps.signIn !== undefined) await app.register(sessionRoutes(deps, deps.signIn));
  await app.register(inboundRoutes(deps));
  await app.register(webhookRoutes(deps, options.webhooks));
  await app.register(secureLinkAdminRoutes(deps));
  await app.register(incidentRoutes(deps, renderNoticeLetterPdf));
  await app.register(secureLinkRoutes(deps));
  await app.register(mcpRoutes(deps, contextOf, '1'));
  if (options.simulator !== null) await app.register(simulatorRoutes(deps, options.simulator));
  return base;
}
