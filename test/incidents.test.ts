import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestStatuses } from '../src/app/ingest-status.ts';
import { randomUUID } from 'node:crypto';
import { sweepMissedDetections } from '../src/app/incident-detection.ts';
import { raiseIncidentReminders } from '../src/app/incident-reminders.ts';
import type { Clock } from '../src/app/ports.ts';
import type { E164, InboundMessageId, MessageId, PatientId } from '../src/core/ids.ts';
import { phi } from '../src/core/phi/phi.ts';
import { givenPatient, grantConsent, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';
import { browser, givenSecureMessage, givenSecurePatient } from './support/secure-links.ts';
import { pdfPages } from './support/pdf.ts';

/**
 * Issue 7 "prove it", end to end through the API on every database: each detection path opens exactly one incident
 * draft and alerts the security officer; the mitigations act (links revoked, number suspended, queue held) and the
 * detail shows whether the link was opened (factor 3); assessment, decision, notices and close; the notice letter
 * PDF and the annual log; deadline reminders once each.
 */

interface Summary { id: string; status: string; source: string; patientIds: string[]; messages: number; contentClasses: string[] }
interface Detail {
  id: string;
  status: string;
  source: string;
  discoveredAt: string | null;
  contactPoints: { patientId: string; kind: string; suspended: boolean; queuePaused: boolean }[];
  messages: { messageId: string; delivery: string; contentClasses: string[]; secureLinks: { linkId: string; opened: boolean; revoked: boolean }[] }[];
  viewedEvidence: { viewed: string; links: number; linksOpened: number };
  mitigations: { kind: string; count: number; by: string }[];
  deadlines: { kind: string; state: string | null; dueDate: string; daysLeft: number }[];
  allowedActions: string[];
  suggestedOutcome: { outcome: string } | null;
  decision: { outcome: string } | null;
  outstandingNotices: unknown[];
  noticeAddressMissing: boolean;
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

const START = '2026-03-02T15:00:00Z';

describe.each(DATABASES)('incident response end to end (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness;
  const clock = movableClock(START);
  beforeAll(async () => {
    h = await createHarness(database, {}, { clock });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function reply(from: string, body: string, channel = 'sms') {
    const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from, channel, body } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string; intent: string; needsReview: boolean }>();
  }

  async function incidentsOf(patientId: string): Promise<Summary[]> {
    const res = await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: Summary[] }>().items.filter((i) => i.patientIds.includes(patientId));
  }

  async function detail(id: string): Promise<Detail> {
    const res = await h.app.inject({ method: 'GET', url: `/v1/incidents/${id}`, headers: h.admin });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Detail>();
  }

  async function post(url: string, payload?: unknown) {
    return h.app.inject({ method: 'POST', url, headers: h.admin, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  }

  async function securityEvents(kind: string, incidentId: string) {
    return h.container.database.db.selectFrom('security_event').selectAll().where('kind', '=', kind).execute().then((rows) => rows.filter((r) => r.details['incidentId'] === incidentId));
  }

  const ASSESSMENT = {
    natureAndExtent: { contentClasses: ['appointment'], identifiers: ['first-name'], note: 'An appointment reminder with a first name.' },
    recipient: { kind: 'unknown-person', note: 'The new holder of a reassigned number.' },
    acquiredOrViewed: { viewed: 'no', evidence: 'The secure link was never opened (incident detail).' },
    mitigation: { note: 'Links revoked and the number suspended within an hour.' },
  };

  let incidentId = '';
  let patient: { id: string; phone: string; birthDate: string };
  let secure: { messageId: string; token: string };

  it('a "wrong number" reply opens exactly one draft, linked to the messages, and alerts the security officer', async () => {
    patient = await givenSecurePatient(h, { givenName: 'Canaryfirst', familyName: 'Canarylast' });
    secure = await givenSecureMessage(h, patient.id, 'Your biopsy result is ready: canary-content-7731');
    await h.settle();
    const out = await reply(patient.phone, 'Wrong number, sorry');
    expect(out).toMatchObject({ intent: 'review', needsReview: true });
    const list = await incidentsOf(patient.id);
    expect(list).toHaveLength(1);
    incidentId = list[0]!.id;
    expect(list[0]).toMatchObject({ status: 'draft', source: 'patient-reply' });
    expect(list[0]!.messages).toBeGreaterThanOrEqual(1);

    const events = await securityEvents('incident.opened', incidentId);
    expect(events).toHaveLength(1);
    expect(events[0]!.patient_id).toBe(patient.id);
    expect(JSON.stringify(events[0]!.details)).not.toContain('canary');

    // The same reply again (a replayed delivery, a second text): still one incident, no second alert.
    await reply(patient.phone, 'Wrong number, sorry');
    expect(await incidentsOf(patient.id)).toHaveLength(1);
    expect(await securityEvents('incident.opened', incidentId)).toHaveLength(1);
  });

  it('shows for factor 3 that the secure link was never opened', async () => {
    const d = await detail(incidentId);
    const m = d.messages.find((x) => x.messageId === secure.messageId);
    expect(m?.delivery).toBe('secure');
    expect(m?.secureLinks).toHaveLength(1);
    expect(m?.secureLinks[0]).toMatchObject({ opened: false, revoked: false });
    expect(d.viewedEvidence).toMatchObject({ viewed: 'no', linksOpened: 0 });
    expect(d.allowedActions).toEqual(expect.arrayContaining(['confirm', 'mitigate']));
    expect(d.noticeAddressMissing).toBe(true);
  });

  it('revokes the links on one click: the secure page refuses the link', async () => {
    const res = await post(`/v1/incidents/${incidentId}/mitigations`, { kind: 'revoke-links' });
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json<Detail>();
    expect(d.mitigations).toEqual([expect.objectContaining({ kind: 'links-revoked', count: 1 })]);
    expect(d.messages.find((x) => x.messageId === secure.messageId)?.secureLinks[0]).toMatchObject({ revoked: true, opened: false });
    const b = browser(h);
    expect((await b.json(secure.token, { dob: patient.birthDate })).json()).toMatchObject({ code: 'SECURE_LINK_REVOKED' });
  });

  it('suspends the number: new sends are refused, queued messages wait, re-verification resumes them', async () => {
    const queued = await sendMessage(h, { patientId: patient.id });
    expect(queued.statusCode, queued.body).toBe(202);
    const queuedId = queued.json<{ id: string }>().id;
    const res = await post(`/v1/incidents/${incidentId}/mitigations`, { kind: 'suspend-contact-point' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Detail>().contactPoints[0]).toMatchObject({ suspended: true, queuePaused: true });

    const refused = await sendMessage(h, { patientId: patient.id });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'CONTACT_POINT_SUSPENDED' });
    expect(refused.body).not.toContain(patient.phone);

    const inboxBefore = h.container.simulator!.inbox(patient.phone).length;
    await h.settle();
    expect(h.container.simulator!.inbox(patient.phone)).toHaveLength(inboxBefore);
    const held = await h.app.inject({ method: 'GET', url: `/v1/messages/${queuedId}`, headers: h.admin });
    expect(held.json<{ status: string }>().status).toBe('queued');

    const pause = await post(`/v1/incidents/${incidentId}/mitigations`, { kind: 'pause-queue' });
    expect(pause.statusCode).toBe(200);
    expect(pause.json<Detail>().mitigations.map((m) => m.kind)).toEqual(['links-revoked', 'contact-point-suspended', 'queue-paused']);

    const reverify = await post(`/v1/patients/${patient.id}/contact-points/phone/reverify`, { evidence: 'Patient confirmed the number by phone call.' });
    expect(reverify.statusCode, reverify.body).toBe(200);
    expect(reverify.json()).toMatchObject({ lifted: 2, resumed: 1 });
    await h.settle();
    const sent = await h.app.inject({ method: 'GET', url: `/v1/messages/${queuedId}`, headers: h.admin });
    expect(['sent', 'delivered', 'read']).toContain(sent.json<{ status: string }>().status);
    expect((await sendMessage(h, { patientId: patient.id })).statusCode).toBe(202);
    // Nothing left to lift.
    expect((await post(`/v1/patients/${patient.id}/contact-points/phone/reverify`, { evidence: 'Patient confirmed the number again.' })).statusCode).toBe(404);
  });

  it('runs the procedure: confirm, assess, decide, notices, close — with deadlines and days left', async () => {
    const confirm = await post(`/v1/incidents/${incidentId}/confirm`, { discoveredAt: START });
    expect(confirm.statusCode, confirm.body).toBe(200);
    const open = confirm.json<Detail>();
    expect(open.status).toBe('open');
    expect(open.deadlines.find((d) => d.kind === 'individual')).toMatchObject({ dueDate: '2026-05-01', daysLeft: 60 });
    expect(open.deadlines.find((d) => d.kind === 'annual-log')).toMatchObject({ dueDate: '2027-03-01' });

    const assessed = await post(`/v1/incidents/${incidentId}/assessment`, ASSESSMENT);
    expect(assessed.statusCode, assessed.body).toBe(200);
    expect(assessed.json<Detail>().suggestedOutcome).not.toBeNull();

    const decided = await post(`/v1/incidents/${incidentId}/decision`, { outcome: 'breach', rationale: 'The reminder reached a stranger; we notify to be safe.' });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json<Detail>()).toMatchObject({ status: 'decided', decision: { outcome: 'breach' } });
    expect(decided.json<Detail>().outstandingNotices.length).toBeGreaterThan(0);

    expect((await post(`/v1/incidents/${incidentId}/close`)).json()).toMatchObject({ code: 'INCIDENT_NOTICES_OUTSTANDING' });
    expect((await post(`/v1/incidents/${incidentId}/notices`, { kind: 'individual', method: 'first-class-mail', patientId: patient.id })).statusCode).toBe(200);
    expect((await post(`/v1/incidents/${incidentId}/notices`, { kind: 'annual-log', method: 'hhs-portal' })).statusCode).toBe(200);
    const closed = await post(`/v1/incidents/${incidentId}/close`);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json<Detail>()).toMatchObject({ status: 'closed', allowedActions: [] });

    const audits = await h.container.database.db.selectFrom('audit_event').select('action').where('target_id', '=', incidentId).execute();
    const actions = new Set(audits.map((a) => a.action));
    for (const a of ['incident.opened', 'incident.signal-linked', 'incident.mitigated', 'incident.confirmed', 'incident.assessed', 'incident.decided', 'incident.notice-recorded', 'incident.closed']) expect(actions).toContain(a);
  });

  it('writes the individual notice letter as a PDF with elements A to E', async () => {
    const res = await h.app.inject({ method: 'GET', url: `/v1/incidents/${incidentId}/notices/${patient.id}.pdf`, headers: h.admin });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['x-notice-address-missing']).toBe('true');
    const text = (await pdfPages(res.rawPayload)).join(' ');
    expect(text).toContain('Canaryfirst Canarylast');
    const headings = ['What happened', 'What information was involved', 'What you can do to protect yourself', 'What we are doing about it', 'How to reach us'];
    const at = headings.map((x) => text.indexOf(x));
    for (const i of at) expect(i).toBeGreaterThanOrEqual(0);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(text).toContain('1-800-555-0100');
    expect(text).not.toContain('canary-content-7731');
  });

  it('lists the incident in the annual log CSV of its discovery year', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/incidents/annual-log?year=2026', headers: h.admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body).toContain(incidentId);
    const other = await h.app.inject({ method: 'GET', url: '/v1/incidents/annual-log?year=2025', headers: h.admin });
    expect(other.body).not.toContain(incidentId);
  });

  it('opens a draft for a Spanish "número equivocado"', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    await h.settle();
    await reply(p.phone, 'Número equivocado');
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'patient-reply', messages: 1 });
  });

  it('opens a draft when a carrier reports the number dead after an earlier delivery', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    await h.settle();
    const second = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id as MessageId;
    const failed = { provider: 'twilio', providerMessageId: 'SMcarrier0001', messageId: second, status: 'failed' as const, errorCode: '30005', occurredAt: clock.now() };
    expect(await ingestStatuses(h.container.deps, [failed])).toEqual(['applied']);
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'carrier-report', messages: 1 });
    // The same receipt again changes nothing.
    await ingestStatuses(h.container.deps, [failed]);
    expect(await incidentsOf(p.id)).toHaveLength(1);
  });

  it('does not open one when the number never took a message, or is only unreachable for now', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const only = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id as MessageId;
    await ingestStatuses(h.container.deps, [{ provider: 'twilio', providerMessageId: 'SMcarrier0002', messageId: only, status: 'failed', errorCode: '30005', occurredAt: clock.now() }]);
    expect(await incidentsOf(p.id)).toHaveLength(0);
    const q = await givenPatient(h, {});
    await grantConsent(h, q.id);
    expect((await sendMessage(h, { patientId: q.id })).statusCode).toBe(202);
    await h.settle();
    const off = (await sendMessage(h, { patientId: q.id })).json<{ id: string }>().id as MessageId;
    expect(await ingestStatuses(h.container.deps, [{ provider: 'twilio', providerMessageId: 'SMcarrier0003', messageId: off, status: 'failed', errorCode: '30003', occurredAt: clock.now() }])).toEqual(['applied']);
    expect(await incidentsOf(q.id)).toHaveLength(0);
  });

  it('opens one when staff report a message as misdirected, once per message', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const first = await post(`/v1/messages/${id}/report-misdirected`, { note: 'Front desk: the patient says a neighbour got this.' });
    expect(first.statusCode, first.body).toBe(201);
    const again = await post('/v1/incidents', { messageId: id });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ incidentId: first.json<{ incidentId: string }>().incidentId, opened: false });
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'staff-report', status: 'draft' });
    const events = await securityEvents('incident.opened', list[0]!.id);
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.details)).not.toContain('neighbour');
  });

  it('moves the notice deadlines to the end of a law-enforcement delay', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const incident = (await post(`/v1/messages/${id}/report-misdirected`)).json<{ incidentId: string }>().incidentId;
    expect((await post(`/v1/incidents/${incident}/confirm`, { discoveredAt: START })).statusCode).toBe(200);
    const delayed = await post(`/v1/incidents/${incident}/law-enforcement-delay`, { agency: 'State police cyber unit', until: '2026-07-15T16:00:00Z', oral: false });
    expect(delayed.statusCode, delayed.body).toBe(200);
    expect(delayed.json<Detail>().deadlines.find((d) => d.kind === 'individual')?.dueDate).toBe('2026-07-15');
    const d = await detail(incident);
    expect(d.allowedActions).toEqual(expect.arrayContaining(['assess', 'decide']));
  });

  it('takes the residents per state from the privacy office: a media notice for a state past 500, none at 500', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const incident = (await post(`/v1/messages/${id}/report-misdirected`)).json<{ incidentId: string }>().incidentId;
    expect((await post(`/v1/incidents/${incident}/confirm`, { discoveredAt: START })).statusCode).toBe(200);
    const put = (payload: unknown) => h.app.inject({ method: 'PUT', url: `/v1/incidents/${incident}/residents`, headers: h.admin, payload: payload as Record<string, unknown> });
    const set = await put({ residentsByState: { CA: 501, NV: 500 } });
    expect(set.statusCode, set.body).toBe(200);
    const media = set.json<Detail>().deadlines.filter((d) => d.kind === 'media');
    expect(media.map((d) => d.state)).toEqual(['CA']);
    for (const bad of [{ residentsByState: { california: 3 } }, { residentsByState: { CA: -1 } }, { residentsByState: { CA: 1.5 } }, {}]) {
      const res = await put(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
    }
    // Closed again, so the reminder test below sees only its own incident.
    expect((await post(`/v1/incidents/${incident}/decision`, { outcome: 'not-an-incident', rationale: 'A test of the residents per state, not a disclosure.' })).statusCode).toBe(200);
    expect((await post(`/v1/incidents/${incident}/close`)).statusCode).toBe(200);
  });

  it('suspends the number on WhatsApp too when it is the same number', async () => {
    const p = await givenPatient(h, { whatsapp: true, consent: ['sms', 'whatsapp'] });
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const incident = (await post(`/v1/messages/${id}/report-misdirected`)).json<{ incidentId: string }>().incidentId;
    expect((await post(`/v1/incidents/${incident}/mitigations`, { kind: 'suspend-contact-point' })).statusCode).toBe(200);
    expect((await sendMessage(h, { patientId: p.id, channel: 'whatsapp' })).json()).toMatchObject({ code: 'CONTACT_POINT_SUSPENDED' });
    const lifted = await post(`/v1/patients/${p.id}/contact-points/phone/reverify`, { evidence: 'Patient confirmed the number in clinic.' });
    expect(lifted.json()).toMatchObject({ lifted: 2 });
    expect((await sendMessage(h, { patientId: p.id, channel: 'whatsapp' })).json()).not.toMatchObject({ code: 'CONTACT_POINT_SUSPENDED' });
  });

  it('still sends the STOP confirmation to a suspended number (no PHI, owed to whoever holds it)', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    await h.settle();
    const incident = (await post(`/v1/messages/${id}/report-misdirected`)).json<{ incidentId: string }>().incidentId;
    expect((await post(`/v1/incidents/${incident}/mitigations`, { kind: 'suspend-contact-point' })).statusCode).toBe(200);
    const before = h.container.simulator!.inbox(p.phone).length;
    await reply(p.phone, 'STOP');
    await h.settle();
    const inbox = h.container.simulator!.inbox(p.phone);
    expect(inbox).toHaveLength(before + 1);
    expect(inbox.at(-1)!.body).toContain('unsubscribed');
  });

  it('retries a detection that did not happen (the process stopped after the reply was stored)', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    await h.settle();
    const inboundId = randomUUID() as InboundMessageId;
    await h.container.deps.store.inbound.insert({
      id: inboundId,
      patientId: p.id as PatientId,
      wardId: null,
      channel: 'sms',
      intent: 'review',
      reviewReason: 'possible-wrong-number',
      needsReview: true,
      receivedAt: clock.now(),
      fromIndex: phi(p.phone as E164),
      body: phi('who is this'),
      providerMessageId: null,
    });
    expect(await incidentsOf(p.id)).toHaveLength(0);
    expect(await sweepMissedDetections(h.container.deps)).toBe(1);
    expect(await incidentsOf(p.id)).toHaveLength(1);
    expect(await sweepMissedDetections(h.container.deps)).toBe(0);
  });

  it('raises each deadline reminder once, as a security event', async () => {
    const p = await givenPatient(h, {});
    await grantConsent(h, p.id);
    const id = (await sendMessage(h, { patientId: p.id })).json<{ id: string }>().id;
    const opened = await post(`/v1/messages/${id}/report-misdirected`);
    expect(opened.statusCode, opened.body).toBe(201);
    const incident = opened.json<{ incidentId: string }>().incidentId;
    expect((await post(`/v1/incidents/${incident}/confirm`, { discoveredAt: clock.now().toISOString() })).statusCode).toBe(200);
    expect(await raiseIncidentReminders(h.container.deps)).toBe(0);
    clock.set('2026-04-01T15:00:00Z'); // 30 days before the individual notice is due (May 1)
    expect(await raiseIncidentReminders(h.container.deps)).toBeGreaterThanOrEqual(1);
    expect(await raiseIncidentReminders(h.container.deps)).toBe(0);
    const reminders = await securityEvents('incident.deadline-reminder', incident);
    expect(reminders.map((r) => r.details['notice'])).toContain('individual');
    // Decided as a low probability of compromise: no notice is due, so no more reminders.
    expect((await post(`/v1/incidents/${incident}/assessment`, ASSESSMENT)).statusCode).toBe(200);
    expect((await post(`/v1/incidents/${incident}/decision`, { outcome: 'low-probability', rationale: 'Link never opened, number suspended within the hour.' })).statusCode).toBe(200);
    clock.set('2026-04-17T15:00:00Z'); // 14 days before
    expect(await raiseIncidentReminders(h.container.deps)).toBe(0);
    clock.set(START);
  });
});
