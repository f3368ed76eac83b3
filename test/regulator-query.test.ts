import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenPrincipal, givenUser, givenWard, sendMessage, type Headers } from './support/builders.ts';
import { browser, lastCode } from './support/secure-links.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * Issue 6 item 3: the regulator's query. `GET /v1/messages?patientId=&from=&to=` answers every message to the patient
 * in the range with its content (decrypted only for holders of `audit.read`, and that access audited), sender by name
 * and id, approval (template version, approver, override justification), carrier, delivery and read status and time,
 * and the related record; access-filtered; paged with `next` through every message.
 */

interface Item {
  id: string;
  status: string;
  consentBasis: string;
  sender: { type: string; id: string; displayName: string | null };
  approval: { templateName: string; version: number; status: string; approvedBy: { type: string; id: string; displayName: string | null } | null; approvedAt: string | null } | null;
  provider: string | null;
  providerMessageId: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  relatedRecord: { type: string; id: string } | null;
  delivery: string;
  createdAt: string;
  content?: { body: string; secureContent: string | null };
  overrideJustification?: string | null;
}
interface Page {
  items: Item[];
  next: string | null;
  contentIncluded: boolean;
}

const JUSTIFICATION = 'Critical lab result; patient unreachable by phone for two hours.';
const CLINICAL = 'Your potassium came back high at 6.1, please stop taking lisinopril until we call you.';
const GOOD = 'Hi {{first_name}}, your appointment with {{clinic_name}} is on {{appointment_time}} at {{location}}. Reply STOP to opt out.';

describe.each(DATABASES)("the regulator's query (%s)", (database) => {
  let h: Harness;
  let ward: string;
  let otherWard: string;
  let patient: { id: string; phone: string };
  let officer: { id: string; headers: Headers };
  let nurse: { id: string; headers: Headers };
  let physician: { id: string; headers: Headers };
  let approver: { id: string; headers: Headers };
  let agent: { id: string; headers: Headers };
  const ids: Record<string, string> = {};
  let templateId = '';
  let start = '';

  const query = (headers: Headers, qs: string) => h.app.inject({ method: 'GET', url: `/v1/messages?${qs}`, headers });
  const byId = (page: Page, id: string | undefined): Item => {
    const item = page.items.find((i) => i.id === id);
    if (item === undefined) throw new Error(`message ${String(id)} not listed`);
    return item;
  };

  beforeAll(async () => {
    h = await createHarness(database);
    start = new Date(Date.now() - 60_000).toISOString();
    ward = await givenWard(h, 'Ward Regulator');
    otherWard = await givenWard(h, 'Ward Other');
    patient = await givenPatient(h, { wardId: ward, consent: ['sms'] });
    officer = await givenUser(h, { username: 'officer.compliance', permissionSets: ['compliance_officer'], wardIds: [] });
    nurse = await givenUser(h, { username: 'nurse.regulator', permissionSets: ['nurse'], wardIds: [ward] });
    physician = await givenUser(h, { username: 'dr.regulator', permissionSets: ['physician'], wardIds: [ward] });
    approver = await givenUser(h, { username: 'approver.regulator', permissionSets: ['compliance_officer'], wardIds: [] });
    agent = await givenPrincipal(h, { kind: 'agent', name: 'Reminder bot', permissionSets: ['ai_agent'], wardIds: [ward] });

    // A template authored by the administrator and approved by a compliance officer, sent by an AI agent.
    const created = await h.app.inject({ method: 'POST', url: '/v1/templates', headers: h.admin, payload: { name: 'reg_reminder', kind: 'appointment_reminder', variants: [{ channel: 'sms', language: 'en', body: GOOD }] } });
    expect(created.statusCode, created.body).toBe(201);
    templateId = created.json<{ id: string }>().id;
    expect((await h.app.inject({ method: 'POST', url: `/v1/templates/${templateId}/versions/1/approve`, headers: approver.headers, payload: {} })).statusCode).toBe(200);
    const templated = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: agent.headers,
      payload: { patientId: patient.id, channel: 'sms', template: { id: 'reg_reminder', params: { appointment_time: '2026-12-01T15:00:00Z', location: 'Building B' } }, relatedRecord: { type: 'appointment', id: 'APT-77' } },
    });
    expect(templated.statusCode, templated.body).toBe(202);
    ids['templated'] = templated.json<{ id: string }>().id;

    // Free text by a nurse, clinical content sent securely, and an override on a channel never consented.
    const free = await sendMessage(h, { patientId: patient.id, headers: nurse.headers, body: 'The clinic opens at 9 tomorrow.' });
    ids['free'] = free.json<{ id: string }>().id;
    const secure = await sendMessage(h, { patientId: patient.id, category: 'clinical', body: CLINICAL });
    expect(secure.statusCode).toBe(202);
    ids['secure'] = secure.json<{ id: string }>().id;
    const override = await sendMessage(h, { patientId: patient.id, headers: physician.headers, channel: 'text', category: 'clinical', body: 'Please call the clinic urgently.', override: { justification: JUSTIFICATION } });
    expect(override.statusCode, override.body).toBe(202);
    ids['override'] = override.json<{ id: string }>().id;
    await h.settle();

    // The patient opens the secure link: the content is read, so the notice is too.
    const token = /\/s\/([A-Za-z0-9_-]{22,})/.exec(h.container.simulator?.inbox(patient.phone).map((m) => m.body).find((b) => b.includes('/s/')) ?? '')?.[1] ?? '';
    const b = browser(h);
    await b.open(token);
    expect((await b.json(token, { dob: '1980-12-10' })).statusCode).toBe(200);
    await h.settle();
    expect((await b.json(token, { code: lastCode(h, patient.phone) })).statusCode).toBe(200);
  }, 180_000); // a busy machine: harness, sends, receipts (and a secure-link read) take a while
  afterAll(async () => {
    await h?.close();
  });

  it('answers every message with sender by name and id, approval, carrier, and delivery and read times', async () => {
    const res = await query(officer.headers, `patientId=${patient.id}&from=${encodeURIComponent(start)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<Page>();
    // The one-time code the secure link sent is a message to the patient too, sent by the system.
    const code = page.items.find((i) => !Object.values(ids).includes(i.id));
    expect(code?.sender).toEqual({ type: 'system', id: 'wardline', displayName: null });
    if (code !== undefined) ids['code'] = code.id;
    expect(page.items.map((i) => i.id).sort()).toEqual(Object.values(ids).sort());
    expect(page.next).toBeNull();

    const templated = byId(page, ids['templated']);
    expect(templated.sender).toEqual({ type: 'agent', id: agent.id, displayName: 'Reminder bot' });
    expect(templated.approval).toMatchObject({ templateName: 'reg_reminder', version: 1, status: 'approved', approvedBy: { type: 'user', id: approver.id, displayName: 'approver.regulator' } });
    expect(Date.parse(templated.approval?.approvedAt ?? '')).toBeGreaterThan(0);
    expect(templated.relatedRecord).toEqual({ type: 'appointment', id: 'APT-77' });
    expect(templated.provider).toBe('simulator');
    expect(templated.providerMessageId).toBeTruthy();
    expect(templated.status).toBe('read');
    for (const at of [templated.sentAt, templated.deliveredAt, templated.readAt]) expect(Date.parse(at ?? '')).toBeGreaterThan(0);
    expect(Date.parse(templated.deliveredAt ?? '')).toBeLessThanOrEqual(Date.parse(templated.readAt ?? ''));

    const free = byId(page, ids['free']);
    expect(free.sender).toEqual({ type: 'user', id: nurse.id, displayName: 'nurse.regulator' });
    expect(free.approval).toBeNull();
    expect(free.content?.body).toBe('The clinic opens at 9 tomorrow.');

    const secure = byId(page, ids['secure']);
    expect(secure.delivery).toBe('secure');
    expect(secure.content?.secureContent).toBe(CLINICAL);
    expect(secure.content?.body).toContain('/s/[link]');
    expect(Date.parse(secure.readAt ?? '')).toBeGreaterThan(0);

    const override = byId(page, ids['override']);
    expect(override.consentBasis).toBe('override');
    expect(override.overrideJustification).toBe(JUSTIFICATION);
    expect(override.sender).toEqual({ type: 'user', id: physician.id, displayName: 'dr.regulator' });
    expect(page.contentIncluded).toBe(true);
  });

  it('decrypts content only for audit.read holders, and audits that disclosure', async () => {
    const asNurse = (await query(nurse.headers, `patientId=${patient.id}`)).json<Page>();
    expect(asNurse.contentIncluded).toBe(false);
    expect(asNurse.items.length).toBe(5);
    for (const i of asNurse.items) {
      expect(i.content).toBeUndefined();
      expect(i.overrideJustification).toBeUndefined();
    }
    expect(JSON.stringify(asNurse)).not.toContain(JUSTIFICATION);
    expect(JSON.stringify(asNurse)).not.toContain('potassium');

    const content = () => h.container.database.db.selectFrom('audit_event').select(['actor_id', 'target_id', 'patient_id', 'details']).where('action', '=', 'message.content-viewed').execute();
    expect((await content()).filter((r) => r.actor_id === nurse.id)).toEqual([]);
    const before = (await content()).length;
    expect((await query(officer.headers, `patientId=${patient.id}&limit=2`)).statusCode).toBe(200);
    const rows = await content();
    expect(rows.length).toBe(before + 1);
    const last = rows.at(-1);
    expect(last).toMatchObject({ actor_id: officer.id, target_id: patient.id, patient_id: patient.id });
    expect(last?.details).toMatchObject({ count: 2, via: 'api' });
    expect(String(last?.details['messageIds']).split(',')).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain('potassium');
  });

  it('pages through every message in the range with next, newest first, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `patientId=${patient.id}&from=${encodeURIComponent(start)}&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await query(officer.headers, qs);
      expect(res.statusCode, res.body).toBe(200);
      const page: Page = res.json<Page>();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen.sort()).toEqual(Object.values(ids).sort());
    const bad = await query(officer.headers, `patientId=${patient.id}&cursor=bm9wZQ`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string; errors: { pointer: string }[] }>()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/querystring/cursor' }] });
  });

  it("answers another ward's patient as unknown (404), auditing the denial", async () => {
    const stranger = await givenPatient(h, { wardId: otherWard, consent: ['sms'] });
    await sendMessage(h, { patientId: stranger.id, body: 'Not for the other ward.' });
    const res = await query(nurse.headers, `patientId=${stranger.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json<{ code: string }>().code).toBe('NOT_FOUND');
    const denied = await h.container.database.db.selectFrom('audit_event').select(['patient_id', 'outcome']).where('action', '=', 'access.denied').where('actor_id', '=', nurse.id).execute();
    expect(denied).toContainEqual({ patient_id: stranger.id, outcome: 'denied' });
    const unknown = await query(officer.headers, 'patientId=00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses reversed, too wide and malformed ranges with stable codes', async () => {
    const reversed = await query(officer.headers, `patientId=${patient.id}&from=2026-06-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json<{ code: string }>().code).toBe('DATE_RANGE_INVALID');
    const empty = await query(officer.headers, `patientId=${patient.id}&from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(empty.json<{ code: string }>().code).toBe('DATE_RANGE_INVALID');
    const wide = await query(officer.headers, `patientId=${patient.id}&from=2001-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(wide.statusCode).toBe(400);
    expect(wide.json<{ code: string }>().code).toBe('DATE_RANGE_INVALID');
    const openEnded = await query(officer.headers, `patientId=${patient.id}&from=2001-01-01T00:00:00Z`);
    expect(openEnded.json<{ code: string }>().code).toBe('DATE_RANGE_INVALID');
    for (const qs of ['from=yesterday', 'patientId=not-a-uuid', 'limit=0', 'limit=501', 'sort=asc']) {
      const res = await query(officer.headers, qs);
      expect(res.statusCode, qs).toBe(400);
      expect(res.json<{ code: string }>().code, qs).toBe('VALIDATION_FAILED');
    }
  });

  it('filters by category like everything else: a front-desk user never sees clinical messages', async () => {
    const desk = await givenUser(h, { username: 'desk.regulator', permissionSets: ['front_desk'], wardIds: [ward] });
    const page = (await query(desk.headers, `patientId=${patient.id}`)).json<Page>();
    expect(page.items.map((i) => i.id).sort()).toEqual([ids['templated'], ids['free'], ids['code']].sort());
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM audit_event WHERE action = 'message.listed' AND actor_id = ${desk.id}`.execute(h.container.database.db);
    expect(Number(rows.rows[0]?.n)).toBe(1);
  });
});
