import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import { annualLog, noticeLetter } from '../../../app/incident-notices.ts';
import {
  assessIncident,
  closeIncident,
  confirmIncident,
  decideIncident,
  delayIncident,
  getIncident,
  listIncidents,
  mitigateIncident,
  MITIGATION_ACTIONS,
  recordNotice,
  recordResidents,
  reportMisdirected,
  reverifyContactPoint,
} from '../../../app/incidents.ts';
import type { MessageId, PatientId } from '../../../core/ids.ts';
import { BREACH_EXCLUSIONS, DECISION_OUTCOMES, INCIDENT_STATUSES, NOTICE_KINDS, NOTICE_METHODS } from '../../../core/incidents/incident.ts';
import type { NoticeLetterInput } from '../../../core/incidents/notice-letter.ts';
import { contextOf } from '../plugins/auth.ts';
import { IdParams, Uuid } from './schemas.ts';

const ListQuery = z.object({ status: z.enum(INCIDENT_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();
const Note = z.string().trim().min(1).max(2000);
const ReportBody = z.object({ messageId: Uuid, note: Note.optional() }).strict();
const MisdirectedBody = z.object({ note: Note.optional() }).strict();
/** The discovery date is checked by the state machine (422 INCIDENT_DISCOVERY_DATE_REQUIRED when absent). */
const ConfirmBody = z.object({ discoveredAt: z.iso.datetime({ offset: true }).optional() }).strict();
const MitigationBody = z.object({ kind: z.enum(MITIGATION_ACTIONS) }).strict();
/** The factors are checked by `parseRiskAssessment` (422 INCIDENT_ASSESSMENT_INCOMPLETE naming the missing ones). */
const AssessmentBody = z.looseObject({});
/** The rationale's length and the exclusion's fit are the state machine's rule (422 INCIDENT_DECISION_INVALID). */
const DecisionBody = z
  .object({ outcome: z.enum(DECISION_OUTCOMES), exclusion: z.enum(BREACH_EXCLUSIONS).nullable().optional(), rationale: z.string().max(4000).optional() })
  .strict();
const DelayBody = z.object({ agency: z.string().trim().min(1).max(200), until: z.iso.datetime({ offset: true }), oral: z.boolean() }).strict();
const NoticeBody = z
  .object({ kind: z.enum(NOTICE_KINDS), method: z.enum(NOTICE_METHODS), patientId: Uuid.optional(), state: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter US state code').optional() })
  .strict();
const ResidentsBody = z
  .object({ residentsByState: z.record(z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter US state code'), z.number().int().min(0).max(100_000_000)) })
  .strict();
const NoticeParams = z.object({ id: Uuid, patientId: Uuid }).strict();
const YearQuery = z.object({ year: z.coerce.number().int().min(2009).max(2100) }).strict();
const ReverifyParams = z.object({ id: Uuid, kind: z.enum(['phone', 'whatsapp']) }).strict();
const ReverifyBody = z.object({ evidence: z.string().trim().min(10, 'must say how the number was re-verified (at least 10 characters)').max(500) }).strict();

/**
 * Incident response (issue 7; docs/incident-response.md): the incident list and detail, the procedure's steps, the
 * notice letters and the annual log. All under `incident.manage`, except reporting a message as misdirected (any staff
 * member who may view the message). Errors are problem+json; none echoes what was sent.
 * @param deps - app dependencies
 * @param renderLetter - renders an individual notice letter as PDF (adapters/report/breach-notice.pdf.ts)
 */
export function incidentRoutes(deps: AppDeps, renderLetter: (input: NoticeLetterInput) => Promise<Buffer>): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['incidents'];

    app.get('/v1/incidents', { schema: { tags, querystring: ListQuery } }, async (request) => {
      const q = request.query;
      return { items: await listIncidents(deps, contextOf(request), { ...(q.status === undefined ? {} : { status: q.status }), limit: q.limit }) };
    });

    app.get('/v1/incidents/annual-log', { schema: { tags, querystring: YearQuery } }, async (request, reply) => {
      const csv = await annualLog(deps, contextOf(request), request.query.year);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="breach-log-${String(request.query.year)}.csv"`)
        .header('cache-control', 'no-store')
        .send(csv);
    });

    app.post('/v1/incidents', { schema: { tags, body: ReportBody } }, async (request, reply) => {
      const out = await reportMisdirected(deps, contextOf(request), request.body.messageId as MessageId, request.body.note ?? null);
      return reply.code(out.opened ? 201 : 200).send(out);
    });

    app.post('/v1/messages/:id/report-misdirected', { schema: { tags, params: IdParams, body: MisdirectedBody.nullish() } }, async (request, reply) => {
      const out = await reportMisdirected(deps, contextOf(request), request.params.id as MessageId, request.body?.note ?? null);
      return reply.code(out.opened ? 201 : 200).send(out);
    });

    app.get('/v1/incidents/:id', { schema: { tags, params: IdParams } }, async (request) => getIncident(deps, contextOf(request), request.params.id));

    app.post('/v1/incidents/:id/confirm', { schema: { tags, params: IdParams, body: ConfirmBody } }, async (request) =>
      confirmIncident(deps, contextOf(request), request.params.id, new Date(request.body.discoveredAt ?? Number.NaN)),
    );

    app.post('/v1/incidents/:id/mitigations', { schema: { tags, params: IdParams, body: MitigationBody } }, async (request) =>
      mitigateIncident(deps, contextOf(request), request.params.id, request.body.kind),
    );

    app.post('/v1/incidents/:id/assessment', { schema: { tags, params: IdParams, body: AssessmentBody } }, async (request) =>
      assessIncident(deps, contextOf(request), request.params.id, request.body),
    );

    app.post('/v1/incidents/:id/decision', { schema: { tags, params: IdParams, body: DecisionBody } }, async (request) =>
      decideIncident(deps, contextOf(request), request.params.id, { outcome: request.body.outcome, exclusion: request.body.exclusion ?? null, rationale: request.body.rationale ?? '' }),
    );

    app.post('/v1/incidents/:id/law-enforcement-delay', { schema: { tags, params: IdParams, body: DelayBody } }, async (request) =>
      delayIncident(deps, contextOf(request), request.params.id, { agency: request.body.agency, until: new Date(request.body.until), oral: request.body.oral }),
    );

    app.put('/v1/incidents/:id/residents', { schema: { tags, params: IdParams, body: ResidentsBody } }, async (request) =>
      recordResidents(deps, contextOf(request), request.params.id, request.body.residentsByState),
    );

    app.post('/v1/incidents/:id/notices', { schema: { tags, params: IdParams, body: NoticeBody } }, async (request) =>
      recordNotice(deps, contextOf(request), request.params.id, { kind: request.body.kind, method: request.body.method, patientId: request.body.patientId ?? null, state: request.body.state ?? null }),
    );

    app.post('/v1/incidents/:id/close', { schema: { tags, params: IdParams } }, async (request) => closeIncident(deps, contextOf(request), request.params.id));

    app.get('/v1/incidents/:id/notices/:patientId.pdf', { schema: { tags, params: NoticeParams } }, async (request, reply) => {
      const { pdf, addressMissing } = await noticeLetter(deps, contextOf(request), request.params.id, request.params.patientId as PatientId, renderLetter);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="breach-notice-${request.params.id}.pdf"`)
        .header('cache-control', 'no-store')
        .header('x-notice-address-missing', String(addressMissing))
        .send(pdf);
    });

    app.post('/v1/patients/:id/contact-points/:kind/reverify', { schema: { tags, params: ReverifyParams, body: ReverifyBody } }, async (request) =>
      reverifyContactPoint(deps, contextOf(request), request.params.id as PatientId, request.params.kind, request.body.evidence),
    );
  };
}
