import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Harness } from './harness.ts';

/**
 * Typed builders for the HTTP suites (STYLE.md §8, like medplum's createTestProject): each goes through the public
 * API and asserts its own success, so a test states only what it is about.
 */

type Channel = 'sms' | 'text' | 'whatsapp';
type Headers = { authorization: string };

let phoneCounter = 0;

/** A fresh, valid US number per patient, so simulated inboxes and inbound lookups never mix within a file. */
export function nextPhone(): string {
  phoneCounter += 1;
  return `+1415555${String(1000 + phoneCounter).padStart(4, '0')}`;
}

/** Records a grant through the API (evidence included) and returns the raw response. */
export function grantConsent(h: Harness, patientId: string, channel: string = 'sms', source = 'intake_form'): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url: `/v1/patients/${patientId}/consents`,
    headers: h.admin,
    payload: { channel, status: 'granted', source, evidence: { wordingShown: 'I agree to texts' } },
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
