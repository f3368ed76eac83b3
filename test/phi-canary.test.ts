import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/** Every canary shares this prefix, so one search finds any of them. */
const CANARY = 'CANARY_PHI';
const PHONE = '+14155550199';
const WHATSAPP = '+14155550188';
/** Digits of the patients' numbers that must never appear outside the encrypted columns. */
const PHONE_DIGITS = ['4155550199', '4155550188', '5550199', '5550188'];
const BIRTH_DATE = '1931-07-17';

describe.each(DATABASES)('PHI canaries never leak into logs, errors or audit (%s)', (database) => {
  let h: Harness;
  const problems: string[] = [];
  const canaryFor = (n: number) => `${CANARY}_${n}`;

  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function call(req: InjectOptions): Promise<LightMyRequestResponse> {
    const res = await h.app.inject(req);
    expect(res.statusCode, res.body).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(res.headers['content-type']).toContain('application/problem+json');
      problems.push(res.body);
    }
    return res;
  }

  async function rowsAsText(table: string): Promise<string> {
    const r = await sql<{ j: string }>`select row_to_json(t)::text as j from ${sql.table(table)} t`.execute(h.container.database.db);
    return r.rows.map((row) => row.j).join('\n');
  }

  function expectClean(text: string, where: string) {
    expect(text, `${where} contains a canary`).not.toContain(CANARY);
    for (const d of PHONE_DIGITS) expect(text, `${where} contains phone digits ${d}`).not.toContain(d);
    expect(text, `${where} contains the birth date`).not.toContain(BIRTH_DATE);
  }

  it('drives every path with canary values', async () => {
    const created = await call({
      method: 'POST',
      url: '/v1/patients',
      headers: h.admin,
      payload: {
        givenName: canaryFor(1),
        familyName: canaryFor(2),
        birthDate: BIRTH_DATE,
        phone: PHONE,
        whatsapp: WHATSAPP,
        externalIds: { mrn: canaryFor(4) },
      },
    });
    expect(created.statusCode).toBe(201);
    const patientId = created.json<{ id: string }>().id;

    const got = await call({ method: 'GET', url: `/v1/patients/${patientId}`, headers: h.admin });
    expect(got.json()).toMatchObject({ givenName: canaryFor(1), familyName: canaryFor(2), phone: PHONE, externalIds: { mrn: canaryFor(4) } });

    for (const channel of ['sms', 'whatsapp']) {
      const c = await call({
        method: 'POST',
        url: `/v1/patients/${patientId}/consents`,
        headers: h.admin,
        payload: { channel, status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree to texts', capturedBy: 'Front desk' } },
      });
      expect(c.statusCode).toBe(201);
    }
    await call({ method: 'GET', url: `/v1/patients/${patientId}/consents`, headers: h.admin });

    const check = await call({ method: 'POST', url: '/v1/messages/check', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(3)} your result` } });
    expect(check.statusCode).toBe(200);
    const sent = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...h.admin, 'idempotency-key': 'canary-key-1' },
      payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(3)} your result`, relatedRecord: { type: 'lab', id: 'lab-1' } },
    });
    expect(sent.statusCode).toBe(202);
    const messageId = sent.json<{ id: string }>().id;
    // Same key, different body: a refusal that must not echo either body.
    const reused = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...h.admin, 'idempotency-key': 'canary-key-1' },
      payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(11)} other` },
    });
    expect(reused.statusCode).toBe(409);
    // The patient writes on WhatsApp first: free text needs the 24-hour customer service window.
    await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: WHATSAPP, channel: 'whatsapp', body: `${canaryFor(13)} hello` } });
    const wa = await call({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'whatsapp', category: 'clinical', body: `${canaryFor(12)} on WhatsApp` } });
    expect(wa.statusCode).toBe(202);
    await h.settle();

    const msg = await call({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.admin });
    expect(msg.json()).toMatchObject({ status: 'read', body: `${canaryFor(3)} your result` });
    await call({ method: 'GET', url: `/v1/messages?patientId=${patientId}`, headers: h.admin });
    expect(h.container.simulator!.inbox(PHONE).map((m) => m.body)).toContain(`${canaryFor(3)} your result`);

    // Templates: a free-text parameter, a mistyped one, an unknown one; then clinical content sent securely.
    const templated = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', template: { id: 'appointment_reminder', params: { appointment_time: '2026-12-01T15:00:00Z', location: `${canaryFor(50)} Building` } } },
    });
    expect(templated.statusCode).toBe(202);
    const badParams = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', template: { id: 'appointment_reminder', params: { appointment_time: canaryFor(51), location: 'B' } } },
    });
    expect(badParams.statusCode).toBe(422);
    const unknownParam = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', template: { id: 'appointment_reminder', params: { location: 'B', [canaryFor(52)]: canaryFor(53) } } },
    });
    expect(unknownParam.statusCode).toBe(400);
    const secure = await call({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(54)} your biopsy showed melanoma` } });
    expect(secure.statusCode).toBe(202);
    await call({ method: 'POST', url: '/v1/messages/check', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(55)} take 20 mg of lisinopril` } });
    await call({
      method: 'POST',
      url: `/v1/patients/${patientId}/phi-preferences`,
      headers: h.admin,
      payload: { channel: 'sms', status: 'accepted', warningText: `${canaryFor(56)} is not a warning`.padEnd(50, '.'), source: 'staff', capturedBy: 'x', capturedAt: canaryFor(57) },
    });
    await h.settle();
    expect(h.container.simulator!.inbox(PHONE).map((m) => m.body).join('\n')).not.toContain(canaryFor(54));

    // Patient replies: unclear text (stored for review), then STOP on sms and on WhatsApp.
    const unclear = await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: PHONE, channel: 'sms', body: `${canaryFor(5)} who is this` } });
    expect(unclear.json()).toMatchObject({ needsReview: true });
    const unknownSender = await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: '+14155550177', channel: 'sms', body: `${canaryFor(13)} hello` } });
    expect(unknownSender.json()).toMatchObject({ needsReview: true, matchedPatients: 0 });
    await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: PHONE, channel: 'sms', body: 'HELP' } });
    const queued = await call({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(14)} queued then cancelled` } });
    expect(queued.statusCode).toBe(202);
    await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: PHONE, channel: 'sms', body: 'STOP' } });
    await call({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: WHATSAPP, channel: 'whatsapp', body: 'please stop texting me' } });
    await call({ method: 'GET', url: '/v1/inbound', headers: h.admin });
    await h.settle();
    expect((await call({ method: 'GET', url: `/v1/messages/${queued.json<{ id: string }>().id}`, headers: h.admin })).json()).toMatchObject({ status: 'cancelled' });

    // Refusals after the opt-out, and an override attempt carrying a canary justification.
    const blocked = await call({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(15)} blocked`, override: { justification: `${canaryFor(16)} urgent justification text here` } },
    });
    expect(blocked.statusCode).toBe(409);
    const regrant = await call({ method: 'POST', url: `/v1/patients/${patientId}/consents`, headers: h.admin, payload: { channel: 'sms', status: 'granted', source: 'staff' } });
    expect(regrant.statusCode).toBe(409);

    // Bad input carrying canary values.
    const bad = [
      { method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: canaryFor(20), familyName: canaryFor(21), birthDate: BIRTH_DATE, phone: canaryFor(6) } },
      { method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: canaryFor(22), familyName: 'X', birthDate: canaryFor(23), phone: '+14155550199' } },
      { method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: canaryFor(24), familyName: 'X', birthDate: BIRTH_DATE, phone: PHONE, nickname: canaryFor(7) } },
      { method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: canaryFor(25), familyName: 'X', birthDate: BIRTH_DATE, phone: PHONE, language: canaryFor(26), timezone: canaryFor(27) } },
      { method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: 42, familyName: 'X', birthDate: BIRTH_DATE, phone: PHONE, externalIds: { mrn: 7, note: canaryFor(28) } } },
      { method: 'POST', url: '/v1/patients', headers: { ...h.admin, 'content-type': 'application/json' }, payload: `{"givenName":"${canaryFor(8)}", "phone": "${PHONE}"` },
      { method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: canaryFor(29), category: 'clinical', body: `${canaryFor(30)} body` } },
      { method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(31)} ${'x'.repeat(1600)}` } },
      { method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(32)} body`, override: { justification: canaryFor(33) } } },
      { method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId: canaryFor(34), channel: 'sms', category: 'clinical', body: 'x' } },
      { method: 'POST', url: '/v1/messages', headers: { ...h.admin, 'content-type': 'text/plain' }, payload: `${canaryFor(35)} ${PHONE}` },
      { method: 'POST', url: '/v1/messages', headers: { ...h.admin, 'idempotency-key': `${canaryFor(36)} with spaces` }, payload: { patientId, channel: 'sms', category: 'clinical', body: 'x' } },
      { method: 'POST', url: '/v1/messages', payload: { patientId, channel: 'sms', category: 'clinical', body: `${canaryFor(37)} unauthenticated` } },
      { method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: canaryFor(38).repeat(5000) } },
      { method: 'POST', url: '/v1/simulator/inbound', payload: { from: canaryFor(9), channel: 'sms', body: `${canaryFor(10)} hi` } },
      { method: 'POST', url: '/v1/simulator/inbound', payload: { from: PHONE, channel: 'sms', body: `${canaryFor(39)} hi`, extra: canaryFor(40) } },
      { method: 'POST', url: `/v1/patients/${patientId}/consents`, headers: h.admin, payload: { channel: 'sms', status: 'revoked', source: 'phone', evidence: { capturedAt: canaryFor(41) } } },
      { method: 'GET', url: `/v1/patients/${canaryFor(42)}`, headers: h.admin },
      { method: 'GET', url: `/v1/messages?patientId=${canaryFor(43)}`, headers: h.admin },
    ];
    for (const req of bad) {
      const res = await call(req);
      expect(res.statusCode, `${req.method} ${req.url}`).toBeGreaterThanOrEqual(400);
    }
    expect(problems.length).toBeGreaterThanOrEqual(bad.length + 3);
  });

  it('keeps every problem+json body free of canaries and phone digits', () => {
    expect(problems.length).toBeGreaterThan(0);
    for (const body of problems) expectClean(body, `problem ${body.slice(0, 120)}`);
  });

  it('keeps the logs free of canaries and phone digits', () => {
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(0);
    expectClean(logs, 'logs');
  });

  it('keeps the audit trail free of canaries and phone digits', async () => {
    const audit = await rowsAsText('audit_event');
    expect(audit).toContain('consent.revoked');
    expectClean(audit, 'audit_event');
  });

  it('stores no plaintext PHI in patient, message, inbound or consent rows', async () => {
    for (const table of ['patient', 'message', 'inbound_message', 'consent_event', 'message_status_event', 'outbox', 'secure_message', 'secure_link', 'template_version', 'phi_channel_preference']) {
      const text = await rowsAsText(table);
      expectClean(text, table);
    }
    expect((await rowsAsText('patient')).length).toBeGreaterThan(0);
    expect((await rowsAsText('message')).length).toBeGreaterThan(0);
  });
});
