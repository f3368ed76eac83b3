import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetaStandIn, type MetaStandIn } from './support/meta-standin.ts';
import { startTwilioStandIn, type TwilioStandIn } from './support/twilio-standin.ts';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Sender pacing through the running dispatcher: a saturated sender (Twilio SMS at 4 messages/s) never goes faster than
 * its rate, and does not hold up another sender (the WhatsApp Cloud API). Twilio and Meta are loopback stand-ins.
 * Exact rate accuracy is measured by `npm run bench`; this test checks behaviour with generous bounds.
 */
const RATE = 4;

describe.each(DATABASES)('sender pacing (%s)', (database) => {
  let h: Harness;
  let twilio: TwilioStandIn;
  let meta: MetaStandIn;
  let hook: string;

  beforeAll(async () => {
    twilio = await startTwilioStandIn({ accountSid: `AC${'5e'.repeat(16)}`, authToken: 'pacing_auth_token_0123456789' });
    meta = await startMetaStandIn({ phoneNumberId: '1065403522', accessToken: 'pacing_meta_token_0123456789', appSecret: 'pacing_meta_secret_012345678' });
    const port = await freePort();
    hook = `http://127.0.0.1:${String(port)}/v1/webhooks/whatsapp`;
    h = await createHarness(
      database,
      {
        PORT: String(port),
        WARDLINE_PUBLIC_URL: `http://127.0.0.1:${String(port)}`,
        TWILIO_ACCOUNT_SID: `AC${'5e'.repeat(16)}`,
        TWILIO_AUTH_TOKEN: 'pacing_auth_token_0123456789',
        TWILIO_FROM_NUMBER: '+15005550006',
        TWILIO_RATE_PER_SECOND: String(RATE),
        TWILIO_API_URL: twilio.url,
        WHATSAPP_PHONE_NUMBER_ID: '1065403522',
        WHATSAPP_ACCESS_TOKEN: 'pacing_meta_token_0123456789',
        WHATSAPP_APP_SECRET: 'pacing_meta_secret_012345678',
        WHATSAPP_VERIFY_TOKEN: 'pacing_verify_token_0123456789',
        WHATSAPP_GRAPH_URL: meta.url,
      },
      { listen: true },
    );
  });
  afterAll(async () => {
    await h?.container.worker.stop();
    await h?.close();
    await twilio?.close();
    await meta?.close();
  });

  it('keeps a saturated sender at its rate while another sender’s messages go at once', async () => {
    const smsPatient = await givenPatient(h, { consent: ['sms'] });
    const waPatient = await givenPatient(h, { consent: ['whatsapp'], whatsapp: true });
    expect((await meta.postInbound(hook, { from: waPatient.phone, text: 'Hello' })).status).toBe(200);
    const sms = 12;
    for (let i = 0; i < sms; i++) expect((await sendMessage(h, { patientId: smsPatient.id, body: `Paced ${String(i)}` })).statusCode).toBe(202);
    for (let i = 0; i < 3; i++) expect((await sendMessage(h, { patientId: waPatient.id, channel: 'whatsapp', body: `Unpaced ${String(i)}` })).statusCode).toBe(202);

    const started = performance.now();
    h.container.worker.start();
    while (twilio.sent.length < sms && performance.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));

    expect(twilio.sent).toHaveLength(sms);
    // The other sender was not held up behind the saturated one: all WhatsApp messages left before the SMS queue drained.
    expect(meta.sent).toHaveLength(3);
    const lastWhatsapp = Math.max(...meta.sent.map((s) => s.hrtime));
    const lastSms = Math.max(...twilio.sent.map((s) => s.hrtime));
    expect(lastWhatsapp).toBeLessThan(lastSms);
    // Never faster than the rate: no RATE + 1 arrivals within one second, less arrival jitter — times are taken where
    // the stand-in receives, and on a loaded CI machine one request was seen 72 ms late, so a window may look 15 %
    // short; unpaced, the same 5 arrivals take milliseconds. 12 messages at 4/s span about (12 − 1) / 4 s. Slots are
    // fixed in advance, so a first message delayed by a busy machine shortens the span without any window exceeding
    // the rate: the span check allows for that.
    const times = twilio.sent.map((s) => s.hrtime).sort((a, b) => a - b);
    for (let i = 0; i + RATE < times.length; i++) expect((times[i + RATE] ?? 0) - (times[i] ?? 0)).toBeGreaterThan(850);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThan(((sms - 1) / RATE) * 1000 - 250);
  });
});
