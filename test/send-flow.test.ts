import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

describe.each(DATABASES)('consent-gated sending end to end (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('follows a consented SMS from queued to read', async () => {
    const { id: patientId } = await givenPatient(h, { phone: '(415) 555-0132', consent: ['sms'] });
    const sent = await sendMessage(h, { patientId });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json<{ id: string }>();
    await h.settle();
    const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(msg.statusCode).toBe(200);
    const body = msg.json<{ status: string; timeline: { status: string }[] }>();
    expect(body.status).toBe('read');
    expect(body.timeline.map((t) => t.status)).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
  });

  it('reports PHI findings in a dry run (types and offsets; the recipient’s own name counts), sending nothing', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const body = 'Hi Ada, your results from 03/14/2024 are in. Call 415-555-0199.';
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages/check', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body } });
    expect(res.statusCode).toBe(200);
    const check = res.json<{ allowed: boolean; findings: { class: string; type: string; start: number; end: number }[] }>();
    expect(check.allowed).toBe(true);
    expect(check.findings.map((f) => `${f.type}:${body.slice(f.start, f.end)}`)).toEqual(['NAME:Ada', 'DATE:03/14/2024', 'PHONE:415-555-0199']);
    expect(JSON.stringify(check)).not.toContain('Ada');
  });

  it('refuses a send without consent with CONSENT_REQUIRED', async () => {
    const { id: patientId } = await givenPatient(h, { phone: '+14155550177' });
    const res = await sendMessage(h, { patientId, body: 'Hello' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REQUIRED');
  });
});
