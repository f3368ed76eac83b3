import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Issue 5 item 6: every view of message content or of a patient record is an audit event saying who, which record,
 * when, and through which interface (REST API with a token, console session, MCP).
 */
describe.each(DATABASES)('reads are audited with their interface (%s)', (database) => {
  let h: Harness;
  let url: URL;
  let ward: string;
  let patientId: string;
  let messageId: string;
  let nurse: { id: string; headers: { authorization: string } };
  const PASSWORD = 'correct horse battery staple';

  beforeAll(async () => {
    const port = await freePort();
    h = await createHarness(database, { PORT: String(port) }, { listen: true });
    url = new URL(`http://127.0.0.1:${String(port)}/mcp`);
    ward = await givenWard(h, 'Ward Read');
    patientId = (await givenPatient(h, { wardId: ward, consent: ['sms'] })).id;
    const sent = await sendMessage(h, { patientId, category: 'administrative', body: 'The clinic opens at 9 tomorrow.' });
    expect(sent.statusCode).toBe(202);
    messageId = sent.json<{ id: string }>().id;
    nurse = await givenUser(h, { username: 'nurse.reader', permissionSets: ['nurse'], wardIds: [ward] });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function readsBy(actorId: string) {
    return h.container.database.db
      .selectFrom('audit_event')
      .select(['action', 'target_id', 'patient_id', 'details', 'occurred_at', 'actor_type'])
      .where('actor_id', '=', actorId)
      .where('action', 'in', ['patient.viewed', 'message.viewed', 'message.listed', 'consent.viewed', 'conversation.viewed'])
      .orderBy('occurred_at')
      .execute();
  }

  it('records API reads of a patient, a message and the list as via "api"', async () => {
    expect((await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}`, headers: nurse.headers })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: nurse.headers })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `/v1/messages?patientId=${patientId}`, headers: nurse.headers })).statusCode).toBe(200);
    const rows = await readsBy(nurse.id);
    expect(rows.map((r) => [r.action, r.target_id, r.actor_type])).toEqual([
      ['patient.viewed', patientId, 'user'],
      ['message.viewed', messageId, 'user'],
      ['message.listed', patientId, 'user'],
    ]);
    for (const r of rows) {
      expect(r.patient_id).toBe(patientId);
      expect((r.details)['via']).toBe('api');
      expect(r.occurred_at).toBeInstanceOf(Date);
    }
  });

  it('finds patients by phone with a POST (the number never in a URL), only visible ones, each audited as a read', async () => {
    const otherWard = await givenWard(h, 'Ward Elsewhere');
    const phone = '+14155558642';
    const mine = await givenPatient(h, { wardId: ward, phone });
    await givenPatient(h, { wardId: otherWard, phone });
    const res = await h.app.inject({ method: 'POST', url: '/v1/patients/search', headers: nurse.headers, payload: { phone: '415-555-8642' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: { id: string }[] }>().items.map((p) => p.id)).toEqual([mine.id]);
    const audited = await h.container.database.db.selectFrom('audit_event').select(['target_id', 'details']).where('actor_id', '=', nurse.id).where('action', '=', 'patient.viewed').execute();
    expect(audited.filter((a) => (a.details)['foundBy'] === 'phone').map((a) => a.target_id)).toEqual([mine.id]);
    expect(JSON.stringify(audited)).not.toContain('8642');
    const bad = await h.app.inject({ method: 'POST', url: '/v1/patients/search', headers: nurse.headers, payload: { phone: 'not a number' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('INVALID_PHONE_NUMBER');
  });

  it('records a console (session cookie) read as via "console"', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: h.admin,
      payload: { username: 'nurse.console', displayName: 'Console nurse', permissionSets: ['nurse'], wardIds: [ward], password: PASSWORD },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const signedIn = await h.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'nurse.console', password: PASSWORD } });
    expect(signedIn.statusCode).toBe(200);
    const cookie = signedIn.cookies.find((c) => c.name === 'wardline_session');
    expect(cookie).toBeDefined();
    const read = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/consents`, headers: { cookie: `wardline_session=${cookie?.value ?? ''}` } });
    expect(read.statusCode).toBe(200);
    const rows = await readsBy(id);
    expect(rows.map((r) => [r.action, (r.details)['via']])).toEqual([['consent.viewed', 'console']]);
  });

  it('records an MCP read of a conversation as via "mcp", message by message', async () => {
    const agent = await h.app.inject({ method: 'POST', url: '/v1/agents', headers: h.admin, payload: { displayName: 'Reader bot', permissionSets: ['ai_agent'], wardIds: [ward] } });
    const agentId = agent.json<{ id: string }>().id;
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: agentId } });
    const client = new Client({ name: 'read-audit-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${issued.json<{ token: string }>().token}` } } }));
    try {
      const result = (await client.callTool({ name: 'read_conversation', arguments: { patientId } })) as { isError?: boolean };
      expect(result.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
    const rows = await readsBy(agentId);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['message.viewed', 'conversation.viewed']));
    expect(rows.find((r) => r.action === 'message.viewed')?.target_id).toBe(messageId);
    expect(rows.every((r) => (r.details)['via'] === 'mcp' && r.actor_type === 'agent')).toBe(true);
  });
});
