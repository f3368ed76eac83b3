import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { startAuditExport, type AuditExportReader } from '../../../app/audit-export.ts';
import type { AppDeps } from '../../../app/context.ts';
import { EXPORT_FORMATS } from '../../../core/audit/export-format.ts';
import type { PatientId } from '../../../core/ids.ts';
import { contextOf } from '../plugins/auth.ts';
import { Uuid } from './schemas.ts';

const Instant = z.iso.datetime({ offset: true }).or(z.iso.date());

const ExportQuery = z
  .object({
    format: z.enum(EXPORT_FORMATS).default('jsonl'),
    patientId: Uuid.optional(),
    from: Instant.optional(),
    to: Instant.optional(),
  })
  .strict();

/**
 * `GET /v1/audit/export`: the audit trail as CSV, JSON Lines or FHIR R4, streamed (docs/audit-export.md). The body
 * starts with a header record (the chain's head and newest signed checkpoint) and ends with a trailer saying
 * `complete`; a response cut short has no trailer. The chain position it covers is also in `X-Wardline-Chain-Position`.
 * @param deps - app dependencies
 * @param reader - the export's paged reads
 */
export function auditExportRoutes(deps: AppDeps, reader: AuditExportReader): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/audit/export', { schema: { tags: ['audit'], querystring: ExportQuery } }, async (request, reply) => {
      const q = request.query;
      const exported = await startAuditExport(deps, reader, contextOf(request), {
        format: q.format,
        patientId: q.patientId as PatientId | undefined,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
      });
      void reply
        .type(exported.contentType)
        .header('content-disposition', `attachment; filename="${exported.fileName}"`)
        .header('cache-control', 'no-store')
        .header('x-wardline-export-id', exported.header.exportId)
        .header('x-wardline-chain-position', String(exported.header.chain.position));
      return reply.send(Readable.from(exported.chunks(), { objectMode: false }));
    });
  };
}
