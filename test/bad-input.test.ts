import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser, givenWard } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

interface Problem {
  status: number;
  code: string;
  errors?: { pointer: string; message: string }[];
}

describe.each(DATABASES)('bad input is refused cleanly, with no row written (%s)', (database) => {
  let h: Harness;
  let patientId: string;
  let wardA: string;
  let otherWardPatient: string;
  let nurseA: { authorization: string };
  let nurseId: string;

  beforeAll(async () => {
    h = await createHarness(database);
    wardA = await givenWard(h, 'Ward A');
    const wardB = await givenWard(h, 'Ward B');
    patientId = (await givenPatient(h, { wardId: wardA, consent: ['sms'] })).id;
    otherWardPatient = (await givenPatient(h, { wardId: wardB, consent: ['sms'] })).id;
    ({ id: nurseId, headers: nurseA } = await givenUser(h, { username: 'nurse.a', permissionSets: ['nurse'], wardIds: [wardA] }));
  });
  afterAll(async () => {
    await h?.close();
  });

  async function counts(): Promise<{ message: number; patient: number }> {
    const db = h.container.database.db;
    const m = await db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const p = await db.selectFrom('patient').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { message: Number(m.n), patient: Number(p.n) };
  }

  /** Runs a request, checks status, problem+json and code, and that no message or patient row appeared. */
  async function expectProblem(
    req: InjectOptions,
    status: number,
    code: string,
  ): Promise<Problem> {
    const before = await counts();
    const res = await h.app.inject(req);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json<Problem>();
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(status);
    expect(await counts()).toEqual(before);
    return problem;
  }

  const validMessage = () => ({ patientId, channel: 'sms', category: 'administrative', body: 'Hello there' });
  const validPatient = () => ({ givenName: 'Grace', familyName: 'Hopper', birthDate: '1906-12-09', phone: '+14155554003' });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: { ...h.admin, 'content-type': 'application/json' }, payload: '{"patientId": ' }, 400, 'MALFORMED_JSON');
    await expectProblem({ method: 'POST', url: '/v1/patients', headers: { ...h.admin, 'content-type': 'application/json' }, payload: '{not json}' }, 400, 'MALFORMED_JSON');
  });

  it('answers an unknown field with 400 VALIDATION_FAILED and a pointer', async () => {
    const p = await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), priority: 'high' } }, 400, 'VALIDATION_FAILED');
    expect(p.errors?.length).toBeGreaterThan(0);
    for (const e of p.errors!) expect(e.pointer).toMatch(/^\/body/);
    const q = await expectProblem({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { ...validPatient(), ssn: '123-45-6789' } }, 400, 'VALIDATION_FAILED');
    expect(q.errors?.[0]?.pointer).toMatch(/^\/body/);
  });

  it('answers wrong types with 400 VALIDATION_FAILED pointing at the field', async () => {
    const p = await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), body: 42 } }, 400, 'VALIDATION_FAILED');
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/body');
    const q = await expectProblem({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { ...validPatient(), givenName: ['x'] } }, 400, 'VALIDATION_FAILED');
    expect(q.errors?.map((e) => e.pointer)).toContain('/body/givenName');
    await expectProblem({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { ...validPatient(), birthDate: '12/09/1906' } }, 400, 'VALIDATION_FAILED');
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: [validMessage()] }, 400, 'VALIDATION_FAILED');
  });

  it('answers missing fields with 400 VALIDATION_FAILED', async () => {
    const { channel: _c, ...noChannel } = validMessage();
    const p = await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: noChannel }, 400, 'VALIDATION_FAILED');
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/channel');
    const { phone: _p, ...noPhone } = validPatient();
    await expectProblem({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: noPhone }, 400, 'VALIDATION_FAILED');
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: {} }, 400, 'VALIDATION_FAILED');
  });

  it('answers an invalid phone with 400 INVALID_PHONE_NUMBER at /body/phone', async () => {
    const p = await expectProblem({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { ...validPatient(), phone: '123' } }, 400, 'INVALID_PHONE_NUMBER');
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/phone');
  });

  it('answers a too-short phone (2 chars) with 400', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { ...validPatient(), phone: '12' } });
    expect(res.statusCode).toBe(400);
    const p = res.json<Problem>();
    expect(['INVALID_PHONE_NUMBER', 'VALIDATION_FAILED']).toContain(p.code);
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/phone');
  });

  it('answers an unknown patient uuid with 404 NOT_FOUND', async () => {
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), patientId: '00000000-0000-4000-8000-000000000000' } }, 404, 'NOT_FOUND');
    await expectProblem({ method: 'GET', url: '/v1/patients/00000000-0000-4000-8000-000000000000', headers: h.admin }, 404, 'NOT_FOUND');
    await expectProblem({ method: 'GET', url: '/v1/messages/00000000-0000-4000-8000-000000000000', headers: h.admin }, 404, 'NOT_FOUND');
  });

  it('answers a non-uuid id with 400 VALIDATION_FAILED', async () => {
    await expectProblem({ method: 'GET', url: '/v1/patients/not-a-uuid', headers: h.admin }, 400, 'VALIDATION_FAILED');
    await expectProblem({ method: 'GET', url: '/v1/messages/123', headers: h.admin }, 400, 'VALIDATION_FAILED');
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), patientId: 'abc' } }, 400, 'VALIDATION_FAILED');
  });

  it('answers an unknown channel with 400 VALIDATION_FAILED', async () => {
    const p = await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), channel: 'fax' } }, 400, 'VALIDATION_FAILED');
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/channel');
  });

  it('answers an empty, blank or 1601-character body with 400 VALIDATION_FAILED', async () => {
    for (const body of ['', '   ', 'x'.repeat(1601)]) {
      const p = await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), body } }, 400, 'VALIDATION_FAILED');
      expect(p.errors?.map((e) => e.pointer)).toContain('/body/body');
    }
    const ok = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), body: 'x'.repeat(1600) } });
    expect(ok.statusCode).toBe(202);
  });

  it('answers a request body over 64 KiB with 413 BODY_TOO_LARGE', async () => {
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { ...validMessage(), body: 'x'.repeat(70 * 1024) } }, 413, 'BODY_TOO_LARGE');
  });

  it('answers a missing, malformed or unknown token with 401 UNAUTHENTICATED', async () => {
    await expectProblem({ method: 'POST', url: '/v1/messages', payload: validMessage() }, 401, 'UNAUTHENTICATED');
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Bearer wl_unknown_token_0000000000000000' }, payload: validMessage() }, 401, 'UNAUTHENTICATED');
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Basic Zm9vOmJhcg==' }, payload: validMessage() }, 401, 'UNAUTHENTICATED');
    await expectProblem({ method: 'GET', url: `/v1/patients/${patientId}` }, 401, 'UNAUTHENTICATED');
  });

  it('refuses to issue a token that has already expired', async () => {
    await expectProblem({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: nurseId, expiresAt: new Date(Date.now() - 1000).toISOString() } }, 400, 'VALIDATION_FAILED');
  });

  it('answers an expired token with 401 UNAUTHENTICATED', async () => {
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: nurseId, expiresAt: new Date(Date.now() + 1500).toISOString() } });
    expect(issued.statusCode).toBe(201);
    const headers = { authorization: `Bearer ${issued.json<{ token: string }>().token}` };
    const before = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}`, headers });
    expect(before.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    await expectProblem({ method: 'POST', url: '/v1/messages', headers, payload: validMessage() }, 401, 'UNAUTHENTICATED');
  });

  it("hides another ward's patient from a nurse of ward A with 404 NOT_FOUND", async () => {
    const ownWard = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}`, headers: nurseA });
    expect(ownWard.statusCode).toBe(200);
    const get = await expectProblem({ method: 'GET', url: `/v1/patients/${otherWardPatient}`, headers: nurseA }, 404, 'NOT_FOUND');
    const missing = await expectProblem({ method: 'GET', url: '/v1/patients/00000000-0000-4000-8000-000000000000', headers: nurseA }, 404, 'NOT_FOUND');
    // The two answers must be indistinguishable apart from per-request fields.
    const strip = (p: Problem) => ({ ...p, instance: undefined, requestId: undefined });
    expect(strip(get)).toEqual(strip(missing));
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: nurseA, payload: { ...validMessage(), patientId: otherWardPatient } }, 404, 'NOT_FOUND');
    await expectProblem({ method: 'GET', url: `/v1/patients/${otherWardPatient}/consents`, headers: nurseA }, 404, 'NOT_FOUND');
    await expectProblem({ method: 'POST', url: `/v1/patients/${otherWardPatient}/consents`, headers: nurseA, payload: { channel: 'sms', status: 'revoked', source: 'phone' } }, 404, 'NOT_FOUND');
  });

  it('answers a text/plain body with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    await expectProblem({ method: 'POST', url: '/v1/messages', headers: { ...h.admin, 'content-type': 'text/plain' }, payload: JSON.stringify(validMessage()) }, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses system-only consent sources from the API with 400 VALIDATION_FAILED', async () => {
    const p = await expectProblem({ method: 'POST', url: `/v1/patients/${patientId}/consents`, headers: h.admin, payload: { channel: 'sms', status: 'revoked', source: 'sms_keyword' } }, 400, 'VALIDATION_FAILED');
    expect(p.errors?.map((e) => e.pointer)).toContain('/body/source');
  });

  it('never answers any of the above with a 500', () => {
    const logs = h.logs();
    expect(logs).not.toMatch(/"statusCode":5\d\d/);
    expect(logs).not.toContain('"code":"INTERNAL"');
  });
});
