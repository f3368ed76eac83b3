import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisibilityFilter } from '../src/core/access/actor.ts';
import type { PatientId, WardId } from '../src/core/ids.ts';
import { CATEGORIES } from '../src/core/messaging/channel.ts';
import { inViewerScope } from '../src/adapters/db/row-security.ts';
import type { Database } from '../src/adapters/db/schema.ts';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * PostgreSQL row-level security, the second line of defence (issue 5 item 3, migration 0009): under a viewer
 * scope the database itself returns only the rows the visibility allows, however the query is written, and refuses
 * writes; system work outside the scope keeps full access.
 */
describe.each(DATABASES)('row-level security (%s)', (database) => {
  let h: Harness;
  let db: Kysely<Database>;
  let wardA: WardId;
  let wardB: WardId;
  const patients: Record<'a1' | 'a2' | 'b1' | 'none', PatientId> = { a1: '' as PatientId, a2: '' as PatientId, b1: '' as PatientId, none: '' as PatientId };
  const messages = new Map<PatientId, string>();

  beforeAll(async () => {
    h = await createHarness(database);
    db = h.container.database.db;
    wardA = (await givenWard(h, 'Cardiology')) as WardId;
    wardB = (await givenWard(h, 'Oncology')) as WardId;
    patients.a1 = (await givenPatient(h, { wardId: wardA, consent: ['sms'] })).id as PatientId;
    patients.a2 = (await givenPatient(h, { wardId: wardA, consent: ['sms'] })).id as PatientId;
    patients.b1 = (await givenPatient(h, { wardId: wardB, consent: ['sms'] })).id as PatientId;
    patients.none = (await givenPatient(h, { consent: ['sms'] })).id as PatientId;
    for (const id of Object.values(patients)) {
      const res = await sendMessage(h, { patientId: id });
      expect(res.statusCode).toBe(202);
      messages.set(id, res.json<{ id: string }>().id);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Every id a raw query without any WHERE clause returns inside the scope. */
  async function rawIds(visibility: VisibilityFilter | null, table: 'patient' | 'message'): Promise<string[]> {
    return inViewerScope(db, visibility, async (trx) => {
      const { rows } = await sql<{ id: string }>`SELECT id FROM ${sql.table(table)}`.execute(trx);
      return rows.map((r) => r.id).sort();
    });
  }
  const ofPatients = (...keys: (keyof typeof patients)[]): { patient: string[]; message: string[] } => ({
    patient: keys.map((k) => patients[k]).sort(),
    message: keys.map((k) => messages.get(patients[k]) as string).sort(),
  });

  it('returns only the rows of the visible ward to a raw SELECT without a WHERE clause', async () => {
    const visibility = { wardIds: [wardA], patientIds: [] };
    expect({ patient: await rawIds(visibility, 'patient'), message: await rawIds(visibility, 'message') }).toEqual(ofPatients('a1', 'a2'));
  });

  it('returns only individually granted patients (care team, share, break-glass) outside the actor’s wards', async () => {
    const visibility = { wardIds: [], patientIds: [patients.b1] };
    expect({ patient: await rawIds(visibility, 'patient'), message: await rawIds(visibility, 'message') }).toEqual(ofPatients('b1'));
    const both = { wardIds: [wardA], patientIds: [patients.none] };
    expect({ patient: await rawIds(both, 'patient'), message: await rawIds(both, 'message') }).toEqual(ofPatients('a1', 'a2', 'none'));
  });

  it('returns nothing to a caller with no ward and no grant (default deny)', async () => {
    const visibility = { wardIds: [], patientIds: [] };
    expect({ patient: await rawIds(visibility, 'patient'), message: await rawIds(visibility, 'message') }).toEqual({ patient: [], message: [] });
  });

  it('filters a repository read whose SQL filter was forgotten (visibility null passed to the list)', async () => {
    const rows = await h.container.deps.store.asViewer({ wardIds: [wardB], patientIds: [] }, (viewer) =>
      viewer.messages.list({ visibility: null, categories: CATEGORIES, limit: 100 }),
    );
    expect(rows.map((m) => m.patientId)).toEqual([patients.b1]);
    const patient = await h.container.deps.store.asViewer({ wardIds: [wardB], patientIds: [] }, (viewer) => viewer.patients.get(patients.a1));
    expect(patient).toBeNull();
  });

  it('shows every row to an organisation-wide caller', async () => {
    const all = ofPatients('a1', 'a2', 'b1', 'none');
    expect(await rawIds(null, 'patient')).toEqual(expect.arrayContaining(all.patient));
    expect(await rawIds(null, 'message')).toEqual(all.message);
  });

  it('refuses UPDATE, DELETE and INSERT inside the viewer scope, and changes nothing', async () => {
    const id = messages.get(patients.a1) as string;
    const scope = { wardIds: [wardA], patientIds: [] };
    // naughty! a staff read path that tries to change what it may see
    await expect(inViewerScope(db, scope, (trx) => sql`UPDATE message SET status = 'cancelled' WHERE id = ${id}`.execute(trx))).rejects.toMatchObject({ code: '42501' });
    await expect(inViewerScope(db, scope, (trx) => sql`DELETE FROM message WHERE id = ${id}`.execute(trx))).rejects.toMatchObject({ code: '42501' });
    await expect(inViewerScope(db, scope, (trx) => sql`UPDATE patient SET ward_id = ${wardB} WHERE id = ${patients.a1}`.execute(trx))).rejects.toMatchObject({ code: '42501' });
    await expect(
      h.container.deps.store.asViewer(scope, (viewer) =>
        viewer.audit.append({ actor: { type: 'system', id: 'wardline' }, action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: id, patientId: null, reason: null, requestId: null }),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const row = await db.selectFrom('message').select(['status', 'ward_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.ward_id).toBe(wardA);
    expect(row.status).not.toBe('cancelled');
  });

  it('cannot be widened from inside: a nested scope keeps the outer one', async () => {
    const ids = await h.container.deps.store.asViewer({ wardIds: [], patientIds: [] }, (viewer) =>
      viewer.asViewer(null, (inner) => inner.messages.list({ visibility: null, categories: CATEGORIES, limit: 100 })),
    );
    expect(ids).toEqual([]);
  });

  it('returns a transaction to the connecting role after a scoped read, so system work goes on in it', async () => {
    const store = h.container.deps.store;
    const seen = await store.transaction(async (tx) => {
      const visible = await tx.asViewer({ wardIds: [wardA], patientIds: [] }, (viewer) => viewer.patients.getMany(Object.values(patients)));
      const after = await tx.patients.getMany(Object.values(patients));
      await tx.audit.append({ actor: { type: 'system', id: 'wardline' }, action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: null, patientId: null, reason: null, requestId: null });
      return { visible: visible.length, after: after.length };
    });
    expect(seen).toEqual({ visible: 2, after: 4 });
    // Pooled connections carry neither the role nor the visibility into their next use.
    for (let i = 0; i < 6; i++) {
      const { rows } = await sql<{ role: string; wards: string | null }>`SELECT current_setting('role') AS role, current_setting('wardline.ward_ids', true) AS wards`.execute(db);
      expect(rows[0]?.role).toBe('none');
      expect(rows[0]?.wards ?? '').toBe('');
    }
  });

  it('lets a ward nurse send through the API while the dispatcher delivers, and shows her only her ward', async () => {
    const nurse = await givenUser(h, { username: 'nurse.rls', permissionSets: ['nurse'], wardIds: [wardA] });
    const sent = await sendMessage(h, { headers: nurse.headers, patientId: patients.a2, category: 'clinical', body: 'Your test results are ready.' });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json<{ id: string }>();
    await h.settle();
    const own = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: nurse.headers });
    expect(own.statusCode).toBe(200);
    expect(['delivered', 'read']).toContain(own.json<{ status: string }>().status);
    const other = await h.app.inject({ method: 'GET', url: `/v1/messages/${messages.get(patients.b1) as string}`, headers: nurse.headers });
    expect(other.statusCode).toBe(404);
    const denied = await db.selectFrom('audit_event').select('action').where('target_id', '=', messages.get(patients.b1) as string).where('action', '=', 'access.denied').execute();
    expect(denied).toHaveLength(1);
    const list = await h.app.inject({ method: 'GET', url: '/v1/messages?limit=100', headers: nurse.headers });
    expect(list.statusCode).toBe(200);
    const listed = list.json<{ items: { patientId: string }[] }>().items.map((m) => m.patientId);
    expect(new Set(listed)).toEqual(new Set([patients.a1, patients.a2]));
    expect((await h.app.inject({ method: 'GET', url: `/v1/patients/${patients.b1}`, headers: nurse.headers })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/patients/${patients.a1}`, headers: nurse.headers })).statusCode).toBe(200);
  });
});
