import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/app/ports.ts';
import { AUDIT_ACTIONS } from '../src/core/audit/audit-event.ts';
import { givenPatient, givenPrincipal, givenUser, givenWard, grantConsent, sendMessage, TEMPLATE_FOR, type Headers } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * Issue 6 item 1, "Everything is recorded", proven through the public API on every database (HIPAA 45 CFR
 * §164.312(b)): one scenario per item of the list. Each asserts the event's actor (type, id and on whose
 * behalf), its stable `noun.verb` action, target, outcome, reason code, and where it came from — the request id
 * Wardline answered with (`X-Request-Id`) and the client's address (inject's 127.0.0.1, or the given one).
 * Exports are covered by the audit export work (test/audit-export.test.ts, another engineer); incident actions here
 * and in test/incidents.test.ts (issue 7). The catalogue in docs/audit-events.md is checked against AUDIT_ACTIONS here.
 */

type AuditRow = Awaited<ReturnType<typeof eventsOf>>[number];

async function eventsOf(h: Harness, where: { action: string; requestId?: string; targetId?: string; patientId?: string; actorId?: string }) {
  let q = h.container.database.db.selectFrom('audit_event').selectAll().where('action', '=', where.action);
  if (where.requestId !== undefined) q = q.where('request_id', '=', where.requestId);
  if (where.targetId !== undefined) q = q.where('target_id', '=', where.targetId);
  if (where.patientId !== undefined) q = q.where('patient_id', '=', where.patientId);
  if (where.actorId !== undefined) q = q.where('actor_id', '=', where.actorId);
  return q.orderBy('id').execute();
}

/** The request id Wardline answered with: every event the request wrote carries it. */
function requestIdOf(res: LightMyRequestResponse): string {
  const id = res.headers['x-request-id'];
  expect(typeof id).toBe('string');
  return String(id);
}

/** The one event of this action the request wrote, with its origin checked. */
async function theEvent(h: Harness, res: LightMyRequestResponse, action: string, sourceAddress = '127.0.0.1'): Promise<AuditRow> {
  const rows = await eventsOf(h, { action, requestId: requestIdOf(res) });
  expect(rows, `${action} for request ${requestIdOf(res)}`).toHaveLength(1);
  const row = rows[0];
  if (row === undefined) throw new Error('unreachable');
  expect(row.source_address).toBe(sourceAddress);
  expect(row.occurred_at).toBeInstanceOf(Date);
  return row;
}

function movableClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return {
    now: () => new Date(now),
    set(next) {
      now = new Date(next);
    },
  };
}

const IN_HOURS = '2026-01-15T15:00:00Z'; // 10:00 in New York
const QUIET = '2026-01-15T08:00:00Z'; // 03:00 in New York

describe.each(DATABASES)('everything is recorded (%s)', (database) => {
  let h: Harness;
  const clock = movableClock(IN_HOURS);
  let wardA: string;
  let wardB: string;
  let nurseA: { id: string; headers: Headers };
  let physicianB: { id: string; headers: Headers };
  let frontDeskA: { id: string; headers: Headers };
  let officer: { id: string; headers: Headers };
  const tz = { timezone: 'America/New_York' };

  beforeAll(async () => {
    h = await createHarness(database, { WARDLINE_QUIET_HOURS: '08:00-21:00', WARDLINE_PHI_POLICY: 'clinical:block,identifier:block' }, { clock });
    wardA = await givenWard(h, 'Coverage A');
    wardB = await givenWard(h, 'Coverage B');
    nurseA = await givenUser(h, { username: 'cov.nurse', permissionSets: ['nurse'], wardIds: [wardA] });
    physicianB = await givenUser(h, { username: 'cov.physician', permissionSets: ['physician'], wardIds: [wardB] });
    frontDeskA = await givenUser(h, { username: 'cov.desk', permissionSets: ['front_desk'], wardIds: [wardA] });
    officer = await givenUser(h, { username: 'cov.officer', permissionSets: ['compliance_officer'], wardIds: [] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a send: message.queued by the user, the message as target, with request id and address', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const res = await sendMessage(h, { patientId: p.id, headers: nurseA.headers });
    expect(res.statusCode).toBe(202);
    const e = await theEvent(h, res, 'message.queued');
    expect(e).toMatchObject({ actor_type: 'user', actor_id: nurseA.id, outcome: 'success', target_type: 'message', target_id: res.json<{ id: string }>().id, patient_id: p.id, reason: null, on_behalf_of: null });
    expect(e.details).toMatchObject({ channel: 'sms', category: 'administrative', consentBasis: 'consent' });
  });

  it('an AI agent and an integration sending for a user: actor type and id, and on whose behalf', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const agent = await givenPrincipal(h, { kind: 'agent', name: 'Cov agent', permissionSets: ['ai_agent'], wardIds: [wardA] });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...agent.headers, 'on-behalf-of': `principal:${nurseA.id}` },
      payload: { patientId: p.id, channel: 'sms', template: TEMPLATE_FOR.administrative },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(await theEvent(h, res, 'message.queued')).toMatchObject({ actor_type: 'agent', actor_id: agent.id, on_behalf_of: `principal:${nurseA.id}`, outcome: 'success' });

    const created = await h.app.inject({ method: 'POST', url: '/v1/integrations', headers: h.admin, payload: { displayName: 'Cov EHR', permissionSets: ['front_desk'], wardIds: [wardA] } });
    expect(created.statusCode).toBe(201);
    const integrationId = created.json<{ id: string }>().id;
    const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: integrationId } });
    const headers = { authorization: `Bearer ${token.json<{ token: string }>().token}`, 'on-behalf-of': 'ehr-user-8812' };
    const sent = await sendMessage(h, { patientId: p.id, headers });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(await theEvent(h, sent, 'message.queued')).toMatchObject({ actor_type: 'integration', actor_id: integrationId, on_behalf_of: 'ehr-user-8812' });
    // A consent change by the integration carries the claim too.
    const consent = await h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/consents`, headers, payload: { channel: 'whatsapp', status: 'revoked', source: 'phone', evidence: { wordingShown: 'Patient asked by phone' } } });
    expect(consent.statusCode, consent.body).toBe(201);
    expect(await theEvent(h, consent, 'consent.revoked')).toMatchObject({ actor_type: 'integration', on_behalf_of: 'ehr-user-8812' });
    // A user's own header is ignored: people act for themselves.
    const own = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...nurseA.headers, 'on-behalf-of': 'someone-else' }, payload: { patientId: p.id, channel: 'sms', category: 'administrative', body: 'The clinic opens at 9.' } });
    expect((await theEvent(h, own, 'message.queued')).on_behalf_of).toBeNull();
  });

  it('a refused send without consent: message.blocked, denied, reason CONSENT_REQUIRED', async () => {
    const p = await givenPatient(h, { wardId: wardA, ...tz });
    const res = await sendMessage(h, { patientId: p.id, headers: nurseA.headers });
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REQUIRED');
    expect(await theEvent(h, res, 'message.blocked')).toMatchObject({ actor_type: 'user', actor_id: nurseA.id, outcome: 'denied', target_type: 'patient', target_id: p.id, patient_id: p.id, reason: 'CONSENT_REQUIRED' });
    expect(await h.container.database.db.selectFrom('message').select('id').where('patient_id', '=', p.id).execute()).toEqual([]);
  });

  it('a refused send carrying PHI: message.blocked, reason PHI_NOT_ALLOWED, finding types only', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const res = await sendMessage(h, { patientId: p.id, headers: nurseA.headers, category: 'clinical', body: 'Your lisinopril dose changes tomorrow.' });
    expect(res.json<{ code: string }>().code).toBe('PHI_NOT_ALLOWED');
    const e = await theEvent(h, res, 'message.blocked');
    expect(e).toMatchObject({ outcome: 'denied', target_id: p.id, reason: 'PHI_NOT_ALLOWED' });
    expect(typeof e.details['findingTypes']).toBe('string');
    expect(JSON.stringify(e)).not.toContain('lisinopril');
  });

  it('a refused send for access: access.denied naming the patient, for a missing permission and for another ward', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const clinical = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: frontDeskA.headers, payload: { patientId: p.id, channel: 'sms', template: TEMPLATE_FOR.clinical } });
    expect(clinical.json<{ code: string }>().code).toBe('ACCESS_DENIED');
    expect(await theEvent(h, clinical, 'access.denied')).toMatchObject({ actor_id: frontDeskA.id, outcome: 'denied', target_type: 'patient', target_id: p.id, reason: 'missing message.send.clinical' });
    const otherWard = await sendMessage(h, { patientId: p.id, headers: physicianB.headers });
    expect(otherWard.statusCode).toBe(404);
    expect(await theEvent(h, otherWard, 'access.denied')).toMatchObject({ actor_id: physicianB.id, outcome: 'denied', target_type: 'patient', target_id: p.id, patient_id: p.id, reason: "outside the actor's sharing" });
  });

  it('quiet hours: the dispatcher holds the message, audited as message.held by the system with QUIET_HOURS', async () => {
    clock.set(QUIET);
    try {
      const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
      const res = await sendMessage(h, { patientId: p.id, headers: nurseA.headers });
      expect(res.statusCode).toBe(202);
      const id = res.json<{ id: string }>().id;
      await h.settle();
      const held = await eventsOf(h, { action: 'message.held', targetId: id });
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ actor_type: 'system', actor_id: 'wardline', outcome: 'success', target_type: 'message', patient_id: p.id, reason: 'QUIET_HOURS' });
      expect(held[0]?.details).toEqual({ until: '2026-01-15T13:00:00.000Z' });
    } finally {
      clock.set(IN_HOURS);
    }
  });

  it('each status change and each read: message.status-changed by the dispatcher (system) and the carrier', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const id = (await sendMessage(h, { patientId: p.id, headers: nurseA.headers })).json<{ id: string }>().id;
    await h.settle();
    const changes = await eventsOf(h, { action: 'message.status-changed', targetId: id });
    expect(changes.map((c) => [c.actor_type, c.actor_id, c.details['status'], c.details['source'], c.outcome])).toEqual([
      ['system', 'wardline', 'sending', 'wardline', 'success'],
      ['carrier', 'simulator', 'sent', 'carrier', 'success'],
      ['carrier', 'simulator', 'delivered', 'carrier', 'success'],
      ['carrier', 'simulator', 'read', 'carrier', 'success'],
    ]);
    expect(changes.every((c) => c.patient_id === p.id && c.target_type === 'message')).toBe(true);
  });

  it('a consent change with its evidence: the ledger row (wording, who captured it) is the target', async () => {
    const p = await givenPatient(h, { wardId: wardA, ...tz });
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/patients/${p.id}/consents`,
      headers: nurseA.headers,
      payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree to texts about my care' } },
    });
    expect(res.statusCode).toBe(201);
    const e = await theEvent(h, res, 'consent.granted');
    expect(e).toMatchObject({ actor_type: 'user', actor_id: nurseA.id, outcome: 'success', target_type: 'consent', patient_id: p.id });
    expect(e.details).toEqual({ channel: 'sms', purpose: 'care', source: 'intake_form' });
    const ledger = await h.container.database.db.selectFrom('consent_event').selectAll().where('id', '=', e.target_id ?? '').executeTakeFirstOrThrow();
    expect(ledger).toMatchObject({ patient_id: p.id, status: 'granted', wording_shown: 'I agree to texts about my care', captured_by: `principal:${nurseA.id}`, recorded_by_id: nurseA.id });
  });

  it('an opt-out by the patient (a STOP reply through the carrier webhook): consent.revoked by the patient', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
    expect(res.statusCode).toBe(202);
    const inboundId = res.json<{ id: string }>().id;
    const received = await eventsOf(h, { action: 'inbound.received', targetId: inboundId });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ actor_type: 'patient', actor_id: p.id, target_type: 'inbound', patient_id: p.id, reason: 'opt-out' });
    const revoked = await eventsOf(h, { action: 'consent.revoked', patientId: p.id });
    expect(revoked.length).toBeGreaterThan(0);
    for (const r of revoked) {
      expect(r).toMatchObject({ actor_type: 'patient', actor_id: p.id, outcome: 'success', target_type: 'consent' });
      expect(r.details).toMatchObject({ source: 'sms_keyword', inboundMessageId: inboundId });
    }
    // The webhook request's id and address reach these events once the carrier routes pass them (InboundCommand.origin).
  });

  it('a consent override: consent.overridden on the message, reason CONSENT_REQUIRED; the justification stays encrypted on the message', async () => {
    const p = await givenPatient(h, { wardId: wardB, ...tz });
    const res = await sendMessage(h, { patientId: p.id, headers: physicianB.headers, category: 'clinical', body: 'Please call the clinic about your visit.', override: { justification: 'Urgent follow-up agreed at discharge' } });
    expect(res.statusCode, res.body).toBe(202);
    const messageId = res.json<{ id: string }>().id;
    const e = await theEvent(h, res, 'consent.overridden');
    expect(e).toMatchObject({ actor_type: 'user', actor_id: physicianB.id, outcome: 'success', target_type: 'message', target_id: messageId, patient_id: p.id, reason: 'CONSENT_REQUIRED' });
    expect(e.details).toMatchObject({ consentBasis: 'override', severity: 'high' });
    expect(JSON.stringify(e)).not.toContain('discharge');
    const stored = await h.container.database.db.selectFrom('message').select('override_justification_enc').where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(stored.override_justification_enc).not.toBeNull();
    expect(String(stored.override_justification_enc)).not.toContain('discharge');
  });

  it('a template approval: template.approved by the approver, the template as target, the version in details', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/templates',
      headers: h.admin,
      payload: { name: 'cov_reminder', kind: 'appointment_reminder', variants: [{ channel: 'sms', language: 'en', body: 'Hi {{first_name}}, your appointment is on {{appointment_time}} at {{location}}. Reply STOP to opt out.' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const templateId = created.json<{ id: string }>().id;
    const res = await h.app.inject({ method: 'POST', url: `/v1/templates/${templateId}/versions/1/approve`, headers: officer.headers, payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    const e = await theEvent(h, res, 'template.approved');
    expect(e).toMatchObject({ actor_type: 'user', actor_id: officer.id, outcome: 'success', target_type: 'template', target_id: templateId });
    expect(e.details).toMatchObject({ version: 1 });
  });

  it('views of a patient record and of message content: patient.viewed and message.viewed', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const messageId = (await sendMessage(h, { patientId: p.id, headers: nurseA.headers })).json<{ id: string }>().id;
    const patient = await h.app.inject({ method: 'GET', url: `/v1/patients/${p.id}`, headers: nurseA.headers });
    expect(patient.statusCode).toBe(200);
    expect(await theEvent(h, patient, 'patient.viewed')).toMatchObject({ actor_id: nurseA.id, target_type: 'patient', target_id: p.id, patient_id: p.id, outcome: 'success' });
    const message = await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: nurseA.headers });
    expect(message.statusCode).toBe(200);
    expect(await theEvent(h, message, 'message.viewed')).toMatchObject({ actor_id: nurseA.id, target_type: 'message', target_id: messageId, patient_id: p.id, outcome: 'success' });
  });

  it('an export: audit.export-started, then audit.exported with its counts once the file is complete', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const res = await h.app.inject({ method: 'GET', url: `/v1/audit/export?format=jsonl&patientId=${p.id}`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    const started = await theEvent(h, res, 'audit.export-started');
    expect(started).toMatchObject({ outcome: 'success', target_type: 'patient', target_id: p.id, patient_id: p.id });
    const done = await theEvent(h, res, 'audit.exported');
    expect(done).toMatchObject({ actor_type: started.actor_type, actor_id: started.actor_id, outcome: 'success', patient_id: p.id });
    expect(done.details).toMatchObject({ format: 'jsonl', exportId: started.details['exportId'] });
  });

  it('a sign-in and a sign-out: auth.signed-in and auth.signed-out with the browser’s address', async () => {
    const username = 'cov.signin';
    const password = 'correct horse battery staple';
    const created = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username, displayName: username, permissionSets: ['nurse'], wardIds: [wardA], password } });
    expect(created.statusCode, created.body).toBe(201);
    const userId = created.json<{ id: string }>().id;
    const address = '10.9.8.7';
    const signedIn = await h.app.inject({ method: 'POST', url: '/v1/session', remoteAddress: address, payload: { username, password } });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const inEvent = await theEvent(h, signedIn, 'auth.signed-in', address);
    expect(inEvent).toMatchObject({ actor_type: 'user', actor_id: userId, outcome: 'success', target_type: 'session' });
    const cookie = signedIn.cookies.find((c) => c.name === 'wardline_session')?.value ?? '';
    const csrf = signedIn.json<{ csrfToken: string }>().csrfToken;
    const signedOut = await h.app.inject({ method: 'DELETE', url: '/v1/session', remoteAddress: address, headers: { cookie: `wardline_session=${cookie}`, 'x-csrf-token': csrf } });
    expect(signedOut.statusCode).toBeLessThan(300);
    expect(await theEvent(h, signedOut, 'auth.signed-out', address)).toMatchObject({ actor_id: userId, target_type: 'session', target_id: inEvent.target_id });
    const failed = await h.app.inject({ method: 'POST', url: '/v1/session', remoteAddress: address, payload: { username, password: 'not the password at all' } });
    expect(failed.statusCode).toBe(401);
    expect(await theEvent(h, failed, 'auth.failed', address)).toMatchObject({ actor_type: 'system', outcome: 'failure', target_id: userId, reason: 'wrong-password' });
  });

  it('permission and sharing changes: permission-set.created, principal.updated, patient.shared', async () => {
    const set = await h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: h.admin, payload: { name: 'cov_reader', label: 'Reader', permissions: ['message.view.administrative'] } });
    expect(set.statusCode).toBe(201);
    expect(await theEvent(h, set, 'permission-set.created')).toMatchObject({ actor_type: 'user', outcome: 'success', target_type: 'permission-set', target_id: 'cov_reader' });
    const user = await givenUser(h, { username: 'cov.changed', permissionSets: ['nurse'], wardIds: [wardA] });
    const patch = await h.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: h.admin, payload: { permissionSets: ['nurse', 'cov_reader'] } });
    expect(patch.statusCode).toBe(200);
    expect(await theEvent(h, patch, 'principal.updated')).toMatchObject({ outcome: 'success', target_type: 'principal', target_id: user.id });
    const p = await givenPatient(h, { wardId: wardA, ...tz });
    const share = await h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/shares`, headers: nurseA.headers, payload: { principalId: physicianB.id } });
    expect(share.statusCode, share.body).toBe(201);
    expect(await theEvent(h, share, 'patient.shared')).toMatchObject({ actor_id: nurseA.id, outcome: 'success', patient_id: p.id });
  });

  it('break-glass: breakglass.opened with the grant as target, then breakglass.used on each read', async () => {
    const p = await givenPatient(h, { wardId: wardA, ...tz });
    const open = await h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/break-glass`, headers: physicianB.headers, payload: { reason: 'Patient collapsed in ward B corridor' } });
    expect(open.statusCode, open.body).toBe(201);
    const opened = await theEvent(h, open, 'breakglass.opened');
    expect(opened).toMatchObject({ actor_type: 'user', actor_id: physicianB.id, outcome: 'success', target_type: 'grant', patient_id: p.id });
    expect(JSON.stringify(opened)).not.toContain('collapsed');
    const read = await h.app.inject({ method: 'GET', url: `/v1/patients/${p.id}`, headers: physicianB.headers });
    expect(read.statusCode).toBe(200);
    expect(await theEvent(h, read, 'breakglass.used')).toMatchObject({ actor_id: physicianB.id, target_type: 'patient', target_id: p.id, patient_id: p.id });
  });

  it('incidents: a staff report is incident.opened by the reporter; each step is incident.<verb> by the officer', async () => {
    const p = await givenPatient(h, { wardId: wardA, consent: ['sms'], ...tz });
    const sent = await sendMessage(h, { patientId: p.id, headers: frontDeskA.headers });
    expect(sent.statusCode, sent.body).toBe(202);
    const report = await h.app.inject({ method: 'POST', url: `/v1/messages/${sent.json<{ id: string }>().id}/report-misdirected`, headers: frontDeskA.headers, payload: { note: 'Neighbour Lovelace got it' } });
    expect(report.statusCode, report.body).toBe(201);
    const incidentId = report.json<{ incidentId: string }>().incidentId;
    const opened = await theEvent(h, report, 'incident.opened');
    expect(opened).toMatchObject({ actor_type: 'user', actor_id: frontDeskA.id, outcome: 'success', target_type: 'incident', target_id: incidentId, patient_id: p.id, reason: 'staff-report' });
    expect(JSON.stringify(opened)).not.toContain('Neighbour');
    const confirm = await h.app.inject({ method: 'POST', url: `/v1/incidents/${incidentId}/confirm`, headers: officer.headers, payload: { discoveredAt: IN_HOURS } });
    expect(confirm.statusCode, confirm.body).toBe(200);
    expect(await theEvent(h, confirm, 'incident.confirmed')).toMatchObject({ actor_id: officer.id, target_id: incidentId, patient_id: p.id });
    const mitigate = await h.app.inject({ method: 'POST', url: `/v1/incidents/${incidentId}/mitigations`, headers: officer.headers, payload: { kind: 'suspend-contact-point' } });
    expect(mitigate.statusCode, mitigate.body).toBe(200);
    expect(await theEvent(h, mitigate, 'incident.mitigated')).toMatchObject({ actor_id: officer.id, reason: 'contact-point-suspended' });
    expect(await theEvent(h, mitigate, 'contact-point.suspended')).toMatchObject({ actor_id: officer.id, target_type: 'contact-point', target_id: `${p.id}/phone`, patient_id: p.id });
    const view = await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentId}`, headers: officer.headers });
    expect(await theEvent(h, view, 'incident.viewed')).toMatchObject({ actor_id: officer.id, target_id: incidentId });
  });

  it('writes no PHI into the audit trail (names, numbers, bodies, birth dates)', async () => {
    const rows = await h.container.database.db.selectFrom('audit_event').selectAll().execute();
    const text = JSON.stringify(rows);
    for (const secret of ['Lovelace', '+1415555', '1980-12-10', 'appointment is tomorrow', 'correct horse']) expect(text).not.toContain(secret);
  });
});

describe.each(DATABASES)('carrier webhook rejections are recorded (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database, { WARDLINE_PUBLIC_URL: 'https://wardline.example.org', TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'cov-twilio-auth-token-0123456789', TWILIO_MESSAGING_SERVICE_SID: `MG${'0'.repeat(32)}` });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an unsigned or forged callback: webhook.rejected by the claimed carrier, denied, with the reason and address', async () => {
    const payload = 'MessageSid=SM123&MessageStatus=delivered';
    for (const [signature, reason] of [[undefined, 'missing-signature'], ['bm90IGEgc2lnbmF0dXJl', 'bad-signature']] as const) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/webhooks/twilio/status',
        remoteAddress: '203.0.113.9',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
        payload,
      });
      expect(res.statusCode).toBe(403);
      expect(await theEvent(h, res, 'webhook.rejected', '203.0.113.9')).toMatchObject({ actor_type: 'carrier', actor_id: 'twilio', outcome: 'denied', target_type: 'webhook', reason, patient_id: null });
    }
  });
});

describe.each(DATABASES)('a change whose audit event cannot be written does not happen (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Makes every audit insert fail (as the database owner, for this test only), runs `fn`, then restores. */
  async function withAuditBroken(fn: () => Promise<void>): Promise<void> {
    const db = h.container.database.db;
    await sql`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit unavailable (test)'; END; $$`.execute(db);
    await sql`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`.execute(db);
    try {
      await fn();
    } finally {
      await sql`DROP TRIGGER test_refuse_audit ON audit_event`.execute(db);
      await sql`DROP FUNCTION test_refuse_audit()`.execute(db);
    }
  }

  function expectCleanFailure(res: LightMyRequestResponse, secrets: readonly string[]): void {
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string; instance: string }>()).toMatchObject({ code: 'INTERNAL', instance: `urn:uuid:${requestIdOf(res)}` });
    for (const s of secrets) expect(res.body).not.toContain(s);
    expect(res.body).not.toContain('audit unavailable');
  }

  it('a send, a consent change and an opt-out reply leave nothing half-written and answer a clean 500', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const db = h.container.database.db;
    const count = async (table: 'message' | 'consent_event' | 'inbound_message' | 'outbox') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = { message: await count('message'), consent: await count('consent_event'), inbound: await count('inbound_message'), outbox: await count('outbox') };
    const body = 'CANARY_PHI_AUDIT_7 appointment at 9:00.';
    await withAuditBroken(async () => {
      expectCleanFailure(await sendMessage(h, { patientId: p.id, body }), [body, p.phone]);
      expectCleanFailure(await grantConsent(h, p.id, 'whatsapp'), [p.phone]);
      expectCleanFailure(await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } }), [p.phone]);
    });
    expect({ message: await count('message'), consent: await count('consent_event'), inbound: await count('inbound_message'), outbox: await count('outbox') }).toEqual(before);
    expect(h.logs()).not.toContain('CANARY_PHI_AUDIT_7');
    // Once the audit trail can be written again, the same changes go through and are recorded.
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    expect((await grantConsent(h, p.id, 'whatsapp')).statusCode).toBe(201);
    const stop = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
    expect(stop.statusCode).toBe(202);
    expect(await eventsOf(h, { action: 'consent.revoked', patientId: p.id })).not.toHaveLength(0);
  });
});

describe('the audit catalogue (docs/audit-events.md)', () => {
  const doc = readFileSync(new URL('../docs/audit-events.md', import.meta.url), 'utf8');
  it.each(AUDIT_ACTIONS)('documents %s', (action) => {
    expect(doc).toContain(`\`${action}\``);
  });
});
