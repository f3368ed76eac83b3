import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepMissedDetections } from '../src/app/incident-detection.ts';
import { startTwilioStandIn, type TwilioStandIn } from './support/twilio-standin.ts';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Issue 7 detection through a real carrier's webhooks (the Twilio stand-in of test/support/twilio-standin.ts, signed
 * callbacks over a socket): a wrong-number reply opens one draft however often Twilio delivers it; a number Twilio
 * reports unknown (30005) or refuses at send (21211) after an earlier delivery opens a carrier-report draft.
 */
const ACCOUNT_SID = `AC${'c3'.repeat(16)}`;
const AUTH_TOKEN = 'twilio_test_auth_token_incidents_01';
const SERVICE_SID = `MG${'d4'.repeat(16)}`;

describe.each(DATABASES)('incident detection through Twilio webhooks (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness;
  let twilio: TwilioStandIn;
  let base: string;

  beforeAll(async () => {
    twilio = await startTwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const port = await freePort();
    base = `http://127.0.0.1:${String(port)}`;
    h = await createHarness(
      database,
      { PORT: String(port), WARDLINE_PUBLIC_URL: base, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID, TWILIO_RATE_PER_SECOND: '0', TWILIO_API_URL: twilio.url },
      { listen: true },
    );
  });
  afterAll(async () => {
    await h?.close();
    await twilio?.close();
  });

  const inboundUrl = (): string => `${base}/v1/webhooks/twilio/inbound`;

  async function incidentsOf(patientId: string): Promise<{ id: string; source: string; messages: number }[]> {
    const res = await h.app.inject({ method: 'GET', url: '/v1/incidents', headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: { id: string; source: string; messages: number; patientIds: string[] }[] }>().items.filter((i) => i.patientIds.includes(patientId));
  }

  async function delivered(patientId: string): Promise<string> {
    const res = await sendMessage(h, { patientId });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    await h.settle();
    const sent = twilio.sent.find((s) => s.statusCallback?.endsWith(`wl=${id}`));
    expect(await twilio.callback(sent?.sid ?? '', 'delivered')).toBe(204);
    return id;
  }

  it('opens one draft for a wrong-number reply, however often Twilio delivers it', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    await delivered(p.id);
    const params = { MessageSid: `SM${'5e'.repeat(16)}`, AccountSid: ACCOUNT_SID, From: p.phone, To: '+15005550001', Body: 'who is this?', NumMedia: '0' };
    expect((await twilio.inbound(inboundUrl(), params)).status).toBe(200);
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'patient-reply', messages: 1 });
    // The same delivery replayed, and Twilio's retry of the same message (same MessageSid, a new request).
    await twilio.inbound(inboundUrl(), params);
    await twilio.inbound(inboundUrl(), { ...params, ApiVersion: '2010-04-01' });
    expect(await incidentsOf(p.id)).toHaveLength(1);
    const stored = await h.container.database.db.selectFrom('inbound_message').select('id').where('provider_message_id', '=', params.MessageSid).execute();
    expect(stored.length).toBeGreaterThanOrEqual(2); // the retry reached Wardline as a reply of its own
    expect(await sweepMissedDetections(h.container.deps)).toBe(0);
    const alerts = await h.container.database.db.selectFrom('security_event').select('details').where('kind', '=', 'incident.opened').execute();
    expect(alerts.filter((a) => a.details['incidentId'] === list[0]!.id)).toHaveLength(1);
  });

  it('opens a carrier-report draft when Twilio reports the number unknown (30005) after an earlier delivery', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    const first = await delivered(p.id);
    const res = await sendMessage(h, { patientId: p.id });
    const id = res.json<{ id: string }>().id;
    await h.settle();
    const sent = twilio.sent.find((s) => s.statusCallback?.endsWith(`wl=${id}`));
    expect(await twilio.callback(sent?.sid ?? '', 'undelivered', '30005')).toBe(204);
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'carrier-report', messages: 1 });
    const detail = await h.app.inject({ method: 'GET', url: `/v1/incidents/${list[0]!.id}`, headers: h.admin });
    expect(detail.json<{ messages: { messageId: string }[] }>().messages.map((m) => m.messageId)).toEqual([first]);
  });

  it('opens one when Twilio refuses the number at send (21211) after an earlier delivery', async () => {
    const p = await givenPatient(h, { consent: ['sms'] });
    await delivered(p.id);
    twilio.failNext((req) => req.to === p.phone, { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
    await h.settle();
    const list = await incidentsOf(p.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'carrier-report' });
  });
});
