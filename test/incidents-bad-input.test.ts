import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenUser, givenWard, grantConsent, sendMessage, type Headers } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';
import { givenSecurePatient } from './support/secure-links.ts';

/**
 * Issue 7 "bad input": clear errors (problem+json, never echoing what was sent) or a single incident — never a crash
 * or a silently dropped signal. Access: `incident.manage` for the incident API, the caller's sharing over every
 * affected patient (another ward's incident answers 404 like an unknown id), and canary PHI never in logs, errors or
 * security events.
 */

const CANARY = { given: 'Zebulonquix', family: 'Canaryhart', body: 'canary-body-Xq7-your potassium is 6.1' };

describe.each(DATABASES)('incident response: bad input and access (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness;
  let wardA: string;
  let wardB: string;
  let managerA: { id: string; headers: Headers };
  let deskA: { id: string; headers: Headers };
  let patientA: { id: string; phone: string };
  let patientB: { id: string; phone: string };
  let incidentA = '';
  let incidentB = '';
  let messageA = '';
  let messageB = '';

  beforeAll(async () => {
    h = await createHarness(database);
    wardA = await givenWard(h, 'Ward A');
    wardB = await givenWard(h, 'Ward B');
    const set = await h.app.inject({
      method: 'POST',
      url: '/v1/permission-sets',
      headers: h.admin,
      payload: { name: 'ward_privacy', label: 'Ward privacy officer', permissions: ['incident.manage', 'message.view.administrative', 'message.view.clinical'] },
    });
    expect(set.statusCode, set.body).toBe(201);
    managerA = await givenUser(h, { username: 'privacy-a', permissionSets: ['ward_privacy'], wardIds: [wardA] });
    deskA = await givenUser(h, { username: 'desk-a', permissionSets: ['front_desk'], wardIds: [wardA] });
    patientA = await givenSecurePatient(h, { givenName: CANARY.given, familyName: CANARY.family, wardId: wardA });
    patientB = await givenSecurePatient(h, { wardId: wardB });
    messageA = (await sendMessage(h, { patientId: patientA.id, body: CANARY.body, category: 'administrative' })).json<{ id: string }>().id;
    messageB = (await sendMessage(h, { patientId: patientB.id })).json<{ id: string }>().id;
    await h.settle();
    const a = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: patientA.phone, channel: 'sms', body: `I'm not ${CANARY.given}, wrong number` } });
    expect(a.statusCode).toBe(202);
    const b = await h.app.inject({ method: 'POST', url: `/v1/messages/${messageB}/report-misdirected`, headers: h.admin, payload: { note: 'reported by phone' } });
    expect(b.statusCode).toBe(201);
    incidentB = b.json<{ incidentId: string }>().incidentId;
    const list = await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: managerA.headers });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: { id: string; source: string }[] }>().items;
    expect(items.map((i) => i.id)).not.toContain(incidentB);
    incidentA = items.find((i) => i.source === 'patient-reply')?.id ?? '';
    expect(incidentA).not.toBe('');
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (url: string, payload?: unknown, headers: Headers = h.admin) =>
    h.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  const FACTORS = {
    natureAndExtent: { contentClasses: ['appointment'], identifiers: [], note: 'secret-note-Q1 about the potassium' },
    recipient: { kind: 'unknown-person', note: 'secret-note-Q2' },
    acquiredOrViewed: { viewed: 'unknown', evidence: 'secret-note-Q3' },
    mitigation: { note: 'secret-note-Q4' },
  };

  it('publishes the incident endpoints in the OpenAPI document', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths)).toEqual(expect.arrayContaining(['/v1/incidents', '/v1/incidents/{id}/decision', '/v1/patients/{id}/contact-points/{kind}/reverify']));
  });

  it('answers 404 for an unknown incident id, and 400 for a malformed one', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${unknown}`, headers: h.admin })).statusCode).toBe(404);
    expect((await post(`/v1/incidents/${unknown}/close`)).json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await h.app.inject({ method: 'GET', url: '/v1/incidents/not-a-uuid', headers: h.admin })).statusCode).toBe(400);
    expect((await post('/v1/incidents', { messageId: unknown })).statusCode).toBe(404);
  });

  it("answers 404 for another ward's incident and message, as for unknown ids", async () => {
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentB}`, headers: managerA.headers })).statusCode).toBe(404);
    expect((await post(`/v1/incidents/${incidentB}/confirm`, { discoveredAt: new Date().toISOString() }, managerA.headers)).statusCode).toBe(404);
    expect((await post(`/v1/incidents/${incidentB}/mitigations`, { kind: 'revoke-links' }, managerA.headers)).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentB}/notices/${patientB.id}.pdf`, headers: managerA.headers })).statusCode).toBe(404);
    expect((await post(`/v1/messages/${messageB}/report-misdirected`, undefined, deskA.headers)).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentA}`, headers: managerA.headers })).statusCode).toBe(200);
    // Each refusal of an incident that exists is audited, like any record outside one's sharing.
    const denials = await h.container.database.db.selectFrom('audit_event').select(['target_type', 'target_id', 'patient_id']).where('action', '=', 'access.denied').where('actor_id', '=', managerA.id).where('target_type', '=', 'incident').execute();
    expect(denials.length).toBeGreaterThanOrEqual(3);
    expect(denials).toContainEqual({ target_type: 'incident', target_id: incidentB, patient_id: patientB.id });
  });

  it('needs incident.manage to work incidents; any staff who may view a message may report it', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: deskA.headers })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentA}`, headers: deskA.headers })).statusCode).toBe(403);
    expect((await post(`/v1/incidents/${incidentA}/close`, undefined, deskA.headers)).statusCode).toBe(403);
    const reported = await post(`/v1/messages/${messageA}/report-misdirected`, undefined, deskA.headers);
    expect(reported.statusCode, reported.body).toBe(201);
    expect(reported.json<{ opened: boolean }>().opened).toBe(true);
  });

  it('refuses steps out of order with 409 INCIDENT_TRANSITION_INVALID', async () => {
    const assess = await post(`/v1/incidents/${incidentA}/assessment`, FACTORS);
    expect(assess.statusCode).toBe(409);
    expect(assess.json()).toMatchObject({ code: 'INCIDENT_TRANSITION_INVALID' });
    expect((await post(`/v1/incidents/${incidentA}/close`)).json()).toMatchObject({ code: 'INCIDENT_TRANSITION_INVALID' });
    expect((await post(`/v1/incidents/${incidentA}/notices`, { kind: 'individual', method: 'first-class-mail', patientId: patientA.id })).statusCode).toBe(409);
  });

  it('refuses a confirmation without a discovery date with 422, and wrong types with 400', async () => {
    const none = await post(`/v1/incidents/${incidentA}/confirm`, {});
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ code: 'INCIDENT_DISCOVERY_DATE_REQUIRED' });
    expect((await post(`/v1/incidents/${incidentA}/confirm`, { discoveredAt: 12 })).statusCode).toBe(400);
    expect((await post(`/v1/incidents/${incidentA}/confirm`, { discoveredAt: 'yesterday' })).statusCode).toBe(400);
    expect((await post(`/v1/incidents/${incidentA}/confirm`, { discoveredAt: new Date(Date.now() + 86_400_000).toISOString() })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await post(`/v1/incidents/${incidentA}/mitigations`, { kind: 'delete-everything' })).statusCode).toBe(400);
    const malformed = await h.app.inject({ method: 'POST', url: `/v1/incidents/${incidentA}/confirm`, headers: { ...h.admin, 'content-type': 'application/json' }, payload: '{"discoveredAt": ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    expect((await post(`/v1/incidents/${incidentA}/confirm`, { discoveredAt: new Date().toISOString() })).statusCode).toBe(200);
  });

  it('refuses an assessment missing a factor with 422 naming it, without echoing the notes', async () => {
    const { recipient: _omitted, ...missing } = FACTORS;
    const res = await post(`/v1/incidents/${incidentA}/assessment`, missing);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'INCIDENT_ASSESSMENT_INCOMPLETE' });
    expect(res.body).toContain('factor2');
    expect(res.body).not.toContain('secret-note');
    const blank = await post(`/v1/incidents/${incidentA}/assessment`, { ...FACTORS, acquiredOrViewed: { viewed: 'no', evidence: '   ' } });
    expect(blank.json()).toMatchObject({ code: 'INCIDENT_ASSESSMENT_INCOMPLETE' });
    expect((await post(`/v1/incidents/${incidentA}/assessment`, [1, 2])).statusCode).toBe(400);
  });

  it('refuses a decision without rationale, or with a mismatched exclusion, with 422 INCIDENT_DECISION_INVALID', async () => {
    expect((await post(`/v1/incidents/${incidentA}/assessment`, FACTORS)).statusCode).toBe(200);
    const none = await post(`/v1/incidents/${incidentA}/decision`, { outcome: 'low-probability' });
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ code: 'INCIDENT_DECISION_INVALID' });
    expect((await post(`/v1/incidents/${incidentA}/decision`, { outcome: 'breach', rationale: 'too short' })).json()).toMatchObject({ code: 'INCIDENT_DECISION_INVALID' });
    const mismatch = await post(`/v1/incidents/${incidentA}/decision`, { outcome: 'breach', exclusion: 'recipient-unable-to-retain', rationale: 'A long enough rationale for the record.' });
    expect(mismatch.json()).toMatchObject({ code: 'INCIDENT_DECISION_INVALID' });
    expect((await post(`/v1/incidents/${incidentA}/decision`, { outcome: 'maybe', rationale: 'A long enough rationale for the record.' })).statusCode).toBe(400);
  });

  it('takes replies in unexpected scripts without a crash, and a duplicate reply opens no second incident', async () => {
    for (const body of ['誰ですか？', 'مين انت', '🙃🙃🙃', 'Кто это?', '\u0000\u202e', 'x'.repeat(1600)]) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: patientB.phone, channel: 'sms', body } });
      expect(res.statusCode).toBe(202);
    }
    const before = (await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: h.admin })).json<{ items: unknown[] }>().items.length;
    await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: patientA.phone, channel: 'sms', body: 'wrong number' } });
    await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: patientA.phone, channel: 'sms', body: 'wrong number' } });
    const after = (await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: h.admin })).json<{ items: unknown[] }>().items.length;
    expect(after).toBe(before);
  });

  it('a re-verification needs a reason and a suspended number', async () => {
    expect((await post(`/v1/patients/${patientA.id}/contact-points/phone/reverify`, { evidence: 'ok' })).statusCode).toBe(400);
    expect((await post(`/v1/patients/${patientA.id}/contact-points/fax/reverify`, { evidence: 'Confirmed with the patient.' })).statusCode).toBe(400);
    expect((await post(`/v1/patients/${patientA.id}/contact-points/phone/reverify`, { evidence: 'Confirmed with the patient.' })).statusCode).toBe(404);
    expect((await post(`/v1/patients/${patientB.id}/contact-points/phone/reverify`, { evidence: 'Confirmed with the patient.' }, managerA.headers)).statusCode).toBe(404);
  });

  it('opens one incident for the same event delivered twice at once', async () => {
    const p = await givenSecurePatient(h, { wardId: wardA });
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const [one, two] = await Promise.all([post(`/v1/messages/${id}/report-misdirected`), post('/v1/incidents', { messageId: id })]);
    expect([one.statusCode, two.statusCode].sort()).toEqual([200, 201]);
    expect(one.json<{ incidentId: string }>().incidentId).toBe(two.json<{ incidentId: string }>().incidentId);
  });

  it('refuses an oral law-enforcement delay beyond 30 days, and keeps incident records from deletion', async () => {
    const tooLong = await post(`/v1/incidents/${incidentA}/law-enforcement-delay`, { agency: 'County police', until: new Date(Date.now() + 45 * 86_400_000).toISOString(), oral: true });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(tooLong.body).not.toContain('County police');
    await expect(h.container.database.db.deleteFrom('incident').where('id', '=', incidentA).execute()).rejects.toThrow();
    await expect(h.container.database.db.deleteFrom('incident_signal').execute()).rejects.toThrow();
    expect((await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentA}`, headers: h.admin })).statusCode).toBe(200);
  });

  it('never lets canary PHI into logs, error bodies or security events', async () => {
    await grantConsent(h, patientA.id);
    const suspend = await post(`/v1/incidents/${incidentA}/mitigations`, { kind: 'suspend-contact-point' });
    expect(suspend.statusCode).toBe(200);
    const refused = await sendMessage(h, { patientId: patientA.id, body: CANARY.body });
    expect(refused.json()).toMatchObject({ code: 'CONTACT_POINT_SUSPENDED' });
    const events = await h.container.database.db.selectFrom('security_event').selectAll().execute();
    const audits = await h.container.database.db.selectFrom('audit_event').select(['details', 'reason']).where('action', 'like', 'incident.%').execute();
    const surfaces = [h.logs(), refused.body, JSON.stringify(events), JSON.stringify(audits)];
    for (const text of surfaces) {
      for (const canary of [CANARY.given, CANARY.family, CANARY.body, 'potassium', patientA.phone, patientA.phone.slice(2), 'secret-note', 'reported by phone']) {
        expect(text).not.toContain(canary);
      }
    }
  });
});

describe.each(DATABASES)('incident alert through the security webhook (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness;
  let server: Server;
  const bodies: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    h = await createHarness(database, { WARDLINE_SECURITY_WEBHOOK_URL: `http://127.0.0.1:${String(port)}/security`, WARDLINE_SECURITY_WEBHOOK_SECRET: 'incident-webhook-secret-0123456789abcdef' });
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('delivers incident.opened with ids and content classes, never the reply, the message or the patient', async () => {
    const p = await givenSecurePatient(h, { givenName: CANARY.given, familyName: CANARY.family });
    expect((await sendMessage(h, { patientId: p.id, body: CANARY.body })).statusCode).toBe(202);
    await h.settle();
    const reply = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: `This isn't ${CANARY.given}, wrong number` } });
    expect(reply.statusCode).toBe(202);
    for (let i = 0; i < 50 && !bodies.some((b) => b.includes('incident.opened')); i++) {
      await h.container.securityWebhook?.deliverDue();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const alert = bodies.find((b) => b.includes('incident.opened'));
    expect(alert).toBeDefined();
    expect(JSON.parse(alert!)).toMatchObject({ kind: 'incident.opened', patientId: p.id, details: { source: 'patient-reply', patients: 1, messages: 1, contentClasses: expect.any(String) } });
    for (const canary of [CANARY.given, CANARY.family, CANARY.body, p.phone, 'wrong number']) expect(alert).not.toContain(canary);
  });
});
