import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioStandIn, type TwilioStandIn } from './support/twilio-standin.ts';
import { givenPatient, grantConsent, nextPhone, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Wardline with Twilio as its carrier, end to end. Twilio's REST API cannot be reached from tests: a loopback stand-in
 * (test/support/twilio-standin.ts) speaks its documented wire format, the adapter drives it through the official
 * `twilio` SDK, and the stand-in calls Wardline's webhooks over a real socket, signed with the SDK's own helper.
 */
const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = 'twilio_test_auth_token_0123456789';
const SERVICE_SID = `MG${'b2'.repeat(16)}`;
const WHATSAPP_FROM = '+15005550006';

describe.each(DATABASES)('Twilio carrier (%s)', (database) => {
  let h: Harness;
  let twilio: TwilioStandIn;
  let base: string;
  let offsetMs = 0;

  beforeAll(async () => {
    twilio = await startTwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const port = await freePort();
    base = `http://127.0.0.1:${String(port)}`;
    h = await createHarness(
      database,
      {
        PORT: String(port),
        WARDLINE_PUBLIC_URL: base,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID,
        TWILIO_RCS: 'true',
        TWILIO_WHATSAPP_FROM: WHATSAPP_FROM,
        TWILIO_RATE_PER_SECOND: '0',
        TWILIO_WHATSAPP_RATE_PER_SECOND: '0',
        TWILIO_API_URL: twilio.url,
      },
      // Real time, moved forward by the test to reach retry backoffs.
      { listen: true, clock: { now: () => new Date(Date.now() + offsetMs) } },
    );
  });
  afterAll(async () => {
    await h?.close();
    await twilio?.close();
  });

  const statusUrl = (): string => `${base}/v1/webhooks/twilio/status`;
  const inboundUrl = (): string => `${base}/v1/webhooks/twilio/inbound`;

  async function message(id: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ status: string; statusReason: string | null; provider: string | null; timeline: { status: string }[] }>();
  }

  async function consentOf(patientId: string, channel: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/consents`, headers: h.admin });
    const body = res.json<{ current: { channel: string; purpose: string; state: { status: string; source?: string } }[] }>();
    return body.current.find((c) => c.channel === channel && c.purpose === 'care')?.state;
  }

  async function auditCount(action: string): Promise<number> {
    const row = await h.container.database.db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('action', '=', action)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function sendAndDispatch(patientId: string, extra: Omit<Parameters<typeof sendMessage>[1], 'patientId'> = {}) {
    const res = await sendMessage(h, { patientId, ...extra });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    await h.settle();
    const sent = twilio.sent.find((s) => s.statusCallback?.endsWith(`wl=${id}`));
    return { id, sent };
  }

  it('sends SMS through the Messaging Service with a status callback that names the message, and follows signed callbacks', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const { id, sent } = await sendAndDispatch(p.id, { body: 'Your appointment is tomorrow at 9:30.' });
    expect(sent).toMatchObject({ to: p.phone, messagingServiceSid: SERVICE_SID, body: 'Your appointment is tomorrow at 9:30.' });
    expect(sent?.statusCallback).toBe(`${statusUrl()}?wl=${id}`);
    expect(await message(id)).toMatchObject({ status: 'sending', provider: 'twilio' });
    const sid = sent?.sid ?? '';
    expect(await twilio.callback(sid, 'sent')).toBe(204);
    expect(await twilio.callback(sid, 'delivered')).toBe(204);
    expect((await message(id)).timeline.map((t) => t.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
  });

  it('never moves a message backwards: out-of-order and late callbacks are ignored, read stays read', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const { id, sent } = await sendAndDispatch(p.id);
    const sid = sent?.sid ?? '';
    expect(await twilio.callback(sid, 'read')).toBe(204);
    expect(await twilio.callback(sid, 'delivered')).toBe(204);
    expect(await twilio.callback(sid, 'sent')).toBe(204);
    expect(await twilio.callback(sid, 'undelivered', '30003')).toBe(204);
    expect(await message(id)).toMatchObject({ status: 'read' });
  });

  it('refuses forged, unsigned and replayed callbacks with nothing changed, and audits each as a security event', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const { id, sent } = await sendAndDispatch(p.id);
    const params = { MessageSid: sent?.sid ?? '', MessageStatus: 'delivered', AccountSid: ACCOUNT_SID, To: p.phone };
    const rejectedBefore = await auditCount('webhook.rejected');

    const forged = await twilio.post(`${statusUrl()}?wl=${id}`, params, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    const unsigned = await twilio.post(`${statusUrl()}?wl=${id}`, params, { signature: null });
    expect(unsigned.status).toBe(403);
    // Signed for another URL (the signature covers the URL Twilio called).
    const otherUrl = await twilio.post(`${statusUrl()}?wl=${id}&x=1`, params, { signature: undefined });
    expect(otherUrl.status).toBe(204);
    expect((await message(id)).status).toBe('delivered');
    expect(await auditCount('webhook.rejected')).toBe(rejectedBefore + 2);

    const replay = await twilio.post(`${statusUrl()}?wl=${id}&x=1`, params);
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.body)).toMatchObject({ code: 'WEBHOOK_REPLAYED' });
  });

  it('answers unknown message ids 404, bodies not in Twilio’s format 400 and huge bodies 413, changing nothing', async () => {
    const unknown = await twilio.post(statusUrl(), { MessageSid: `SM${'0f'.repeat(16)}`, MessageStatus: 'delivered', AccountSid: ACCOUNT_SID });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'UNKNOWN_PROVIDER_MESSAGE' });
    const malformed = await twilio.post(statusUrl(), { Hello: 'world' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID' });
    const huge = await twilio.post(inboundUrl(), { MessageSid: `SM${'0e'.repeat(16)}`, From: '+14155550100', Body: 'x'.repeat(300_000) });
    expect(huge.status).toBe(413);
  });

  it('records Twilio 21610 (the patient replied STOP at Twilio) as an opt-out on both phone channels', async () => {
    const p = await givenPatient(h, { consent: ['sms', 'text'] });
    twilio.failNext((req) => req.to === p.phone, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const res = await sendMessage(h, { patientId: p.id });
    const id = res.json<{ id: string }>().id;
    await h.settle();
    expect(await message(id)).toMatchObject({ status: 'failed', statusReason: 'twilio:21610' });
    expect(await consentOf(p.id, 'sms')).toMatchObject({ status: 'revoked', source: 'carrier_optout' });
    expect(await consentOf(p.id, 'text')).toMatchObject({ status: 'revoked', source: 'carrier_optout' });
    const again = await sendMessage(h, { patientId: p.id });
    expect(again.json<{ code: string }>().code).toBe('CONSENT_REVOKED');
  });

  it('marks a number Twilio reports unknown (30005) undeliverable until the patient writes from it', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const { id, sent } = await sendAndDispatch(p.id);
    expect(await twilio.callback(sent?.sid ?? '', 'undelivered', '30005')).toBe(204);
    expect(await message(id)).toMatchObject({ status: 'failed', statusReason: 'twilio:30005' });
    const refused = await sendMessage(h, { patientId: p.id });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ code: string }>().code).toBe('CONTACT_POINT_UNDELIVERABLE');

    const wrote = await twilio.post(inboundUrl(), { MessageSid: `SM${'1a'.repeat(16)}`, AccountSid: ACCOUNT_SID, From: p.phone, To: '+15005550001', Body: 'It is me, new phone same number', NumMedia: '0' });
    expect(wrote.status).toBe(200);
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    await h.settle();
  });

  it('applies a STOP that Twilio’s Advanced Opt-Out matched, without a second confirmation', async () => {
    const p = await givenPatient(h, { consent: ['sms', 'text'] });
    const toPatient = () => twilio.sent.filter((s) => s.to === p.phone).length;
    const before = toPatient();
    const res = await twilio.post(inboundUrl(), { MessageSid: `SM${'2b'.repeat(16)}`, AccountSid: ACCOUNT_SID, From: p.phone, To: '+15005550001', Body: 'Stop', OptOutType: 'STOP', NumMedia: '0' });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<Response/>');
    expect(await consentOf(p.id, 'sms')).toMatchObject({ status: 'revoked', source: 'sms_keyword' });
    expect(await consentOf(p.id, 'text')).toMatchObject({ status: 'revoked' });
    await h.settle();
    expect(toPatient()).toBe(before);
  });

  it('keeps a reply from an unknown number for staff review, unlinked', async () => {
    const res = await twilio.post(inboundUrl(), { MessageSid: `SM${'3c'.repeat(16)}`, AccountSid: ACCOUNT_SID, From: nextPhone(), To: '+15005550001', Body: 'Who is this?', NumMedia: '0' });
    expect(res.status).toBe(200);
    const queue = await h.app.inject({ method: 'GET', url: '/v1/inbound?needsReview=true', headers: h.admin });
    const items = queue.json<{ items: { patientId: string | null; reviewReason: string | null }[] }>().items;
    expect(items.some((i) => i.patientId === null)).toBe(true);
  });

  it('sends text as RCS with SMS fallback only where SMS consent exists, and MMS media', async () => {
    const withSms = await givenPatient(h, { consent: ['sms', 'text'] });
    const textOnly = await givenPatient(h, { consent: ['text'] });
    const a = await sendAndDispatch(withSms.id, { channel: 'text', body: 'Your prescription is ready.' });
    const b = await sendAndDispatch(textOnly.id, { channel: 'text', body: 'Your prescription is ready.', mediaUrls: ['https://files.hospital.example/map.png'] });
    expect(a.sent?.to).toBe(withSms.phone);
    expect(b.sent?.to).toBe(`rcs:${textOnly.phone}`);
    expect(b.sent?.mediaUrls).toEqual(['https://files.hospital.example/map.png']);
    // A handset without RCS: with no SMS consent there is no fallback, and the message says why.
    expect(await twilio.callback(b.sent?.sid ?? '', 'undelivered', '63106')).toBe(204);
    expect(await message(b.id)).toMatchObject({ status: 'failed', statusReason: 'RCS_UNAVAILABLE_NO_SMS_CONSENT' });
  });

  it('sends WhatsApp through Twilio inside the window the patient opened', async () => {
    const p = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    const wrote = await twilio.post(inboundUrl(), { MessageSid: `SM${'4d'.repeat(16)}`, AccountSid: ACCOUNT_SID, From: `whatsapp:${p.phone}`, To: `whatsapp:${WHATSAPP_FROM}`, Body: 'Hello', ProfileName: 'Ada', WaId: p.phone.slice(1), NumMedia: '0' });
    expect(wrote.status).toBe(200);
    const { sent } = await sendAndDispatch(p.id, { channel: 'whatsapp', body: 'Hello from the clinic' });
    expect(sent).toMatchObject({ to: `whatsapp:${p.phone}`, from: `whatsapp:${WHATSAPP_FROM}` });
  });

  it('never sends twice: a send whose answer was lost is reconciled with Twilio before any retry', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    twilio.hangUpNext();
    const res = await sendMessage(h, { patientId: p.id, body: 'Lost answer, one message only' });
    const id = res.json<{ id: string }>().id;
    await h.settle();
    const stored = twilio.sent.filter((s) => s.statusCallback?.endsWith(`wl=${id}`));
    expect(stored).toHaveLength(1);
    expect((await message(id)).provider).toBeNull();
    offsetMs += 5_000; // past the first backoff
    await h.settle();
    expect(twilio.sent.filter((s) => s.statusCallback?.endsWith(`wl=${id}`))).toHaveLength(1);
    const after = await message(id);
    expect(after.provider).toBe('twilio');
    expect(await twilio.callback(stored[0]?.sid ?? '', 'delivered')).toBe(204);
  });

  it('retries after a throughput refusal (429) and then sends once', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    twilio.failNext((req) => req.to === p.phone, { status: 429, code: 20429, message: 'Too Many Requests' });
    const res = await sendMessage(h, { patientId: p.id });
    const id = res.json<{ id: string }>().id;
    await h.settle();
    expect((await message(id)).status).toBe('sending');
    offsetMs += 5_000;
    await h.settle();
    expect(twilio.sent.filter((s) => s.statusCallback?.endsWith(`wl=${id}`))).toHaveLength(1);
    expect((await message(id)).provider).toBe('twilio');
  });

  it('keeps phone numbers and bodies out of the logs', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    await grantConsent(h, p.id, 'text');
    await sendAndDispatch(p.id, { body: 'CANARY_TWILIO_BODY_7731' });
    const logs = h.logs();
    expect(logs).not.toContain('CANARY_TWILIO_BODY_7731');
    expect(logs).not.toContain(p.phone);
    expect(logs).not.toContain(AUTH_TOKEN);
  });
});
