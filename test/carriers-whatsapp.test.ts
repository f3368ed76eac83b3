import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetaStandIn, type MetaStandIn } from './support/meta-standin.ts';
import { givenPatient, nextPhone, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Wardline with the WhatsApp Cloud API, end to end. Meta's Graph API cannot be reached from tests: a loopback stand-in
 * (test/support/meta-standin.ts) speaks its documented wire format and posts webhooks signed like Meta
 * (X-Hub-Signature-256 = HMAC-SHA256 of the raw body with the app secret) to Wardline over a real socket.
 */
const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'meta_test_access_token_0123456789';
const APP_SECRET = 'meta_test_app_secret_0123456789ab';
const VERIFY_TOKEN = 'meta_test_verify_token_0123456789';

describe.each(DATABASES)('WhatsApp Cloud API carrier (%s)', (database) => {
  let h: Harness;
  let meta: MetaStandIn;
  let hook: string;

  beforeAll(async () => {
    const port = await freePort();
    hook = `http://127.0.0.1:${String(port)}/v1/webhooks/whatsapp`;
    meta = await startMetaStandIn({ phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });
    h = await createHarness(
      database,
      {
        PORT: String(port),
        WARDLINE_PUBLIC_URL: `http://127.0.0.1:${String(port)}`,
        WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
        WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
        WHATSAPP_APP_SECRET: APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
        WHATSAPP_RATE_PER_SECOND: '0',
        WHATSAPP_GRAPH_URL: meta.url,
      },
      { listen: true },
    );
  });
  afterAll(async () => {
    await h?.close();
    await meta?.close();
  });

  async function message(id: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ status: string; statusReason: string | null; provider: string | null }>();
  }

  async function stateOf(patientId: string, purpose: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}/consents`, headers: h.admin });
    return res.json<{ current: { channel: string; purpose: string; state: { status: string; source?: string } }[] }>().current.find(
      (c) => c.channel === 'whatsapp' && c.purpose === purpose,
    )?.state;
  }

  /** A patient with WhatsApp consent who has just written (the 24-hour window is open). */
  async function talkingPatient() {
    const p = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    const wrote = await meta.postInbound(hook, { from: p.phone, text: 'Hello, a question about my visit' });
    expect(wrote.status).toBe(200);
    return p;
  }

  it('sends an approved template outside the 24-hour window as a Meta template, parameters in order; inside it, as text', async () => {
    const p = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    const send = () =>
      h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId: p.id, channel: 'whatsapp', template: { id: 'prescription_ready', params: { pharmacy_name: 'Main Street Pharmacy' } } } });
    const outside = await send();
    expect(outside.statusCode).toBe(202);
    await h.settle();
    const asTemplate = meta.sent.find((s) => s.bizOpaque === outside.json<{ id: string }>().id);
    expect(asTemplate?.type).toBe('template');
    expect(asTemplate?.template).toEqual({ name: 'wardline_prescription_ready', language: 'en_US', parameters: ['Ada', 'Wardline Demo Hospital', 'Main Street Pharmacy', 'call 555-0100'] });
    expect((await message(outside.json<{ id: string }>().id)).status).not.toBe('failed');

    expect((await meta.postInbound(hook, { from: p.phone, text: 'Thanks' })).status).toBe(200);
    const inside = await send();
    await h.settle();
    const asText = meta.sent.find((s) => s.bizOpaque === inside.json<{ id: string }>().id);
    expect(asText?.type).toBe('text');
    expect(asText?.body).toBe('Hello Ada, your prescription from Wardline Demo Hospital is ready for pickup at Main Street Pharmacy. Questions: call 555-0100.');
  });

  it('answers Meta’s verification handshake only with the right verify token', async () => {
    const ok = await meta.handshake(hook, VERIFY_TOKEN, 'challenge-1158201444');
    expect(ok).toEqual({ status: 200, body: 'challenge-1158201444' });
    expect((await meta.handshake(hook, 'wrong_verify_token_000000000', 'c')).status).toBe(403);
    expect((await meta.handshake(hook, VERIFY_TOKEN, 'c', 'unsubscribe')).status).toBe(403);
  });

  it('refuses free text outside the 24-hour window up front; inside it, sends with Wardline’s id as the callback data', async () => {
    const p = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    const closed = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Hello' });
    expect(closed.json<{ code: string }>().code).toBe('WHATSAPP_WINDOW_CLOSED');
    expect((await meta.postInbound(hook, { from: p.phone, text: 'Hi there' })).status).toBe(200);
    const sent = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Thanks for writing' });
    expect(sent.statusCode).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await h.settle();
    const out = meta.sent.find((s) => s.bizOpaque === id);
    expect(out).toMatchObject({ to: p.phone.slice(1), type: 'text', body: 'Thanks for writing' });
    expect(await meta.postStatus(hook, { wamid: out?.wamid ?? '', status: 'delivered', bizOpaque: id })).toMatchObject({ status: 200 });
    expect(await meta.postStatus(hook, { wamid: out?.wamid ?? '', status: 'read', bizOpaque: id })).toMatchObject({ status: 200 });
    expect(await meta.postStatus(hook, { wamid: out?.wamid ?? '', status: 'sent', bizOpaque: id })).toMatchObject({ status: 200 });
    expect(await message(id)).toMatchObject({ status: 'read', provider: 'whatsapp-cloud' });
  });

  it('fails a message Meta refuses for the closed window (131047) with a clear reason', async () => {
    const p = await talkingPatient();
    meta.failNext((req) => req.to === p.phone.slice(1), { httpStatus: 400, code: 131047, message: 'Re-engagement message' });
    const id = (await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Late reply' })).json<{ id: string }>().id;
    await h.settle();
    expect(await message(id)).toMatchObject({ status: 'failed', statusReason: 'WHATSAPP_WINDOW_CLOSED' });
  });

  it('records 131050 and the user_preferences stop as a marketing-only opt-out', async () => {
    const p = await talkingPatient();
    const id = (await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Care message' })).json<{ id: string }>().id;
    await h.settle();
    const wamid = meta.sent.find((s) => s.bizOpaque === id)?.wamid ?? '';
    expect((await meta.postStatus(hook, { wamid, status: 'failed', errorCode: 131050, bizOpaque: id })).status).toBe(200);
    expect(await stateOf(p.id, 'marketing')).toMatchObject({ status: 'revoked', source: 'carrier_optout' });
    expect(await stateOf(p.id, 'care')).toMatchObject({ status: 'granted' });

    const q = await talkingPatient();
    expect((await meta.postUserPreference(hook, { waId: q.phone.slice(1), value: 'stop' })).status).toBe(200);
    expect(await stateOf(q.id, 'marketing')).toMatchObject({ status: 'revoked', source: 'carrier_optout' });
    expect(await stateOf(q.id, 'care')).toMatchObject({ status: 'granted' });
  });

  it('treats STOP typed on WhatsApp as a full WhatsApp opt-out', async () => {
    const p = await talkingPatient();
    expect((await meta.postInbound(hook, { from: p.phone, text: 'STOP' })).status).toBe(200);
    expect(await stateOf(p.id, 'care')).toMatchObject({ status: 'revoked', source: 'whatsapp_optout' });
    expect(await stateOf(p.id, 'marketing')).toMatchObject({ status: 'revoked' });
  });

  it('keeps a message from an unknown WhatsApp number for review, unlinked', async () => {
    expect((await meta.postInbound(hook, { from: nextPhone(), text: 'Is this the clinic?' })).status).toBe(200);
    const queue = await h.app.inject({ method: 'GET', url: '/v1/inbound?needsReview=true', headers: h.admin });
    expect(queue.json<{ items: { patientId: string | null; channel: string }[] }>().items.some((i) => i.patientId === null && i.channel === 'whatsapp')).toBe(true);
  });

  it('flags a message from a WhatsApp user known only by username (no number) for review instead of dropping it', async () => {
    const res = await meta.postInbound(hook, { from: null, text: 'STOP' });
    expect(res.status).toBe(200);
    const row = await h.container.database.db
      .selectFrom('audit_event')
      .select(['action', 'reason'])
      .where('reason', '=', 'whatsapp-user-without-number')
      .executeTakeFirst();
    expect(row).toMatchObject({ action: 'inbound.flagged' });
  });

  it('refuses unsigned, forged, tampered, stale and replayed webhooks, and bodies not in Meta’s format', async () => {
    const p = await talkingPatient();
    const id = (await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Status target' })).json<{ id: string }>().id;
    await h.settle();
    const wamid = meta.sent.find((s) => s.bizOpaque === id)?.wamid ?? '';
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: PHONE_NUMBER_ID }, statuses: [{ id: wamid, status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: p.phone.slice(1), biz_opaque_callback_data: id }] } }] }],
    });
    expect((await meta.postRaw(hook, body, null)).status).toBe(403);
    expect((await meta.postRaw(hook, body, `sha256=${'0'.repeat(64)}`)).status).toBe(403);
    expect((await meta.postRaw(hook, body.replace('delivered', 'read'), undefined)).status).toBe(200);
    expect((await message(id)).status).toBe('read');
    const stale = await meta.postStatus(hook, { wamid, status: 'read', bizOpaque: id, timestamp: Math.floor(Date.now() / 1000) - 8 * 24 * 3600 });
    expect(stale.status).toBe(403);
    expect(JSON.parse(stale.body)).toMatchObject({ code: 'WEBHOOK_STALE' });
    const replay = await meta.postRaw(hook, body.replace('delivered', 'read'), undefined);
    expect(replay.status).toBe(409);
    const notMeta = await meta.postRaw(hook, JSON.stringify({ object: 'page', entry: 'nope' }), undefined);
    expect(notMeta.status).toBe(400);
    const notJson = await meta.postRaw(hook, '{"object":', undefined);
    expect(notJson.status).toBe(400);
    const unknown = await meta.postStatus(hook, { wamid: 'wamid.unknown0000', status: 'delivered' });
    expect(unknown.status).toBe(404);
  });

  it('keeps numbers, bodies and secrets out of the logs', async () => {
    const p = await talkingPatient();
    await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'CANARY_WA_BODY_5521' });
    await h.settle();
    const logs = h.logs();
    expect(logs).not.toContain('CANARY_WA_BODY_5521');
    expect(logs).not.toContain(p.phone);
    expect(logs).not.toContain(p.phone.slice(1));
    expect(logs).not.toContain(ACCESS_TOKEN);
    expect(logs).not.toContain(APP_SECRET);
  });
});
