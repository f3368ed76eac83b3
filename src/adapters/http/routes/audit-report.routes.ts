import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import { evidenceReport, type EvidenceReport } from '../../../app/regulator-report.ts';
import type { PatientId } from '../../../core/ids.ts';
import { contextOf } from '../plugins/auth.ts';
import { Uuid } from './schemas.ts';

const ReportQuery = z
  .object({
    patientId: Uuid,
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .strict();

/**
 * `GET /v1/audit/report?patientId=&from=&to=`: the PDF evidence report for one patient and period (issue 6 item 5).
 * Needs `audit.read`; access-filtered like the regulator's query; audited as `audit.report-generated`.
 * @param deps - app dependencies
 * @param render - renders the report as PDF (src/adapters/report, wired in build-app.ts)
 */
export function auditReportRoutes(deps: AppDeps, render: (report: EvidenceReport) => Promise<Buffer>): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/audit/report', { schema: { tags: ['audit'], querystring: ReportQuery } }, async (request, reply) => {
      const q = request.query;
      const report = await evidenceReport(deps, contextOf(request), { patientId: q.patientId as PatientId, from: new Date(q.from), to: new Date(q.to) });
      const pdf = await render(report);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="evidence-${q.patientId}.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    });
  };
}
