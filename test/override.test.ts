import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

const JUSTIFICATION = 'Critical lab result; patient unreachable by phone for two hours.';

describe.each(DATABASES)('consent override (%s)', (database) => {
  let h: Harness;
  let wardId: string;
  let nurse: { authorization: string };
  let physician: { authorization: string };

  beforeAll(async () => {
    h = await createHarness(database);
    wardId = await givenWard(h, 'Cardiology');
    nurse = (await givenUser(h, { username: 'nurse.joy', permissionSets: ['nurse'], wardIds: [wardId] })).headers;
    physician = (await givenUser(h, { username: 'dr.house', permissionSets: ['physician'], wardIds: [wardId] })).headers;
  });
  afterAll(async () => {
    await h?.close();
  });

  const newPatient = () => givenPatient(h, { wardId });

  function sendOverride(headers: { authorization: string }, patientId: string, justification = JUSTIFICATION) {
    return sendMessage(h, { headers, patientId, category: 'clinical', body: 'Please call the clinic urgently.', override: { justification } });
  }

  async function auditActions(targetId: string): Promise<string[]> {
    const rows = await h.container.database.db.selectFrom('audit_event').select(['action']).where('target_id', '=', targetId).execute();
    return rows.map((r) => r.action);
  }

  it('refuses an override from a nurse, who lacks consent.override, with 403 CONSENT_OVERRIDE_FORBIDDEN', async () => {
    const p = await newPatient();
    const res = await sendOverride(nurse, p.id);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('CONSENT_OVERRIDE_FORBIDDEN');
    const count = await h.container.database.db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('patient_id', '=', p.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('lets a physician override a never-consented channel with a justification, and audits it', async () => {
    const p = await newPatient();
    const res = await sendOverride(physician, p.id);
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(msg.statusCode).toBe(200);
    expect(msg.json<{ consentBasis: string; status: string }>()).toMatchObject({ consentBasis: 'override', status: 'queued' });
    const actions = await auditActions(id);
    expect(actions).toContain('consent.overridden');
    expect(actions).toContain('message.queued');
    await h.settle();
    expect(h.container.simulator!.inbox(p.phone).map((m) => m.body)).toEqual(['Please call the clinic urgently.']);
  });

  it('rejects a justification shorter than 20 characters with 400 VALIDATION_FAILED', async () => {
    const p = await newPatient();
    const res = await sendOverride(physician, p.id, 'too short, sorry');
    expect(res.statusCode).toBe(400);
    const problem = res.json<{ code: string; errors?: { pointer: string }[] }>();
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(problem.errors ?? [])).toContain('justification');
  });

  it.each(['physician', 'admin'])('never overrides a patient opt-out: %s gets 409 CONSENT_REVOKED', async (who) => {
    const p = await newPatient();
    const grant = await h.app.inject({
      method: 'POST',
      url: `/v1/patients/${p.id}/consents`,
      headers: h.admin,
      payload: { channel: 'sms', status: 'granted', source: 'intake_form' },
    });
    expect(grant.statusCode).toBe(201);
    const stop = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
    expect(stop.statusCode).toBe(202);
    const res = await sendOverride(who === 'admin' ? h.admin : physician, p.id);
    expect(res.statusCode).toBe(409);
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REVOKED');
    const rows = await h.container.database.db.selectFrom('audit_event').select(['action', 'reason']).where('patient_id', '=', p.id).execute();
    expect(rows.some((r) => r.action === 'consent.overridden')).toBe(false);
    expect(rows.some((r) => r.action === 'message.blocked' && r.reason === 'CONSENT_REVOKED')).toBe(true);
  });

  it('never overrides an opt-out for a nurse either (409, not 403)', async () => {
    const p = await newPatient();
    await h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/consents`, headers: h.admin, payload: { channel: 'sms', status: 'granted', source: 'intake_form' } });
    await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
    const res = await sendOverride(nurse, p.id);
    expect(res.statusCode).toBe(409);
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REVOKED');
  });
});
