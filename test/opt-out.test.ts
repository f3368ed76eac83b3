import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, grantConsent, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

interface ConsentState { status: string; source?: string }
interface ConsentOverview {
  current: { channel: string; purpose: string; state: ConsentState }[];
  history: { channel: string; purpose: string; status: string; source: string; evidence: { capturedBy?: string } }[];
}

describe.each(DATABASES)('patient opt-out and opt-in by reply (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  const newPatient = (opts: { whatsapp?: boolean } = {}) => givenPatient(h, opts);
  const grant = (patientId: string, channel = 'sms', source = 'intake_form') => grantConsent(h, patientId, channel, source);
  const send = (patientId: string, body?: string, channel: 'sms' | 'text' | 'whatsapp' = 'sms') =>
    sendMessage(h, { patientId, channel, ...(body === undefined ? {} : { body }) });

  async function reply(from: string, body: string, channel = 'sms') {
    const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from, channel, body } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string; intent: string; needsReview: boolean; replyMessageId: string | null }>();
  }

  async function consents(patientId: string): Promise<ConsentOverview> {
    const res = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/consents`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<ConsentOverview>();
  }

  function stateOf(o: ConsentOverview, channel: string, purpose = 'care'): ConsentState {
    const row = o.current.find((c) => c.channel === channel && c.purpose === purpose);
    if (row === undefined) throw new Error(`no consent row for ${channel}/${purpose}`);
    return row.state;
  }

  function inbox(phone: string) {
    return h.container.simulator!.inbox(phone);
  }

  async function message(id: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ status: string; statusReason: string | null; timeline: { status: string }[] }>();
  }

  it.each(['STOP', ' stop! ', 'Stop'])('revokes sms consent at once when the patient replies %j', async (word) => {
    const p = await newPatient();
    expect((await grant(p.id)).statusCode).toBe(201);
    const out = await reply(p.phone, word);
    expect(out.intent).toBe('opt-out');
    const o = await consents(p.id);
    expect(stateOf(o, 'sms')).toMatchObject({ status: 'revoked', source: 'sms_keyword' });
    for (const purpose of ['care', 'billing', 'marketing']) expect(stateOf(o, 'sms', purpose).status).toBe('revoked');
    expect(o.history.at(-1)).toMatchObject({ status: 'revoked', source: 'sms_keyword' });
  });

  it('sends exactly one opt-out confirmation, even when the patient repeats STOP', async () => {
    const p = await newPatient();
    await grant(p.id);
    const first = await reply(p.phone, 'STOP');
    expect(first.replyMessageId).not.toBeNull();
    await h.settle();
    expect(inbox(p.phone)).toHaveLength(1);
    expect(inbox(p.phone)[0]!.body).toContain('unsubscribed');
    const second = await reply(p.phone, 'STOP');
    expect(second.replyMessageId).toBeNull();
    await h.settle();
    expect(inbox(p.phone)).toHaveLength(1);
  });

  it('cancels messages queued before the STOP with CONSENT_REVOKED and never delivers them', async () => {
    const p = await newPatient();
    await grant(p.id);
    const a = await send(p.id, 'Queued message one');
    const b = await send(p.id, 'Queued message two');
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    await reply(p.phone, 'STOP');
    await h.settle();
    for (const res of [a, b]) {
      const m = await message(res.json<{ id: string }>().id);
      expect(m.status).toBe('cancelled');
      expect(m.statusReason).toBe('CONSENT_REVOKED');
      expect(m.timeline.map((t) => t.status)).toEqual(['queued', 'cancelled']);
    }
    const bodies = inbox(p.phone).map((m) => m.body);
    expect(bodies).toHaveLength(1);
    expect(bodies.some((body) => body.includes('Queued message'))).toBe(false);
  });

  it('refuses the next send after a STOP with 409 CONSENT_REVOKED', async () => {
    const p = await newPatient();
    await grant(p.id);
    await reply(p.phone, 'STOP');
    const res = await send(p.id);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REVOKED');
  });

  it.each(['START', 'UNSTOP', 'YES'])('re-grants care when the patient replies %s, and sends succeed again', async (word) => {
    const p = await newPatient();
    await grant(p.id);
    await reply(p.phone, 'STOP');
    await h.settle();
    const out = await reply(p.phone, word);
    expect(out.intent).toBe('opt-in');
    expect(stateOf(await consents(p.id), 'sms')).toMatchObject({ status: 'granted', source: 'sms_keyword' });
    const res = await send(p.id, 'Welcome back message');
    expect(res.statusCode).toBe(202);
    await h.settle();
    const bodies = inbox(p.phone).map((m) => m.body);
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toContain('unsubscribed');
    // The opt-in confirmation and the new message are dispatched together, in no guaranteed order.
    expect(bodies.slice(1).some((b) => b.includes('subscribed to messages again'))).toBe(true);
    expect(bodies.slice(1)).toContain('Welcome back message');
    expect((await message(res.json<{ id: string }>().id)).status).toBe('read');
  });

  it.each(['HELP', 'INFO'])('answers %s with the organisation name and how to stop', async (word) => {
    const p = await newPatient();
    await grant(p.id);
    const out = await reply(p.phone, word);
    expect(out.intent).toBe('help');
    await h.settle();
    const bodies = inbox(p.phone).map((m) => m.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('Wardline Demo Hospital');
    expect(bodies[0]).toContain('STOP');
    expect(stateOf(await consents(p.id), 'sms').status).toBe('granted');
  });

  it('treats "please stop texting me" as a revocation', async () => {
    const p = await newPatient();
    await grant(p.id);
    const out = await reply(p.phone, 'please stop texting me');
    expect(out.intent).toBe('opt-out');
    expect(stateOf(await consents(p.id), 'sms')).toMatchObject({ status: 'revoked', source: 'sms_keyword' });
    expect((await send(p.id)).json<{ code: string }>().code).toBe('CONSENT_REVOKED');
  });

  it('does not revoke on "can you stop by tomorrow?" and puts it in the review queue', async () => {
    const p = await newPatient();
    await grant(p.id);
    const out = await reply(p.phone, 'can you stop by tomorrow?');
    expect(out.intent).not.toBe('opt-out');
    expect(out.needsReview).toBe(true);
    expect(stateOf(await consents(p.id), 'sms').status).toBe('granted');
    const queue = await h.app.inject({ method: 'GET', url: '/v1/inbound?needsReview=true', headers: h.admin });
    expect(queue.statusCode).toBe(200);
    const items = queue.json<{ items: { id: string; needsReview: boolean; patientId: string | null }[] }>().items;
    const item = items.find((i) => i.id === out.id);
    expect(item).toBeDefined();
    expect(item).toMatchObject({ needsReview: true, patientId: p.id });
    expect((await send(p.id)).statusCode).toBe(202);
  });

  it('leaves WhatsApp consent untouched when the patient sends STOP by SMS (which stops both phone channels)', async () => {
    const p = await newPatient({ whatsapp: true });
    await grant(p.id, 'sms');
    await grant(p.id, 'whatsapp');
    await reply(p.phone, 'STOP', 'sms');
    const o = await consents(p.id);
    expect(stateOf(o, 'sms').status).toBe('revoked');
    expect(stateOf(o, 'whatsapp')).toMatchObject({ status: 'granted', source: 'intake_form' });
    expect(stateOf(o, 'text').status).toBe('revoked');
    // Free text on WhatsApp needs the patient's own message within 24 hours (the customer service window).
    await reply(p.phone, 'Thanks, see you then', 'whatsapp');
    expect((await send(p.id, 'WhatsApp still works', 'whatsapp')).statusCode).toBe(202);
  });

  it('cancels queued messages on a staff-recorded revoke and keeps who captured it', async () => {
    const p = await newPatient();
    await grant(p.id);
    const queued = await send(p.id, 'Queued before phone revoke');
    expect(queued.statusCode).toBe(202);
    const revoke = await h.app.inject({
      method: 'POST',
      url: `/v1/patients/${p.id}/consents`,
      headers: h.admin,
      payload: { channel: 'sms', status: 'revoked', source: 'phone', evidence: { capturedBy: 'Nurse Joy' } },
    });
    expect(revoke.statusCode).toBe(201);
    expect(revoke.json<{ cancelledMessages: number }>().cancelledMessages).toBe(1);
    await h.settle();
    const m = await message(queued.json<{ id: string }>().id);
    expect(m).toMatchObject({ status: 'cancelled', statusReason: 'CONSENT_REVOKED' });
    expect(inbox(p.phone)).toHaveLength(0);
    const o = await consents(p.id);
    expect(stateOf(o, 'sms')).toMatchObject({ status: 'revoked', source: 'phone' });
    const last = o.history.at(-1)!;
    expect(last).toMatchObject({ status: 'revoked', source: 'phone' });
    expect(last.evidence.capturedBy).toBe('Nurse Joy');
  });

  it('refuses a staff grant after a patient opt-out with CONSENT_REGRANT_REQUIRES_PATIENT', async () => {
    const p = await newPatient();
    await grant(p.id);
    await reply(p.phone, 'STOP');
    const res = await grant(p.id, 'sms', 'staff');
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('CONSENT_REGRANT_REQUIRES_PATIENT');
    expect(stateOf(await consents(p.id), 'sms').status).toBe('revoked');
  });
});
