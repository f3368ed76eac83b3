import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

describe.each(DATABASES)('consent-gated sending end to end (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function newPatient(phone = '(415) 555-0132'): Promise<string> {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/patients',
      headers: h.admin,
      payload: { givenName: 'Ada', familyName: 'Lovelace', birthDate: '1980-12-10', phone },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }

  it('follows a consented SMS from queued to read', async () => {
    const patientId = await newPatient();
    const consent = await h.app.inject({
      method: 'POST',
      url: `/v1/patients/${patientId}/consents`,
      headers: h.admin,
      payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree to texts' } },
    });
    expect(consent.statusCode).toBe(201);
    const sent = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', category: 'administrative', body: 'Your appointment is tomorrow at 9:00.' },
    });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json<{ id: string }>();
    await h.settle();
    const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(msg.statusCode).toBe(200);
    const body = msg.json<{ status: string; timeline: { status: string }[] }>();
    expect(body.status).toBe('read');
    expect(body.timeline.map((t) => t.status)).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
  });

  it('refuses a send without consent with CONSENT_REQUIRED', async () => {
    const patientId = await newPatient('+14155550177');
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', category: 'administrative', body: 'Hello' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REQUIRED');
  });
});
