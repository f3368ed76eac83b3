import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/app/ports.ts';
import { givenPatient, givenUser, givenWard } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * Sharing beyond wards (issue 5 item 3, docs/sharing.md), end to end over HTTP on every database: explicit shares
 * and care teams open a patient of another ward; revocation and removal close it at the next request; attempts
 * outside the actor's sharing become security events; bad input changes nothing.
 */

type Headers = { authorization: string };

function movableClock(): Clock & { advance(ms: number): void } {
  let now = Date.now();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

describe.each(DATABASES)('sharing beyond wards (%s)', (database) => {
  let h: Harness;
  const clock = movableClock();
  let wardA: string;
  let wardB: string;
  let nurseA: { id: string; headers: Headers };
  let nurseB: { id: string; headers: Headers };
  let clerk: { id: string; headers: Headers };

  beforeAll(async () => {
    h = await createHarness(database, {}, { clock });
    wardA = await givenWard(h, 'Cardiology');
    wardB = await givenWard(h, 'Oncology');
    nurseA = await givenUser(h, { username: 'nurse.a', permissionSets: ['nurse'], wardIds: [wardA] });
    nurseB = await givenUser(h, { username: 'nurse.b', permissionSets: ['nurse'], wardIds: [wardB] });
    clerk = await givenUser(h, { username: 'clerk.c', permissionSets: ['front_desk'], wardIds: [wardB] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const view = async (headers: Headers, patientId: string): Promise<number> => (await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}`, headers })).statusCode;
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Headers, payload?: object) =>
    h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  async function expectProblem(res: Awaited<ReturnType<typeof inject>>, status: number, code: string): Promise<void> {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe(code);
  }

  async function auditRows(action: string, patientId: string): Promise<{ target_id: string | null; details: unknown }[]> {
    return h.container.database.db.selectFrom('audit_event').select(['target_id', 'details']).where('action', '=', action).where('patient_id', '=', patientId).execute();
  }

  async function grantRows(patientId: string): Promise<number> {
    const r = await h.container.database.db.selectFrom('patient_grant').select((eb) => eb.fn.countAll().as('n')).where('patient_id', '=', patientId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  it("answers 404 for another ward's patient, and records the attempt as a security event", async () => {
    const p = await givenPatient(h, { wardId: wardB });
    expect(await view(nurseA.headers, p.id)).toBe(404);
    const events = await h.container.database.db.selectFrom('security_event').selectAll().where('patient_id', '=', p.id).execute();
    expect(events.map((e) => [e.kind, e.principal_id])).toEqual([['access.outside-sharing', nurseA.id]]);
    expect(await auditRows('access.denied', p.id)).toHaveLength(1);
  });

  it('opens a patient to a nurse of another ward through an explicit share, and closes it at the next request after revocation', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    expect(await view(nurseA.headers, p.id)).toBe(404);
    const shared = await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, { principalId: nurseA.id, reason: 'Covering the night shift' });
    expect(shared.statusCode).toBe(201);
    const grantId = shared.json<{ id: string }>().id;
    expect(await view(nurseA.headers, p.id)).toBe(200);
    expect((await auditRows('patient.shared', p.id)).map((r) => r.target_id)).toEqual([grantId]);

    const list = await inject('GET', `/v1/patients/${p.id}/shares`, nurseB.headers);
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: { id: string; principalId: string; open: boolean; reason?: string }[] }>().items;
    expect(items).toMatchObject([{ id: grantId, principalId: nurseA.id, open: true }]);
    expect(items[0]).not.toHaveProperty('reason'); // reasons only to audit.read holders

    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, { principalId: nurseA.id }), 409, 'CONFLICT');

    expect((await inject('DELETE', `/v1/patients/${p.id}/shares/${grantId}`, nurseB.headers)).statusCode).toBe(204);
    expect(await view(nurseA.headers, p.id)).toBe(404);
    expect((await auditRows('patient.share-revoked', p.id)).map((r) => r.target_id)).toEqual([grantId]);
    // Revoking again changes nothing.
    expect((await inject('DELETE', `/v1/patients/${p.id}/shares/${grantId}`, nurseB.headers)).statusCode).toBe(204);
    expect(await auditRows('patient.share-revoked', p.id)).toHaveLength(1);
  });

  it('ends an expiring share when its time passes', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const expiresAt = new Date(clock.now().getTime() + 3_600_000).toISOString();
    expect((await inject('POST', `/v1/patients/${p.id}/shares`, h.admin, { principalId: nurseA.id, expiresAt })).statusCode).toBe(201);
    expect(await view(nurseA.headers, p.id)).toBe(200);
    clock.advance(3_600_000 + 1);
    expect(await view(nurseA.headers, p.id)).toBe(404);
  });

  it('opens a patient to care-team members, and closes it when the member or the patient leaves the team', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const created = await inject('POST', '/v1/care-teams', h.admin, { name: 'Heart failure clinic' });
    expect(created.statusCode).toBe(201);
    const team = created.json<{ id: string }>().id;
    expect(await auditRows('care-team.changed', p.id)).toHaveLength(0);

    expect((await inject('PUT', `/v1/care-teams/${team}/members/${nurseA.id}`, h.admin)).statusCode).toBe(204);
    expect((await inject('PUT', `/v1/care-teams/${team}/patients/${p.id}`, h.admin)).statusCode).toBe(204);
    // Duplicates are idempotent and write nothing.
    expect((await inject('PUT', `/v1/care-teams/${team}/patients/${p.id}`, h.admin)).statusCode).toBe(204);
    expect(await auditRows('care-team.changed', p.id)).toHaveLength(1);
    expect(await view(nurseA.headers, p.id)).toBe(200);

    const listed = await inject('GET', '/v1/care-teams', h.admin);
    expect(listed.json<{ items: { id: string; members: number; patients: number }[] }>().items).toContainEqual(expect.objectContaining({ id: team, members: 1, patients: 1 }));

    expect((await inject('DELETE', `/v1/care-teams/${team}/members/${nurseA.id}`, h.admin)).statusCode).toBe(204);
    expect(await view(nurseA.headers, p.id)).toBe(404);
    expect((await inject('PUT', `/v1/care-teams/${team}/members/${nurseA.id}`, h.admin)).statusCode).toBe(204);
    expect(await view(nurseA.headers, p.id)).toBe(200);
    expect((await inject('DELETE', `/v1/care-teams/${team}/patients/${p.id}`, h.admin)).statusCode).toBe(204);
    expect(await view(nurseA.headers, p.id)).toBe(404);

    const teamAudit = await h.container.database.db.selectFrom('audit_event').select(['action', 'details']).where('target_id', '=', team).execute();
    expect(teamAudit.map((r) => r.action)).toEqual(['care-team.created', ...Array<string>(5).fill('care-team.changed')]);
  });

  it('refuses bad care-team requests with clear codes and writes nothing', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const team = (await inject('POST', '/v1/care-teams', h.admin, { name: 'Stroke unit' })).json<{ id: string }>().id;
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectProblem(await inject('POST', '/v1/care-teams', nurseA.headers, { name: 'Mine' }), 403, 'ACCESS_DENIED');
    await expectProblem(await inject('PUT', `/v1/care-teams/${team}/members/${nurseA.id}`, nurseA.headers), 403, 'ACCESS_DENIED');
    await expectProblem(await inject('GET', '/v1/care-teams', nurseA.headers), 403, 'ACCESS_DENIED');
    await expectProblem(await inject('POST', '/v1/care-teams', h.admin, { name: 'stroke UNIT' }), 409, 'CONFLICT');
    await expectProblem(await inject('POST', '/v1/care-teams', h.admin, { name: '' }), 400, 'VALIDATION_FAILED');
    await expectProblem(await inject('PUT', `/v1/care-teams/${unknown}/members/${nurseA.id}`, h.admin), 404, 'NOT_FOUND');
    await expectProblem(await inject('PUT', `/v1/care-teams/${team}/members/${unknown}`, h.admin), 404, 'NOT_FOUND');
    await expectProblem(await inject('PUT', `/v1/care-teams/${team}/patients/${unknown}`, h.admin), 404, 'NOT_FOUND');
    await expectProblem(await inject('PUT', `/v1/care-teams/not-a-uuid/patients/${p.id}`, h.admin), 400, 'VALIDATION_FAILED');
    const rows = await h.container.database.db.selectFrom('care_team_member').select('principal_id').where('care_team_id', '=', team).execute();
    expect(rows).toHaveLength(0);
  });

  it('refuses bad shares with clear codes and writes nothing', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const unknown = '00000000-0000-4000-8000-000000000000';
    // A nurse cannot share (or probe) a patient she cannot see: 404, as for any read.
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseA.headers, { principalId: nurseA.id }), 404, 'NOT_FOUND');
    await expectProblem(await inject('GET', `/v1/patients/${p.id}/shares`, nurseA.headers), 404, 'NOT_FOUND');
    await expectProblem(await inject('POST', `/v1/patients/${unknown}/shares`, nurseB.headers, { principalId: nurseA.id }), 404, 'NOT_FOUND');
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, { principalId: unknown }), 400, 'VALIDATION_FAILED');
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, { principalId: nurseA.id, expiresAt: new Date(clock.now().getTime() - 1000).toISOString() }), 400, 'VALIDATION_FAILED');
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, { principalId: nurseA.id, extra: true }), 400, 'VALIDATION_FAILED');
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, nurseB.headers, {}), 400, 'VALIDATION_FAILED');
    await expectProblem(await inject('DELETE', `/v1/patients/${p.id}/shares/${unknown}`, nurseB.headers), 404, 'NOT_FOUND');
    expect(await grantRows(p.id)).toBe(0);

    // A share of one patient cannot be revoked through another patient's URL.
    const other = await givenPatient(h, { wardId: wardB });
    const grantId = (await inject('POST', `/v1/patients/${other.id}/shares`, nurseB.headers, { principalId: nurseA.id })).json<{ id: string }>().id;
    await expectProblem(await inject('DELETE', `/v1/patients/${p.id}/shares/${grantId}`, nurseB.headers), 404, 'NOT_FOUND');
    expect(await view(nurseA.headers, other.id)).toBe(200);
  });

  it('lets only holders of patient.manage or user.admin share', async () => {
    const billing = await givenUser(h, { username: 'billing.b', permissionSets: ['billing_clerk'], wardIds: [] });
    const p = await givenPatient(h, { wardId: wardB });
    // The billing clerk sees every patient (organisation-wide) but may not pass access on.
    await expectProblem(await inject('POST', `/v1/patients/${p.id}/shares`, billing.headers, { principalId: nurseA.id }), 403, 'ACCESS_DENIED');
    // Front desk holds patient.manage and sees ward B: allowed.
    expect((await inject('POST', `/v1/patients/${p.id}/shares`, clerk.headers, { principalId: nurseA.id })).statusCode).toBe(201);
  });

  it('keeps the security officer’s queue behind audit.read or user.admin, and acknowledges once', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    expect(await view(nurseA.headers, p.id)).toBe(404);
    await expectProblem(await inject('GET', '/v1/security-events', nurseA.headers), 403, 'ACCESS_DENIED');
    const officer = await givenUser(h, { username: 'sec.officer', permissionSets: ['security_officer'], wardIds: [] });
    const open = await inject('GET', '/v1/security-events?acknowledged=false', officer.headers);
    expect(open.statusCode).toBe(200);
    const event = open.json<{ items: { id: string; kind: string; patientId: string; acknowledgedAt: string | null }[] }>().items.find((e) => e.patientId === p.id);
    expect(event).toMatchObject({ kind: 'access.outside-sharing', acknowledgedAt: null });
    const acked = await inject('POST', `/v1/security-events/${event?.id ?? ''}/acknowledge`, officer.headers);
    expect(acked.statusCode).toBe(200);
    expect(acked.json<{ acknowledgedBy: string }>().acknowledgedBy).toBe(officer.id);
    expect((await inject('POST', `/v1/security-events/${event?.id ?? ''}/acknowledge`, officer.headers)).statusCode).toBe(200);
    const audits = await h.container.database.db.selectFrom('audit_event').select('action').where('target_id', '=', event?.id ?? '').execute();
    expect(audits.map((a) => a.action)).toEqual(['security-event.acknowledged']);
    const still = await inject('GET', '/v1/security-events?acknowledged=false', officer.headers);
    expect(still.json<{ items: { id: string }[] }>().items.map((e) => e.id)).not.toContain(event?.id);
    await expectProblem(await inject('POST', '/v1/security-events/00000000-0000-4000-8000-000000000000/acknowledge', officer.headers), 404, 'NOT_FOUND');
    await expectProblem(await inject('GET', '/v1/security-events?acknowledged=maybe', officer.headers), 400, 'VALIDATION_FAILED');
  });
});
