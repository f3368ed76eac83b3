import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

type Headers = { authorization: string };
interface TemplateJson {
  id: string;
  name: string;
  kind: string;
  currentVersion: number | null;
  versions: { id: string; version: number; status: string; variants: { channel: string; metaText?: string; placeholders: { name: string; class: string }[] }[] }[];
}
interface Problem {
  code: string;
  detail: string;
  errors?: { pointer: string; message: string }[];
}

const reminder = (body: string) => ({ name: `reminder_${Math.random().toString(36).slice(2, 8)}`, kind: 'appointment_reminder', variants: [{ channel: 'sms', language: 'en', body }] });
const GOOD = 'Hi {{first_name}}, your appointment with {{clinic_name}} is on {{appointment_time}} at {{location}}. Reply STOP to opt out.';

describe.each(DATABASES)('classified templates with approval (%s)', (database) => {
  let h: Harness;
  let author: Headers;
  let approver: Headers;
  let nurse: Headers;
  beforeAll(async () => {
    h = await createHarness(database);
    // The administrator set holds both template.author and template.approve; compliance officers approve only.
    author = (await givenUser(h, { username: 'author', permissionSets: ['administrator'], wardIds: [] })).headers;
    approver = (await givenUser(h, { username: 'approver', permissionSets: ['compliance_officer'], wardIds: [] })).headers;
    nurse = (await givenUser(h, { username: 'nurse', permissionSets: ['nurse'], wardIds: [] })).headers;
  });
  afterAll(async () => {
    await h?.close();
  });

  const create = (payload: Record<string, unknown>, headers: Headers = author) => h.app.inject({ method: 'POST', url: '/v1/templates', headers, payload });
  const approve = (id: string, version: number, headers: Headers = approver) => h.app.inject({ method: 'POST', url: `/v1/templates/${id}/versions/${String(version)}/approve`, headers, payload: {} });

  it('ships the starter library approved, in English and Spanish, with Meta names and numbered Meta text for WhatsApp', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/templates', headers: nurse });
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: TemplateJson[] }>().items;
    for (const kind of ['appointment_reminder', 'prescription_ready', 'results_ready', 'billing_notice', 'general']) {
      const t = items.find((i) => i.name === kind);
      expect(t?.currentVersion, kind).toBe(1);
      const variants = t?.versions[0]?.variants ?? [];
      expect(variants.map((v) => v.channel).sort()).toEqual(['sms', 'sms', 'whatsapp', 'whatsapp']);
      expect(variants.flatMap((v) => v.placeholders.map((p) => p.class))).not.toContain('clinical');
    }
    const results = await h.app.inject({ method: 'GET', url: '/v1/templates/results_ready', headers: nurse });
    const wa = results.json<TemplateJson>().versions[0]?.variants.find((v) => v.channel === 'whatsapp');
    expect(wa?.metaText).toMatch(/^Hello \{\{1\}\}, you have new results from \{\{2\}\}/);
  });

  it('saves a template as a pending version that cannot be used until someone else approves it', async () => {
    const created = await create(reminder(GOOD));
    expect(created.statusCode).toBe(201);
    const t = created.json<TemplateJson>();
    expect(t.versions.map((v) => v.status)).toEqual(['pending']);
    expect(t.currentVersion).toBeNull();

    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const send = () => h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: t.id, params: { appointment_time: '2026-12-01T15:00:00Z', location: 'Building B, 2nd floor' } } } });
    expect((await send()).json<Problem>().code).toBe('TEMPLATE_NOT_APPROVED');

    const self = await approve(t.id, 1, author);
    expect(self.statusCode).toBe(403);
    expect(self.json<Problem>().code).toBe('TEMPLATE_SELF_APPROVAL');
    const byNurse = await approve(t.id, 1, nurse);
    expect(byNurse.json<Problem>().code).toBe('ACCESS_DENIED');

    const ok = await approve(t.id, 1);
    expect(ok.statusCode).toBe(200);
    expect(ok.json<TemplateJson>().currentVersion).toBe(1);
    expect((await approve(t.id, 1)).json<Problem>().code).toBe('TEMPLATE_VERSION_DECIDED');

    const sent = await send();
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json<{ id: string }>();
    await h.settle();
    const message = (await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin })).json<{ body: string; category: string; template: { versionId: string } }>();
    expect(message.template.versionId).toBe(t.versions[0]?.id);
    expect(message.category).toBe('administrative');
    expect(message.body).toBe('Hi Ada, your appointment with Wardline Demo Hospital is on Tue, Dec 1, 10:00 AM at Building B, 2nd floor. Reply STOP to opt out.');

    // Editing makes version 2; until it is approved, sends keep using version 1, and record which one they used.
    const edited = await h.app.inject({ method: 'POST', url: `/v1/templates/${t.id}/versions`, headers: author, payload: { variants: [{ channel: 'sms', language: 'en', body: `Reminder: ${GOOD}` }] } });
    expect(edited.statusCode).toBe(201);
    expect(edited.json<TemplateJson>().versions.map((v) => `${String(v.version)}:${v.status}`)).toEqual(['1:approved', '2:pending']);
    const again = await send();
    const v1 = (await h.app.inject({ method: 'GET', url: `/v1/messages/${again.json<{ id: string }>().id}`, headers: h.admin })).json<{ template: { versionId: string } }>();
    expect(v1.template.versionId).toBe(t.versions[0]?.id);
    await approve(t.id, 2);
    const third = await send();
    const v2 = (await h.app.inject({ method: 'GET', url: `/v1/messages/${third.json<{ id: string }>().id}`, headers: h.admin })).json<{ template: { versionId: string }; body: string }>();
    expect(v2.template.versionId).toBe(edited.json<TemplateJson>().versions[1]?.id);
    expect(v2.body.startsWith('Reminder: Hi Ada')).toBe(true);
  });

  it('keeps decided versions immutable even to someone with table access', async () => {
    const t = (await create(reminder(GOOD))).json<TemplateJson>();
    await approve(t.id, 1);
    const db = h.container.database.db;
    await expect(sql`UPDATE template_version SET variants = '[]'::jsonb WHERE template_id = ${t.id}`.execute(db)).rejects.toThrow(/immutable/);
    await expect(sql`DELETE FROM template_version WHERE template_id = ${t.id}`.execute(db)).rejects.toThrow(/never deleted/);
    await expect(sql`UPDATE template_version SET status = 'pending' WHERE template_id = ${t.id}`.execute(db)).rejects.toThrow(/immutable/);
  });

  it.each([
    ['an unknown placeholder', 'Hi {{favourite_colour}}, see you soon.', 'TEMPLATE_PLACEHOLDER_UNKNOWN', /favourite_colour/],
    ['unbalanced braces', 'Hi {{first_name}, see you soon.', 'TEMPLATE_SYNTAX_INVALID', /unbalanced/],
    ['a clinical placeholder', 'Hi {{first_name}}, about your {{diagnosis}}: see you soon.', 'TEMPLATE_POLICY_VIOLATION', /\{\{diagnosis\}\} is clinical content; kind appointment_reminder allows only none, identifier/],
    ['literal clinical text', 'Hi {{first_name}}, bring your insulin to the appointment on {{appointment_time}}.', 'TEMPLATE_POLICY_VIOLATION', /MEDICATION/],
    ['text too long for SMS', `Hi {{first_name}} ${'x'.repeat(1600)}`, 'TEMPLATE_TOO_LONG', /limit is 1600/],
  ])('refuses %s with a clear error and saves nothing', async (_label, body, code, detail) => {
    const payload = reminder(body);
    const res = await create(payload);
    expect(res.statusCode).toBe(422);
    const problem = res.json<Problem>();
    expect(problem.code).toBe(code);
    expect(problem.errors?.[0]?.pointer).toBe('/body/variants/0/body');
    expect(problem.errors?.[0]?.message).toMatch(detail);
    expect((await h.app.inject({ method: 'GET', url: `/v1/templates/${payload.name}`, headers: author })).statusCode).toBe(404);
  });

  it('refuses authoring without template.author, unknown kinds and duplicate names', async () => {
    expect((await create(reminder(GOOD), nurse)).json<Problem>().code).toBe('ACCESS_DENIED');
    expect((await create({ ...reminder(GOOD), kind: 'horoscope' })).json<Problem>().code).toBe('TEMPLATE_KIND_UNKNOWN');
    const first = reminder(GOOD);
    expect((await create(first)).statusCode).toBe(201);
    expect((await create(first)).json<Problem>().code).toBe('CONFLICT');
  });

  it('lets a compliance officer add a custom kind whose policy then governs its templates', async () => {
    const kind = await h.app.inject({ method: 'POST', url: '/v1/template-kinds', headers: approver, payload: { name: 'portal_invite', category: 'administrative', allowedClasses: ['none'], description: 'Portal invitations without names' } });
    expect(kind.statusCode).toBe(201);
    const named = await create({ name: 'invite_named', kind: 'portal_invite', variants: [{ channel: 'sms', language: 'en', body: 'Hi {{first_name}}, join the portal: {{portal_link}} thanks' }] });
    expect(named.json<Problem>().code).toBe('TEMPLATE_POLICY_VIOLATION');
    expect((await create({ name: 'invite_plain', kind: 'portal_invite', variants: [{ channel: 'sms', language: 'en', body: 'Join the patient portal: {{portal_link}} thanks' }] })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'POST', url: '/v1/template-kinds', headers: nurse, payload: { name: 'x_kind', category: 'clinical', allowedClasses: ['none', 'clinical'], description: 'x' } })).json<Problem>().code).toBe('ACCESS_DENIED');
  });

  it('refuses template sends with missing, unknown or mistyped parameters, naming them but not their values', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', template: { id: 'billing_notice', params: { amount_due: 'lots', portal_link: 'https://pay.example/p', location: 'CANARY-VALUE-1' } } },
    });
    expect(res.statusCode).toBe(422);
    const problem = res.json<Problem>();
    expect(problem.code).toBe('TEMPLATE_PARAMS_INVALID');
    expect(problem.errors?.map((e) => e.pointer).sort()).toEqual(['/body/template/params/amount_due', '/body/template/params/due_date', '/body/template/params/location']);
    expect(res.body).not.toContain('CANARY-VALUE-1');
    expect(res.body).not.toContain('lots');
    // A parameter that names no field at all is refused before anything else, without echoing its name.
    const unknownKey = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'billing_notice', params: { 'CANARY-KEY-2': 'x' } } } });
    expect(unknownKey.statusCode).toBe(400);
    expect(unknownKey.body).not.toContain('CANARY-KEY-2');
    const mismatch = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', template: { id: 'billing_notice', params: {} } } });
    expect(mismatch.json<Problem>().code).toBe('TEMPLATE_CATEGORY_MISMATCH');
    const unknown = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'no_such_template', params: {} } } });
    expect(unknown.json<Problem>().code).toBe('TEMPLATE_NOT_FOUND');
    const wrongType = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'billing_notice', params: { amount_due: 40 } } } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json<Problem>().code).toBe('VALIDATION_FAILED');
    expect(h.logs()).not.toContain('CANARY-VALUE-1');
  });

  it('renders the Spanish variant for a Spanish-speaking patient', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: 'Lucía', familyName: 'Pérez', birthDate: '1975-03-02', phone: '+14155557001', language: 'es', timezone: 'America/Los_Angeles' } });
    const patientId = created.json<{ id: string }>().id;
    await h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/consents`, headers: h.admin, payload: { channel: 'sms', status: 'granted', source: 'intake_form' } });
    const sent = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'prescription_ready', params: { pharmacy_name: 'Farmacia Central' } } } });
    expect(sent.statusCode).toBe(202);
    const msg = (await h.app.inject({ method: 'GET', url: `/v1/messages/${sent.json<{ id: string }>().id}`, headers: h.admin })).json<{ body: string; category: string }>();
    expect(msg.body).toBe('Wardline Demo Hospital: Hola Lucía, su receta está lista para recoger en Farmacia Central. Preguntas: call 555-0100. Responda STOP para no recibir más mensajes.');
    expect(msg.category).toBe('clinical');
  });
});
