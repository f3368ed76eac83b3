import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Harness } from './harness.ts';

/**
 * Typed builders for the HTTP suites (STYLE.md §8, like medplum's createTestProject): each goes through the public
 * API and asserts its own success, so a test states only what it is about.
 */

type Channel = 'sms' | 'text' | 'whatsapp';
export type Headers = { authorization: string };

let phoneCounter = 0;

/** A fresh, valid US number per patient, so simulated inboxes and inbound lookups never mix within a file. */
export function nextPhone(): string {
  phoneCounter += 1;
  return `+1415555${String(1000 + phoneCounter).padStart(4, '0')}`;
}

/** Records a grant through the API (evidence included; purpose `care` unless given) and returns the raw response. */
export function grantConsent(h: Harness, patientId: string, channel: string = 'sms', source = 'intake_form', purpose?: 'care' | 'billing' | 'marketing'): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url: `/v1/patients/${patientId}/consents`,
    headers: h.admin,
    payload: { channel, status: 'granted', source, ...(purpose === undefined ? {} : { purpose }), evidence: { wordingShown: 'I agree to texts' } },
  });
}

/**
 * Registers a patient (a fresh number unless `phone` is given) and grants the listed channels.
 * @param h - the harness
 * @param options - consent to grant, ward, a WhatsApp number equal to the phone, a fixed phone
 */
export async function givenPatient(
  h: Harness,
  options: { consent?: readonly Channel[]; wardId?: string; whatsapp?: boolean; phone?: string; timezone?: string } = {},
): Promise<{ id: string; phone: string }> {
  const phone = options.phone ?? nextPhone();
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/patients',
    headers: h.admin,
    payload: {
      givenName: 'Ada',
      familyName: 'Lovelace',
      birthDate: '1980-12-10',
      phone,
      ...(options.whatsapp ? { whatsapp: phone } : {}),
      ...(options.wardId === undefined ? {} : { wardId: options.wardId }),
      ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
    },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json<{ id: string }>().id;
  for (const channel of options.consent ?? []) {
    expect((await grantConsent(h, id, channel)).statusCode).toBe(201);
  }
  return { id, phone };
}

/** Creates a ward and returns its id. */
export async function givenWard(h: Harness, name: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/wards', headers: h.admin, payload: { name } });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Creates a user with permission sets and wards, and returns its id and bearer headers. */
export async function givenUser(
  h: Harness,
  user: { username: string; permissionSets: string[]; wardIds: string[] },
): Promise<{ id: string; headers: Headers }> {
  const created = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { ...user, displayName: user.username } });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id } });
  expect(token.statusCode).toBe(201);
  return { id, headers: { authorization: `Bearer ${token.json<{ token: string }>().token}` } };
}

/** Sends a message through the API (administrator by default) and returns the raw response. */
export function sendMessage(
  h: Harness,
  message: {
    patientId: string;
    body?: string;
    channel?: Channel;
    category?: string;
    headers?: Headers;
    idempotencyKey?: string;
    override?: { justification: string };
    urgent?: boolean;
    mediaUrls?: string[];
  },
): Promise<LightMyRequestResponse> {
  const { headers = h.admin, idempotencyKey, body = 'Your appointment is tomorrow at 9:00.', channel = 'sms', category = 'administrative', ...rest } = message;
  return h.app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: idempotencyKey === undefined ? headers : { ...headers, 'idempotency-key': idempotencyKey },
    payload: { ...rest, channel, category, body },
  });
}

/**
 * Creates a user (`kind: 'user'`, `name` as username) or an AI agent with permission sets and wards, and returns its
 * id and the bearer headers of an unscoped token.
 */
export async function givenPrincipal(
  h: Harness,
  p: { kind: 'user' | 'agent'; name: string; permissionSets: string[]; wardIds: string[] },
): Promise<{ id: string; headers: Headers }> {
  if (p.kind === 'user') return givenUser(h, { username: p.name, permissionSets: p.permissionSets, wardIds: p.wardIds });
  const created = await h.app.inject({ method: 'POST', url: '/v1/agents', headers: h.admin, payload: { displayName: p.name, permissionSets: p.permissionSets, wardIds: p.wardIds } });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id } });
  expect(token.statusCode).toBe(201);
  return { id, headers: { authorization: `Bearer ${token.json<{ token: string }>().token}` } };
}

/** Issues another token for a principal (optionally scoped) and returns its bearer headers. */
export async function givenToken(h: Harness, principalId: string, scopes?: string[]): Promise<Headers> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId, ...(scopes === undefined ? {} : { scopes }) } });
  expect(res.statusCode).toBe(201);
  return { authorization: `Bearer ${res.json<{ token: string }>().token}` };
}

/** A starter template per message category, with the params it needs (none of them PHI). */
export const TEMPLATE_FOR = {
  clinical: { id: 'results_ready', params: { portal_link: 'https://portal.example.org/results' } },
  billing: { id: 'billing_notice', params: { amount_due: '40.00', due_date: '2026-12-31', portal_link: 'https://portal.example.org/pay' } },
  administrative: { id: 'appointment_reminder', params: { appointment_time: '2026-12-01T15:00:00Z', location: 'Building B' } },
} as const satisfies Record<'clinical' | 'billing' | 'administrative', { id: string; params: Record<string, string> }>;

/** The result of an MCP tool call (structured content: the tool's JSON, or a problem when `isError`). */
export interface McpToolResult {
  readonly isError?: boolean;
  readonly structuredContent?: Record<string, unknown>;
}

let rpcId = 0;

/**
 * Calls one of Wardline's MCP tools with raw JSON-RPC through `inject` (the endpoint is stateless: no initialize
 * handshake is needed), authenticated by `headers`. Fails the test unless the call reached the tool.
 */
export async function mcpCall(h: Harness, headers: Headers, name: string, args: Record<string, unknown>): Promise<McpToolResult> {
  rpcId += 1;
  const res = await h.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { ...headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-06-18' },
    payload: { jsonrpc: '2.0', id: rpcId, method: 'tools/call', params: { name, arguments: args } },
  });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ result?: McpToolResult; error?: unknown }>();
  expect(body.error, res.body).toBeUndefined();
  return body.result ?? {};
}
