import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenWard, grantConsent } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

type Headers = { authorization: string };
interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}

const CANARY_NAME = 'CANARY_PHI_7001';
const CANARY_TEXT = 'CANARY_PHI_7002 your biopsy came back positive';
const CANARY_LOCATION = 'CANARY_PHI_7003';
const REMINDER_PARAMS = { appointment_time: '2026-12-01T15:00:00Z', location: 'Building B' };

describe.each(DATABASES)('AI agents and the MCP server (%s)', (database) => {
  let h: Harness;
  let url: URL;
  let ward: string;
  let otherWard: string;
  const clients: Client[] = [];

  async function givenAgent(name: string, permissionSets: string[] = ['ai_agent']): Promise<{ id: string; token: string; headers: Headers }> {
    const created = await h.app.inject({ method: 'POST', url: '/v1/agents', headers: h.admin, payload: { displayName: `Agent ${name}`, permissionSets, wardIds: [ward] } });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id } });
    expect(issued.statusCode).toBe(201);
    const token = issued.json<{ token: string }>().token;
    return { id, token, headers: { authorization: `Bearer ${token}` } };
  }

  async function connect(token: string | null): Promise<Client> {
    const client = new Client({ name: 'wardline-test-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(url, token === null ? {} : { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return (await client.callTool({ name, arguments: args })) as ToolResult;
  }

  beforeAll(async () => {
    const port = await freePort();
    h = await createHarness(database, { PORT: String(port), WARDLINE_TOKEN_CACHE_MS: '0', WARDLINE_AGENT_SENDS_PER_MINUTE: '3' }, { listen: true });
    url = new URL(`http://127.0.0.1:${String(port)}/mcp`);
    ward = await givenWard(h, 'Ward A');
    otherWard = await givenWard(h, 'Ward B');
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    const logs = h?.logs() ?? '';
    expect(logs).not.toMatch(/CANARY_PHI_/);
    await h?.close();
  });

  it('lists its tools to an agent authenticated by its API token', async () => {
    const agent = await givenAgent('lister');
    const client = await connect(agent.token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['check_consent', 'check_message', 'find_patient', 'list_templates', 'read_conversation', 'search_patients', 'send_template']);
    const send = tools.find((t) => t.name === 'send_template');
    expect(send?.inputSchema.required).toEqual(expect.arrayContaining(['patientId', 'channel', 'template']));
  });

  it('refuses a missing, unknown or revoked token', async () => {
    const bare = await h.app.inject({ method: 'POST', url: '/mcp', payload: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expect(bare.statusCode).toBe(401);
    expect(bare.headers['www-authenticate']).toBe('Bearer realm="wardline"');
    await expect(connect(null)).rejects.toThrow();
    await expect(connect('wl_not_a_real_token')).rejects.toThrow();
    const agent = await givenAgent('revoked');
    await connect(agent.token);
    await h.container.database.db.updateTable('api_token').set({ revoked_at: new Date() }).where('principal_id', '=', agent.id).execute();
    await expect(connect(agent.token)).rejects.toThrow();
  });

  it('finds a patient in its ward with the minimum necessary, and another ward\'s patient answers like an unknown id', async () => {
    const agent = await givenAgent('finder');
    const client = await connect(agent.token);
    const created = await h.app.inject({ method: 'POST', url: '/v1/patients', headers: h.admin, payload: { givenName: CANARY_NAME, familyName: 'Lovelace', birthDate: '1980-12-10', phone: '+14155557001', wardId: ward, language: 'es' } });
    const id = created.json<{ id: string }>().id;
    expect((await grantConsent(h, id)).statusCode).toBe(201);
    const found = await call(client, 'find_patient', { patientId: id });
    expect(found.isError).toBeFalsy();
    const patient = found.structuredContent as { id: string; givenName: string; language: string; channels: { channel: string; available: boolean; consent: Record<string, { status: string }> }[] };
    expect(patient).toMatchObject({ id, givenName: CANARY_NAME, language: 'es' });
    expect(Object.keys(patient).sort()).toEqual(['channels', 'givenName', 'id', 'language']);
    expect(patient.channels.find((c) => c.channel === 'sms')?.consent['care']?.status).toBe('granted');
    expect(patient.channels.find((c) => c.channel === 'whatsapp')?.available).toBe(false);

    const elsewhere = await givenPatient(h, { wardId: otherWard, consent: ['sms'] });
    const other = await call(client, 'find_patient', { patientId: elsewhere.id });
    const unknown = await call(client, 'find_patient', { patientId: '00000000-0000-4000-8000-00000000abcd' });
    expect(other.isError).toBe(true);
    expect(other.structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    expect({ ...other.structuredContent, instance: null }).toEqual({ ...unknown.structuredContent, instance: null });
    expect((await call(client, 'check_consent', { patientId: elsewhere.id })).structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call(client, 'read_conversation', { patientId: elsewhere.id })).structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call(client, 'send_template', { patientId: elsewhere.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS })).structuredContent).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('searches patients by phone number: only those it may see, the number in any format, never logged', async () => {
    const client = await connect((await givenAgent('searcher')).token);
    const shared = '+14155557123';
    const mine = await givenPatient(h, { wardId: ward, phone: shared, consent: ['sms'] });
    await givenPatient(h, { wardId: otherWard, phone: shared, consent: ['sms'] });
    const found = await call(client, 'search_patients', { phone: '(415) 555-7123' });
    expect(found.isError).toBeFalsy();
    const { patients } = found.structuredContent as { patients: { id: string; channels: unknown[] }[] };
    expect(patients.map((p) => p.id)).toEqual([mine.id]);
    expect(Object.keys(patients[0] ?? {}).sort()).toEqual(['channels', 'givenName', 'id', 'language']);
    expect(((await call(client, 'search_patients', { phone: '+14155550000' })).structuredContent as { patients: unknown[] }).patients).toEqual([]);
    const bad = await call(client, 'search_patients', { phone: 'CANARY_PHI_not_a_number' });
    expect(bad.structuredContent).toMatchObject({ code: 'INVALID_PHONE_NUMBER' });
    expect(JSON.stringify(bad.structuredContent)).not.toContain('CANARY_PHI_');
    // The number in any of its forms (four digits alone would also match a request id now and then).
    for (const form of ['5557123', '555-7123', '555 7123']) expect(h.logs()).not.toContain(form);
  });

  it('lists only approved templates it may send, with the params each needs', async () => {
    const client = await connect((await givenAgent('templates')).token);
    const { items } = (await call(client, 'list_templates', {})).structuredContent as { items: { name: string; category: string; params: { name: string }[] }[] };
    expect(items.map((i) => i.category)).not.toContain('clinical');
    const reminder = items.find((i) => i.name === 'appointment_reminder');
    expect(reminder?.params.map((p) => p.name).sort()).toEqual(['appointment_time', 'location']);
  });

  it('sends an approved template recorded as sent by the agent, with the template version, and reads the conversation', async () => {
    const agent = await givenAgent('sender');
    const client = await connect(agent.token);
    const p = await givenPatient(h, { wardId: ward, consent: ['sms'] });
    const check = await call(client, 'check_message', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS });
    expect(check.structuredContent).toMatchObject({ allowed: true, category: 'administrative' });
    const sent = await call(client, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: { ...REMINDER_PARAMS, location: CANARY_LOCATION }, idempotencyKey: 'k-1' });
    expect(sent.isError).toBeFalsy();
    const result = sent.structuredContent as { id: string; status: string; delivery: string };
    expect(result).toMatchObject({ status: 'queued', delivery: 'direct' });
    const again = await call(client, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: { ...REMINDER_PARAMS, location: CANARY_LOCATION }, idempotencyKey: 'k-1' });
    expect(again.structuredContent).toMatchObject({ id: result.id, replayed: true });

    const message = await h.app.inject({ method: 'GET', url: `/v1/messages/${result.id}`, headers: h.admin });
    const json = message.json<{ sender: { type: string; id: string; displayName: string | null }; template: { versionId: string } | null }>();
    expect(json.sender).toEqual({ type: 'agent', id: agent.id, displayName: 'Agent sender' });
    expect(json.template?.versionId).toEqual(expect.any(String));
    await h.settle();
    expect((await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'Thanks, see you then' } })).statusCode).toBeLessThan(300);

    const conversation = await call(client, 'read_conversation', { patientId: p.id, limit: 10 });
    const items = (conversation.structuredContent as { items: { direction: string; body: string; sender?: { type: string; id: string; displayName: string | null } }[] }).items;
    expect(items.map((i) => i.direction)).toEqual(['inbound', 'outbound']);
    expect(items[0]?.body).toBe('Thanks, see you then');
    expect(items[1]?.sender).toEqual({ type: 'agent', id: agent.id, displayName: 'Agent sender' });
    expect(items[1]?.body).toContain(CANARY_LOCATION);
    const audited = await h.container.database.db.selectFrom('audit_event').select(['action']).where('actor_id', '=', agent.id).where('action', 'in', ['message.viewed', 'conversation.viewed']).execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['conversation.viewed', 'message.viewed']);
  });

  it('is refused free text through the HTTP API and has no free-text tool', async () => {
    const agent = await givenAgent('writer');
    const p = await givenPatient(h, { wardId: ward, consent: ['sms'] });
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: agent.headers, payload: { patientId: p.id, channel: 'sms', category: 'administrative', body: CANARY_TEXT } });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('AGENT_FREE_TEXT_FORBIDDEN');
    expect(res.body).not.toContain('CANARY_PHI');
    const check = await h.app.inject({ method: 'POST', url: '/v1/messages/check', headers: agent.headers, payload: { patientId: p.id, channel: 'sms', category: 'administrative', body: CANARY_TEXT } });
    expect(check.json<{ code: string }>().code).toBe('AGENT_FREE_TEXT_FORBIDDEN');
    // Through MCP there is no way to pass a body at all: the schema refuses unknown fields, without echoing them.
    const client = await connect(agent.token);
    const viaMcp = await call(client, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS, body: CANARY_TEXT });
    expect(viaMcp.isError).toBe(true);
    expect(JSON.stringify(viaMcp)).not.toContain('CANARY_PHI');
  });

  it('never overrides consent, even holding a set that grants consent.override', async () => {
    const agent = await givenAgent('overrider', ['ai_agent', 'physician']);
    const p = await givenPatient(h, { wardId: ward });
    const justification = 'The patient must hear about this today, it cannot wait.';
    const asked = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: agent.headers, payload: { patientId: p.id, channel: 'sms', template: { id: 'appointment_reminder', params: REMINDER_PARAMS }, override: { justification } } });
    expect(asked.statusCode).toBe(403);
    expect(asked.json<{ code: string }>().code).toBe('CONSENT_OVERRIDE_FORBIDDEN');
    const client = await connect(agent.token);
    const viaMcp = await call(client, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS });
    expect(viaMcp.structuredContent).toMatchObject({ code: 'CONSENT_REQUIRED' });
    const count = await h.container.database.db.selectFrom('message').select((eb) => eb.fn.countAll<string>().as('n')).where('patient_id', '=', p.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('is rate-limited per agent across the API and MCP, with Retry-After', async () => {
    const agent = await givenAgent('busy');
    const client = await connect(agent.token);
    const p = await givenPatient(h, { wardId: ward, consent: ['sms'] });
    const send = (key: string) => call(client, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS, idempotencyKey: key });
    for (const key of ['a', 'b', 'c']) expect((await send(key)).isError).toBeFalsy();
    const limited = await send('d');
    expect(limited.structuredContent).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(limited.structuredContent?.['retryAfterSeconds']).toEqual(expect.any(Number));
    const viaHttp = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: agent.headers, payload: { patientId: p.id, channel: 'sms', template: { id: 'appointment_reminder', params: REMINDER_PARAMS } } });
    expect(viaHttp.statusCode).toBe(429);
    expect(Number(viaHttp.headers['retry-after'])).toBeGreaterThan(0);
    // Another agent has its own budget.
    const other = await connect((await givenAgent('calm')).token);
    expect((await call(other, 'send_template', { patientId: p.id, channel: 'sms', template: 'appointment_reminder', params: REMINDER_PARAMS })).isError).toBeFalsy();
  });
});
