import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, sendMessage } from './support/builders.ts';
import { browser, lastCode } from './support/secure-links.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

interface Problem {
  code: string;
  detail: string;
  findings?: { class: string; type: string; start: number; end: number }[];
}
interface MessageJson {
  body: string;
  secureContent?: string;
  delivery: string;
  status: string;
  template: { versionId: string; metaName: string | null; language: string } | null;
}

const WARNING = 'Text messages are not encrypted. Others who see your phone may read health information we send this way. You can withdraw this at any time.';
const CLINICAL = 'Your potassium came back high at 6.1, please stop taking lisinopril until we call you.';

async function audits(h: Harness, action: string): Promise<{ details: Record<string, unknown>; reason: string | null }[]> {
  const rows = await sql<{ details: Record<string, unknown>; reason: string | null }>`SELECT details, reason FROM audit_event WHERE action = ${action} ORDER BY id`.execute(h.container.database.db);
  return rows.rows;
}

describe.each(DATABASES)('minimum necessary on every send (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  const getMessage = async (id: string): Promise<MessageJson> => (await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin })).json<MessageJson>();

  it('sends clinical free text securely by default, end to end: notice, link, birth date, code, content', async () => {
    const { id: patientId, phone } = await givenPatient(h, { consent: ['sms'] });
    const res = await sendMessage(h, { patientId, category: 'clinical', body: CLINICAL });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    expect(res.body).not.toContain('potassium');
    await h.settle();

    // The phone got only the notice; staff see that a link went out, never the link, and can read the content.
    const delivered = h.container.simulator?.inbox(phone).map((m) => m.body) ?? [];
    expect(delivered).toHaveLength(1);
    const url = /^You have a new message from Wardline Demo Hospital\. View securely: (http:\/\/\S+\/s\/([A-Za-z0-9_-]{22,}))$/.exec(delivered[0] ?? '');
    expect(url).not.toBeNull();
    const token = url?.[2] ?? '';
    const message = await getMessage(id);
    expect(message.delivery).toBe('secure');
    expect(message.body).toBe('You have a new message from Wardline Demo Hospital. View securely: http://127.0.0.1:3000/s/[link]');
    expect(message.secureContent).toBe(CLINICAL);
    expect(message.template?.versionId).toBeTruthy();
    const queued = (await audits(h, 'message.queued')).at(-1);
    expect(queued?.details).toMatchObject({ delivery: 'secure', phiBasis: 'secure-link' });
    expect(String(queued?.details['findingTypes'])).toMatch(/LAB_RESULT|MEDICATION/);

    // The patient opens the link, confirms their birth date, receives a code on the same number, and reads it.
    const b = browser(h);
    expect((await b.open(token)).body).not.toMatch(/potassium/);
    expect((await b.json(token, { dob: '1980-12-10' })).statusCode).toBe(200);
    await h.settle();
    const shown = await b.json(token, { code: lastCode(h, phone) });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('potassium');
    expect((await audits(h, 'secure-message.viewed')).length).toBe(1);
    expect(h.logs()).not.toMatch(/potassium|lisinopril/);
  });

  it('writes secure and direct sends arriving together in one group commit, each with exactly its own rows', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const sends = await Promise.all(
      Array.from({ length: 12 }, (_, i) => sendMessage(h, { patientId, category: 'clinical', body: i % 2 === 0 ? CLINICAL : 'Your test results are ready in the patient portal.' })),
    );
    expect(sends.map((r) => r.statusCode)).toEqual(Array.from({ length: 12 }, () => 202));
    const db = h.container.database.db;
    const rows = await sql<{ delivery: string; secure: number; links: number }>`
      SELECT m.delivery, count(s.message_id)::int AS secure, count(l.id)::int AS links
      FROM message m LEFT JOIN secure_message s ON s.message_id = m.id LEFT JOIN secure_link l ON l.message_id = m.id
      WHERE m.patient_id = ${patientId} GROUP BY m.delivery ORDER BY m.delivery`.execute(db);
    expect(rows.rows).toEqual([
      { delivery: 'direct', secure: 0, links: 0 },
      { delivery: 'secure', secure: 6, links: 6 },
    ]);
  });

  it('answers the dry run with the decision and the findings beyond the kind, sending nothing', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages/check', headers: h.admin, payload: { patientId, channel: 'sms', category: 'clinical', body: CLINICAL } });
    expect(res.statusCode).toBe(200);
    const check = res.json<{ allowed: boolean; delivery: string; excess: { class: string; type: string; start: number; end: number }[] }>();
    expect(check.allowed).toBe(true);
    expect(check.delivery).toBe('secure');
    expect(check.excess.map((f) => CLINICAL.slice(f.start, f.end))).toEqual(expect.arrayContaining(['lisinopril']));
    expect(check.excess.every((f) => f.class === 'clinical')).toBe(true);
    expect(res.body).not.toMatch(/potassium|lisinopril/);
  });

  it('sends routing-only free text and minimum-necessary templates as they are', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const plain = await sendMessage(h, { patientId, category: 'clinical', body: 'Hi Ada, your test results are ready in the patient portal.' });
    expect((await getMessage(plain.json<{ id: string }>().id)).delivery).toBe('direct');
    const templated = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'results_ready', params: { portal_link: 'https://portal.example.org/login' } } } });
    expect(templated.statusCode).toBe(202);
    expect((await getMessage(templated.json<{ id: string }>().id)).delivery).toBe('direct');
  });

  it('sends a template securely when a free-text parameter smuggles clinical content', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.admin,
      payload: { patientId, channel: 'sms', template: { id: 'appointment_reminder', params: { appointment_time: '2026-12-01T15:00:00Z', location: 'the chemotherapy infusion suite' } } },
    });
    expect(res.statusCode).toBe(202);
    expect((await getMessage(res.json<{ id: string }>().id)).delivery).toBe('secure');
  });

  it('refuses clinical text with MMS media: the media would travel outside the link', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['text'] });
    const res = await sendMessage(h, { patientId, channel: 'text', category: 'clinical', body: CLINICAL, mediaUrls: ['https://media.example.org/scan.png'] });
    expect(res.statusCode).toBe(422);
    expect(res.json<Problem>()).toMatchObject({ code: 'PHI_NOT_ALLOWED', detail: expect.stringMatching(/media cannot/) as unknown });
    const plain = await sendMessage(h, { patientId, channel: 'text', category: 'administrative', body: 'Here is the map to our new building.', mediaUrls: ['https://media.example.org/map.png'] });
    expect(plain.statusCode).toBe(202);
  });

  it('lets a patient who accepted the documented risk receive PHI on that channel, until they withdraw', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms', 'whatsapp'], whatsapp: true });
    const accept = await h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin, payload: { channel: 'sms', status: 'accepted', warningText: WARNING, source: 'in_person' } });
    expect(accept.statusCode).toBe(201);
    expect(accept.json<{ accepted: boolean }>().accepted).toBe(true);
    const direct = await sendMessage(h, { patientId, category: 'clinical', body: CLINICAL });
    expect((await getMessage(direct.json<{ id: string }>().id)).delivery).toBe('direct');
    expect((await audits(h, 'message.queued')).at(-1)?.details['phiBasis']).toBe('risk-accepted');

    // The acceptance was for SMS only.
    const check = await h.app.inject({ method: 'POST', url: '/v1/messages/check', headers: h.admin, payload: { patientId, channel: 'text', category: 'clinical', body: CLINICAL } });
    expect(check.json<{ delivery: string }>().delivery).toBe('secure');

    const history = (await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin })).json<{ history: { warningText: string; source: string; capturedBy: string }[] }>();
    expect(history.history[0]).toMatchObject({ warningText: WARNING, source: 'in_person' });
    expect(history.history[0]?.capturedBy).toMatch(/^principal:/);

    await h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin, payload: { channel: 'sms', status: 'withdrawn', warningText: WARNING, source: 'phone' } });
    const after = await sendMessage(h, { patientId, category: 'clinical', body: CLINICAL });
    expect((await getMessage(after.json<{ id: string }>().id)).delivery).toBe('secure');
  });

  it('voids an acceptance when the contact point it was given for changes', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    await h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin, payload: { channel: 'sms', status: 'accepted', warningText: WARNING, source: 'portal' } });
    await sql`UPDATE patient SET phone_index = 'another-number' WHERE id = ${patientId}`.execute(h.container.database.db);
    const standing = (await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin })).json<{ current: { channel: string; accepted: boolean; forCurrentContactPoint: boolean }[] }>();
    expect(standing.current.find((c) => c.channel === 'sms')).toMatchObject({ accepted: false, forCurrentContactPoint: false });
  });

  it('refuses a risk acceptance without the warning text, from an unknown source, or for a missing WhatsApp number', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const post = (payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin, payload });
    expect((await post({ channel: 'sms', status: 'accepted', warningText: 'ok', source: 'staff' })).json<Problem>().code).toBe('VALIDATION_FAILED');
    expect((await post({ channel: 'sms', status: 'accepted', warningText: WARNING, source: 'telepathy' })).json<Problem>().code).toBe('VALIDATION_FAILED');
    expect((await post({ channel: 'whatsapp', status: 'accepted', warningText: WARNING, source: 'staff' })).json<Problem>().code).toBe('NO_CONTACT_POINT');
    expect((await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/phi-preferences`, headers: h.admin })).json<{ history: unknown[] }>().history).toEqual([]);
  });

  it('sends the secure notice to WhatsApp outside the 24-hour window as the approved Meta template', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    const free = await sendMessage(h, { patientId, channel: 'whatsapp', category: 'administrative', body: 'Hello, the clinic is closed on Friday.' });
    expect(free.json<Problem>().code).toBe('WHATSAPP_WINDOW_CLOSED');
    const res = await sendMessage(h, { patientId, channel: 'whatsapp', category: 'clinical', body: CLINICAL });
    expect(res.statusCode).toBe(202);
    const message = await getMessage(res.json<{ id: string }>().id);
    expect(message.delivery).toBe('secure');
    expect(message.template).toMatchObject({ metaName: 'wardline_secure_message_notice', language: 'en_US' });
  });
});

describe.each(DATABASES)('minimum necessary with a blocking policy (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database, { WARDLINE_PHI_POLICY: 'clinical:block,identifier:block' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses clinical free text with PHI_NOT_ALLOWED and the findings as types and offsets; nothing is written but the audit', async () => {
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const res = await sendMessage(h, { patientId, category: 'clinical', body: CLINICAL });
    expect(res.statusCode).toBe(422);
    const problem = res.json<Problem>();
    expect(problem.code).toBe('PHI_NOT_ALLOWED');
    expect(problem.findings?.map((f) => CLINICAL.slice(f.start, f.end))).toEqual(expect.arrayContaining(['lisinopril']));
    expect(res.body).not.toMatch(/potassium|lisinopril/);
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM message WHERE patient_id = ${patientId}`.execute(h.container.database.db);
    expect(count.rows[0]?.n).toBe(0);
    const blocked = (await audits(h, 'message.blocked')).at(-1);
    expect(blocked?.reason).toBe('PHI_NOT_ALLOWED');
    expect(JSON.stringify(blocked)).not.toMatch(/potassium|lisinopril/);
    expect(h.logs()).not.toMatch(/potassium|lisinopril/);
  });

  it('refuses identifiers a custom kind does not allow, found in a free-text parameter', async () => {
    await h.app.inject({ method: 'POST', url: '/v1/template-kinds', headers: h.admin, payload: { name: 'nameless_reminder', category: 'administrative', allowedClasses: ['none'], description: 'Reminders that name no one' } });
    const created = await h.app.inject({ method: 'POST', url: '/v1/templates', headers: h.admin, payload: { name: 'nameless', kind: 'nameless_reminder', variants: [{ channel: 'sms', language: 'en', body: 'Reminder: appointment on {{appointment_time}} at {{location}}. Reply STOP to opt out.' }] } });
    expect(created.statusCode).toBe(201);
    // The administrator authored it, so someone else approves it.
    const other = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username: 'second_admin', displayName: 'Second', permissionSets: ['compliance_officer'], wardIds: [] } });
    const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: other.json<{ id: string }>().id } });
    const id = created.json<{ id: string }>().id;
    const ok = await h.app.inject({ method: 'POST', url: `/v1/templates/${id}/versions/1/approve`, headers: { authorization: `Bearer ${token.json<{ token: string }>().token}` }, payload: {} });
    expect(ok.statusCode).toBe(200);
    const { id: patientId } = await givenPatient(h, { consent: ['sms'] });
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId, channel: 'sms', template: { id: 'nameless', params: { appointment_time: '2026-12-01T15:00:00Z', location: "Ask for Mary Johnson's desk" } } } });
    expect(res.statusCode).toBe(422);
    expect(res.json<Problem>().findings?.map((f) => f.type)).toContain('NAME');
  });
});
