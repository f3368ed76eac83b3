import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser, givenWard, sendMessage, type Headers } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * The audit events query (issue 6 item 1, docs/audit-events.md): `GET /v1/audit/events` needs `audit.read`, is
 * filtered in SQL by the caller's record-level sharing, pages newest first by a keyset cursor, returns every field of
 * an event and its chain position once sealed, and is itself audited (`audit.viewed`).
 */

interface Item {
  id: string;
  eventId: string;
  occurredAt: string;
  actor: { type: string; id: string | null };
  onBehalfOf: string | null;
  action: string;
  outcome: string;
  target: { type: string; id: string | null };
  patientId: string | null;
  reason: string | null;
  requestId: string | null;
  sourceAddress: string | null;
  details: Record<string, unknown>;
  chainPosition: number | null;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

describe.each(DATABASES)('GET /v1/audit/events (%s)', (database) => {
  let h: Harness;
  let wardA: string;
  let wardB: string;
  let patientA: string;
  let patientB: string;
  let nurseA: { id: string; headers: Headers };
  let auditorA: { id: string; headers: Headers };
  let officer: { id: string; headers: Headers };

  beforeAll(async () => {
    h = await createHarness(database);
    wardA = await givenWard(h, 'Audit Ward A');
    wardB = await givenWard(h, 'Audit Ward B');
    patientA = (await givenPatient(h, { wardId: wardA, consent: ['sms'] })).id;
    patientB = (await givenPatient(h, { wardId: wardB, consent: ['sms'] })).id;
    nurseA = await givenUser(h, { username: 'audit.nurse.a', permissionSets: ['nurse'], wardIds: [wardA] });
    // An auditor for one ward only: a custom set with audit.read and no organisation-wide grant.
    const set = await h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: h.admin, payload: { name: 'ward_auditor', label: 'Ward auditor', permissions: ['audit.read'] } });
    expect(set.statusCode, set.body).toBe(201);
    auditorA = await givenUser(h, { username: 'audit.ward.a', permissionSets: ['ward_auditor'], wardIds: [wardA] });
    officer = await givenUser(h, { username: 'audit.officer', permissionSets: ['compliance_officer'], wardIds: [] });
    expect((await sendMessage(h, { patientId: patientA, headers: nurseA.headers })).statusCode).toBe(202);
    expect((await sendMessage(h, { patientId: patientB })).statusCode).toBe(202);
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (headers: Headers, query: string) => h.app.inject({ method: 'GET', url: `/v1/audit/events${query}`, headers });

  async function page(headers: Headers, query = ''): Promise<Page> {
    const res = await get(headers, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Page>();
  }

  it('gives an organisation-wide auditor every event, newest first, with all its fields', async () => {
    const res = await get(officer.headers, `?patientId=${patientA}&action=message.queued`);
    expect(res.statusCode, res.body).toBe(200);
    const { items, nextCursor } = res.json<Page>();
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(1);
    const queued = items[0];
    const row = await h.container.database.db.selectFrom('audit_event').selectAll().where('action', '=', 'message.queued').where('patient_id', '=', patientA).executeTakeFirstOrThrow();
    expect(queued).toEqual({
      id: String(row.id),
      eventId: row.event_id,
      occurredAt: row.occurred_at.toISOString(),
      actor: { type: 'user', id: nurseA.id },
      onBehalfOf: null,
      action: 'message.queued',
      outcome: 'success',
      target: { type: 'message', id: row.target_id },
      patientId: patientA,
      reason: null,
      requestId: row.request_id,
      sourceAddress: '127.0.0.1',
      details: row.details,
      chainPosition: null,
    });
    // Patient-less events (sign-ins, directory changes) are there for an organisation-wide caller.
    const all = await page(officer.headers, '?limit=500');
    expect(all.items.some((e) => e.patientId === null && e.action === 'principal.created')).toBe(true);
    const ids = all.items.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('audits the read itself as audit.viewed, with the filters and the response request id', async () => {
    const res = await get(officer.headers, `?patientId=${patientA}&actorId=${nurseA.id}`);
    expect(res.statusCode).toBe(200);
    const requestId = res.headers['x-request-id'];
    expect(typeof requestId).toBe('string');
    const viewed = await h.container.database.db.selectFrom('audit_event').selectAll().where('action', '=', 'audit.viewed').where('request_id', '=', String(requestId)).executeTakeFirstOrThrow();
    expect(viewed).toMatchObject({ actor_type: 'user', actor_id: officer.id, outcome: 'success', target_type: 'patient', target_id: patientA, patient_id: patientA, source_address: '127.0.0.1' });
    expect(viewed.details).toMatchObject({ count: res.json<Page>().items.length, actorId: nurseA.id, action: null, via: 'api', page: 'first' });
  });

  it('filters by actor, action and time, and pages by cursor without gaps or repeats', async () => {
    const mine = await page(officer.headers, `?actorId=${nurseA.id}`);
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((e) => e.actor.id === nurseA.id)).toBe(true);
    const future = await page(officer.headers, `?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(future.items).toEqual([]);
    const past = await page(officer.headers, `?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    expect(past.items).toEqual([]);
    const everything = (await page(officer.headers, '?action=patient.created&limit=500')).items.map((e) => e.id);
    expect(everything.length).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p: Page = await page(officer.headers, `?action=patient.created&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...p.items.map((e) => e.id));
      cursor = p.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(everything);
  });

  it('gives a ward auditor only events of its ward’s patients, and no patient-less events', async () => {
    const { items } = await page(auditorA.headers, '?limit=500');
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((e) => e.patientId))).toEqual(new Set([patientA]));
    const filtered = await page(auditorA.headers, `?actorId=${nurseA.id}`);
    expect(filtered.items.every((e) => e.patientId === patientA)).toBe(true);
  });

  it('answers another ward’s patient as unknown (404), audited and raised as a security event', async () => {
    const res = await get(auditorA.headers, `?patientId=${patientB}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('NOT_FOUND');
    const unknown = await get(auditorA.headers, '?patientId=00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ detail: string }>().detail).toBe(res.json<{ detail: string }>().detail);
    const denied = await h.container.database.db.selectFrom('audit_event').selectAll().where('action', '=', 'access.denied').where('actor_id', '=', auditorA.id).execute();
    expect(denied.map((d) => [d.patient_id, d.outcome, d.request_id])).toEqual([[patientB, 'denied', res.headers['x-request-id']]]);
    const security = await h.container.database.db.selectFrom('security_event').select(['patient_id', 'principal_id']).where('principal_id', '=', auditorA.id).execute();
    expect(security).toEqual([{ patient_id: patientB, principal_id: auditorA.id }]);
  });

  it('refuses a caller without audit.read (403, audited)', async () => {
    const res = await get(nurseA.headers, '');
    expect(res.statusCode).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('ACCESS_DENIED');
    const denied = await h.container.database.db.selectFrom('audit_event').select(['reason', 'request_id']).where('action', '=', 'access.denied').where('actor_id', '=', nurseA.id).execute();
    expect(denied).toContainEqual({ reason: 'missing audit.read', request_id: res.headers['x-request-id'] });
  });

  it('shows the chain position once the sealer has reached an event', async () => {
    await h.container.deps.auditChain.sealAll();
    const { items } = await page(officer.headers, `?patientId=${patientB}&action=message.queued`);
    expect(items).toHaveLength(1);
    const seal = await h.container.database.db.selectFrom('audit_seal').select('position').where('event_pk', '=', items[0]?.id ?? '').executeTakeFirstOrThrow();
    expect(items[0]?.chainPosition).toBe(Number(seal.position));
    expect(items[0]?.chainPosition).toBeGreaterThan(0);
  });

  it('refuses bad filters with 400 at the field, echoing nothing', async () => {
    for (const [query, pointer] of [
      ['?cursor=abc', '/querystring/cursor'],
      ['?action=message.deleted', '/querystring/action'],
      ['?patientId=415-555-0100', '/querystring/patientId'],
      ['?limit=0', '/querystring/limit'],
      ['?from=yesterday', '/querystring/from'],
      ['?phone=4155550100', '/querystring'],
    ] as const) {
      const res = await get(officer.headers, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json<{ errors: { pointer: string }[] }>().errors.map((e) => e.pointer))).toContain(pointer);
      expect(res.body).not.toContain('4155550100');
      expect(res.body).not.toContain('555-0100');
    }
  });
});
