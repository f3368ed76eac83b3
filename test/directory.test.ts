import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenUser, givenWard } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/** The directory an administrator manages: users and agents, their permission sets and wards (issue 5 item 2). */
describe.each(DATABASES)('directory administration (%s)', (database) => {
  let h: Harness;
  let ward: string;
  let otherWard: string;

  beforeAll(async () => {
    h = await createHarness(database);
    ward = await givenWard(h, 'Directory A');
    otherWard = await givenWard(h, 'Directory B');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists and shows users and agents to an administrator, never a secret, and refuses everyone else', async () => {
    const nurse = await givenUser(h, { username: 'dir.nurse', permissionSets: ['nurse'], wardIds: [ward] });
    const agent = await h.app.inject({ method: 'POST', url: '/v1/agents', headers: h.admin, payload: { displayName: 'Directory bot', permissionSets: ['ai_agent'], wardIds: [ward] } });
    const agentId = agent.json<{ id: string }>().id;

    const users = await h.app.inject({ method: 'GET', url: '/v1/users', headers: h.admin });
    expect(users.statusCode).toBe(200);
    const listed = users.json<{ items: { id: string; username: string | null; permissionSets: string[]; wardIds: string[]; disabled: boolean }[] }>().items;
    expect(listed.find((u) => u.id === nurse.id)).toEqual({ id: nurse.id, kind: 'user', username: 'dir.nurse', displayName: 'dir.nurse', permissionSets: ['nurse'], wardIds: [ward], disabled: false });
    expect(listed.some((u) => u.id === agentId)).toBe(false);
    expect(users.body).not.toMatch(/password|hash|totp/i);
    const agents = await h.app.inject({ method: 'GET', url: '/v1/agents', headers: h.admin });
    expect(agents.json<{ items: { id: string }[] }>().items.map((a) => a.id)).toContain(agentId);
    // An agent is not a user: its id under /v1/users is unknown.
    expect((await h.app.inject({ method: 'GET', url: `/v1/users/${agentId}`, headers: h.admin })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/agents/${agentId}`, headers: h.admin })).json<{ kind: string }>().kind).toBe('agent');

    const refused = await h.app.inject({ method: 'GET', url: '/v1/users', headers: nurse.headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ code: string }>().code).toBe('ACCESS_DENIED');
  });

  it('creates an integration with a scoped, expiring token; deactivates it under its own collection only', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/integrations', headers: h.admin, payload: { displayName: 'EHR feed', permissionSets: ['front_desk'], wardIds: [ward] } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id, expiresAt, scopes: ['message.view.administrative'] } });
    expect(issued.json()).toMatchObject({ principalId: id, scopes: ['message.view.administrative'] });
    const bearer = { authorization: `Bearer ${issued.json<{ token: string }>().token}` };
    expect((await h.app.inject({ method: 'GET', url: '/v1/messages', headers: bearer })).statusCode).toBe(200);
    // front_desk may register patients, but the token's scope does not carry patient.manage.
    const register = await h.app.inject({ method: 'POST', url: '/v1/patients', headers: bearer, payload: { givenName: 'A', familyName: 'B', birthDate: '1990-01-01', phone: '+14155550199', wardId: ward } });
    expect(register.statusCode).toBe(403);
    expect(register.json<{ code: string }>().code).toBe('ACCESS_DENIED');
    expect((await h.app.inject({ method: 'GET', url: '/v1/integrations', headers: h.admin })).json<{ items: { id: string; kind: string }[] }>().items).toContainEqual(expect.objectContaining({ id, kind: 'integration' }));

    expect((await h.app.inject({ method: 'POST', url: `/v1/users/${id}/deactivate`, headers: h.admin })).statusCode).toBe(404);
    const off = await h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/deactivate`, headers: h.admin });
    expect(off.json()).toEqual({ sessionsEnded: 0, tokensRevoked: 1 });
    expect((await h.app.inject({ method: 'GET', url: '/v1/messages', headers: bearer })).statusCode).toBe(401);
  });

  it('changes a user\'s wards and sets, audits before and after, and the user\'s access follows at the next request', async () => {
    const user = await givenUser(h, { username: 'dir.mover', permissionSets: ['front_desk'], wardIds: [ward] });
    const res = await h.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: h.admin, payload: { wardIds: [otherWard], permissionSets: ['nurse', 'front_desk'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, wardIds: [otherWard], permissionSets: ['nurse', 'front_desk'] });
    const audit = await h.container.database.db.selectFrom('audit_event').select(['details', 'actor_id']).where('action', '=', 'principal.updated').where('target_id', '=', user.id).executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ permissionSetsBefore: 'front_desk', permissionSets: 'front_desk,nurse', wardIdsBefore: ward, wardIds: otherWard, displayNameChanged: false });

    // Nothing changes on bad input: an unknown ward, an unknown set, an empty change, an unknown principal.
    for (const payload of [{ wardIds: ['00000000-0000-4000-8000-0000000000ff'] }, { permissionSets: ['head_nurse'] }, {}]) {
      const bad = await h.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: h.admin, payload });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
    }
    expect((await h.app.inject({ method: 'PATCH', url: '/v1/users/00000000-0000-4000-8000-0000000000fe', headers: h.admin, payload: { displayName: 'X' } })).statusCode).toBe(404);
    const after = await h.app.inject({ method: 'GET', url: `/v1/users/${user.id}`, headers: h.admin });
    expect(after.json()).toMatchObject({ wardIds: [otherWard], permissionSets: ['nurse', 'front_desk'] });
  });
});
