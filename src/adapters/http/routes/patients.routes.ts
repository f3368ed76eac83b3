import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PatientId } from '../../../core/ids.ts';
import { FIELD_RULE_TEXT, isCalendarDate, isLanguageTag, isTimeZone, NAME_MAX_LENGTH } from '../../../core/patients/patient-fields.ts';
import { phi, reveal } from '../../../core/phi/phi.ts';
import { getConsents, recordConsent } from '../../../app/consents.ts';
import type { AppDeps } from '../../../app/context.ts';
import { createPatient, findPatientsByPhone, getPatient } from '../../../app/patients.ts';
import { getPhiPreferences, recordPhiPreference, type PhiPreferenceState } from '../../../app/phi-preferences.ts';
import { PHI_PREFERENCE_SOURCES, type PatientRecord, type PhiPreferenceRecord } from '../../../app/ports.ts';
import { contextOf } from '../plugins/auth.ts';
import { Channel, ConsentSource, ConsentStatus, IdParams, Purpose, Uuid } from './schemas.ts';

const NewPatient = z
  .object({
    givenName: z.string().trim().min(1).max(NAME_MAX_LENGTH),
    familyName: z.string().trim().min(1).max(NAME_MAX_LENGTH),
    birthDate: z.string().refine(isCalendarDate, FIELD_RULE_TEXT.birthDate),
    phone: z.string().min(3).max(40),
    whatsapp: z.string().min(3).max(40).optional(),
    language: z.string().refine(isLanguageTag, FIELD_RULE_TEXT.language).optional(),
    timezone: z.string().refine(isTimeZone, FIELD_RULE_TEXT.timezone).optional(),
    wardId: Uuid.optional(),
    externalIds: z.record(z.string().min(1).max(40), z.string().min(1).max(100)).optional(),
  })
  .strict();

const NewPhiPreference = z
  .object({
    channel: Channel,
    status: z.enum(['accepted', 'withdrawn']),
    warningText: z.string().trim().min(40, 'must be the full risk warning the patient was shown (at least 40 characters)').max(4000),
    source: z.enum(PHI_PREFERENCE_SOURCES),
    capturedBy: z.string().min(1).max(200).optional(),
    capturedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

function patientJson(p: PatientRecord): Record<string, unknown> {
  return {
    id: p.id,
    wardId: p.wardId,
    givenName: reveal(p.givenName),
    familyName: reveal(p.familyName),
    birthDate: reveal(p.birthDate),
    phone: reveal(p.phone),
    whatsapp: p.whatsapp === null ? null : reveal(p.whatsapp),
    language: p.language,
    timezone: p.timezone,
    externalIds: p.externalIds === null ? {} : reveal(p.externalIds),
    createdAt: p.createdAt.toISOString(),
  };
}

function phiStandingJson(s: PhiPreferenceState): Record<string, unknown> {
  return { channel: s.channel, accepted: s.accepted, forCurrentContactPoint: s.forCurrentContactPoint, latest: s.latest === null ? null : phiRecordJson(s.latest) };
}

function phiRecordJson(r: PhiPreferenceRecord): Record<string, unknown> {
  return {
    id: r.id,
    channel: r.channel,
    status: r.status,
    warningText: r.warningText,
    source: r.source,
    capturedBy: r.capturedBy,
    capturedAt: r.capturedAt.toISOString(),
    recordedBy: r.recordedBy,
    recordedAt: r.recordedAt.toISOString(),
  };
}

const NewConsent = z
  .object({
    channel: Channel,
    status: ConsentStatus,
    source: ConsentSource,
    purpose: Purpose.default('care'),
    evidence: z
      .object({
        wordingShown: z.string().min(1).max(2000).optional(),
        capturedBy: z.string().min(1).max(200).optional(),
        capturedAt: z.iso.datetime({ offset: true }).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Patients and their consent ledger. */
export function patientRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/patients', { schema: { tags: ['patients'], body: NewPatient } }, async (request, reply) => {
      const b = request.body;
      const result = await createPatient(deps, contextOf(request), {
        givenName: phi(b.givenName),
        familyName: phi(b.familyName),
        birthDate: phi(b.birthDate),
        phone: phi(b.phone),
        whatsapp: b.whatsapp === undefined ? undefined : phi(b.whatsapp),
        language: b.language,
        timezone: b.timezone,
        wardId: b.wardId,
        externalIds: b.externalIds === undefined ? undefined : phi(b.externalIds),
      });
      return reply.code(201).send(result);
    });

    app.get('/v1/patients/:id', { schema: { tags: ['patients'], params: IdParams } }, async (request) => {
      return patientJson(await getPatient(deps, contextOf(request), request.params.id as PatientId));
    });

    // A search by phone number is a POST: the number is PHI and must not travel in a URL (access logs, proxies).
    app.post('/v1/patients/search', { schema: { tags: ['patients'], body: z.object({ phone: z.string().min(3).max(40) }).strict() } }, async (request) => {
      return { items: (await findPatientsByPhone(deps, contextOf(request), phi(request.body.phone))).map(patientJson) };
    });

    app.post('/v1/patients/:id/consents', { schema: { tags: ['consent'], params: IdParams, body: NewConsent } }, async (request, reply) => {
      const b = request.body;
      const result = await recordConsent(deps, contextOf(request), {
        patientId: request.params.id as PatientId,
        channel: b.channel,
        status: b.status,
        source: b.source,
        purpose: b.purpose,
        evidence: {
          ...(b.evidence.wordingShown === undefined ? {} : { wordingShown: b.evidence.wordingShown }),
          ...(b.evidence.capturedBy === undefined ? {} : { capturedBy: b.evidence.capturedBy }),
          ...(b.evidence.capturedAt === undefined ? {} : { capturedAt: b.evidence.capturedAt }),
        },
      });
      return reply.code(201).send({ channel: b.channel, purpose: b.purpose, state: result.state, cancelledMessages: result.cancelledMessages });
    });

    app.get('/v1/patients/:id/consents', { schema: { tags: ['consent'], params: IdParams } }, async (request) => {
      const overview = await getConsents(deps, contextOf(request), request.params.id as PatientId);
      return {
        current: overview.current,
        history: overview.history.map((e) => ({
          id: e.id,
          channel: e.channel,
          purpose: e.purpose,
          status: e.status,
          source: e.source,
          evidence: e.evidence,
          recordedBy: e.recordedBy,
          recordedAt: e.occurredAt.toISOString(),
        })),
      };
    });

    app.post('/v1/patients/:id/phi-preferences', { schema: { tags: ['consent'], params: IdParams, body: NewPhiPreference } }, async (request, reply) => {
      const b = request.body;
      const standing = await recordPhiPreference(deps, contextOf(request), {
        patientId: request.params.id as PatientId,
        channel: b.channel,
        status: b.status,
        warningText: b.warningText,
        source: b.source,
        capturedBy: b.capturedBy,
        capturedAt: b.capturedAt === undefined ? undefined : new Date(b.capturedAt),
      });
      return reply.code(201).send(phiStandingJson(standing));
    });

    app.get('/v1/patients/:id/phi-preferences', { schema: { tags: ['consent'], params: IdParams } }, async (request) => {
      const { current, history } = await getPhiPreferences(deps, contextOf(request), request.params.id as PatientId);
      return { current: current.map(phiStandingJson), history: history.map(phiRecordJson) };
    });
  };
}
