import { createServer, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioStandIn, type TwilioStandIn } from '../../../../test/support/twilio-standin.ts';
import type { E164, MessageId } from '../../../core/ids.ts';
import { phi } from '../../../core/phi/phi.ts';
import { Secret } from '../../../secret.ts';
import { createTwilioProvider } from './twilio.provider.ts';
import { parseTwilioInbound, parseTwilioStatusCallback, verifyTwilioSignature } from './twilio.webhooks.ts';

/**
 * The Twilio stand-in's own contract (test/support/twilio-standin.ts): its webhooks are signed the way Twilio signs
 * them and parse with the adapter's parsers, and its REST answers have Twilio's shapes. Wardline's webhook routes are
 * tested end to end in test/carriers-twilio.test.ts; here a bare loopback server plays Wardline.
 */
const ACCOUNT_SID = `AC${'5b'.repeat(16)}`;
const AUTH_TOKEN = 'standin_contract_token_55555555';
const SERVICE_SID = `MG${'6a'.repeat(16)}`;

interface Received {
  url: string;
  signature: string | undefined;
  params: Record<string, string>;
}

let standIn: TwilioStandIn;
let receiver: ReturnType<typeof createServer>;
let base: string;
const received: Received[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      resolve(text);
    });
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readBody(req).then((text) => {
      const signature = req.headers['x-twilio-signature'];
      received.push({
        url: `${base}${req.url ?? ''}`,
        signature: typeof signature === 'string' ? signature : undefined,
        params: Object.fromEntries(new URLSearchParams(text)),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${String(address.port)}`;
  standIn = await startTwilioStandIn({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    autoCallbacks: ['sent', 'delivered'],
  });
});
afterAll(async () => {
  await standIn.close();
  await new Promise<void>((resolve) =>
    receiver.close(() => {
      resolve();
    }),
  );
});

const provider = () =>
  createTwilioProvider({
    accountSid: ACCOUNT_SID,
    credentials: { authToken: new Secret(AUTH_TOKEN) },
    messagingServiceSid: SERVICE_SID,
    from: null,
    whatsappFrom: null,
    rcs: false,
    statusCallbackUrl: `${base}/status`,
    apiBaseUrl: standIn.url,
  });

const envelope = (to: string) => ({
  messageId: crypto.randomUUID() as MessageId,
  channel: 'sms' as const,
  to: phi(to as E164),
  body: phi('Your results are ready to view.'),
  mediaUrls: phi<readonly string[]>([]),
  smsFallback: true,
  template: null,
});

describe('Twilio stand-in', () => {
  it('fires signed status callbacks (sent, delivered) that the adapter verifies and parses', async () => {
    received.length = 0;
    const e = envelope('+14155550111');
    const result = await provider().send(e);
    if (!result.ok) throw new Error('send failed');
    await standIn.idle();
    expect(received.map((r) => r.params['MessageStatus'])).toEqual(['sent', 'delivered']);
    for (const r of received) {
      expect(r.url).toBe(`${base}/status?wl=${e.messageId}`);
      expect(verifyTwilioSignature(new Secret(AUTH_TOKEN), r.signature, r.url, r.params)).toBe(true);
      expect(parseTwilioStatusCallback(r.params).providerMessageId).toBe(result.providerMessageId);
    }
    expect(received[1]?.params).toMatchObject({
      MessageSid: result.providerMessageId,
      SmsSid: result.providerMessageId,
      AccountSid: ACCOUNT_SID,
      MessagingServiceSid: SERVICE_SID,
      To: '+14155550111',
      SmsStatus: 'delivered',
      ApiVersion: '2010-04-01',
    });
    expect(received[1]?.params['RawDlrDoneDate']).toMatch(/^\d{10}$/);
    expect(standIn.message(result.providerMessageId)?.status).toBe('delivered');
    expect(standIn.callbackErrors).toEqual([]);
  });

  it('sends callbacks with an error code, and signed inbound messages', async () => {
    received.length = 0;
    const result = await provider().send(envelope('+14155550112'));
    if (!result.ok) throw new Error('send failed');
    await standIn.idle();
    expect(await standIn.callback(result.providerMessageId, 'undelivered', '30003')).toBe(204);
    expect(parseTwilioStatusCallback(received.at(-1)?.params ?? {})).toMatchObject({
      status: 'failed',
      errorCode: '30003',
    });

    const res = await standIn.inbound(`${base}/inbound`, {
      MessageSid: `SM${'7c'.repeat(16)}`,
      AccountSid: ACCOUNT_SID,
      From: 'whatsapp:+14155550113',
      To: 'whatsapp:+15005550006',
      Body: 'Hi',
      ProfileName: 'Ada',
      WaId: '14155550113',
      NumMedia: '0',
    });
    expect(res.status).toBe(204);
    const last = received.at(-1)!;
    expect(verifyTwilioSignature(new Secret(AUTH_TOKEN), last.signature, last.url, last.params)).toBe(true);
    expect(parseTwilioInbound(last.params).channel).toBe('whatsapp');

    await standIn.post(`${base}/inbound`, { A: 'b' }, { signature: null });
    expect(received.at(-1)?.signature).toBeUndefined();
  });

  it('answers with Twilio’s shapes: the Message resource, its errors and the paged list', async () => {
    const auth = {
      authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const path = `${standIn.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
    const created = await fetch(path, {
      method: 'POST',
      headers: auth,
      body: new URLSearchParams({
        To: '+14155550114',
        MessagingServiceSid: SERVICE_SID,
        Body: 'Hello',
      }).toString(),
    });
    expect(created.status).toBe(201);
    const message = (await created.json()) as Record<string, unknown>;
    expect(message).toMatchObject({
      account_sid: ACCOUNT_SID,
      status: 'accepted',
      from: null,
      num_segments: '0',
      num_media: '0',
      date_sent: null,
      direction: 'outbound-api',
      messaging_service_sid: SERVICE_SID,
    });
    expect(message['sid']).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message['date_created']).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
    );

    const missing = await fetch(path, { method: 'POST', headers: auth, body: 'Body=Hello' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      code: 21604,
      message: "A 'To' phone number is required.",
      more_info: 'https://www.twilio.com/docs/errors/21604',
      status: 400,
    });
    const noBody = await fetch(path, {
      method: 'POST',
      headers: auth,
      body: new URLSearchParams({ To: '+14155550114', MessagingServiceSid: SERVICE_SID }).toString(),
    });
    expect(await noBody.json()).toMatchObject({ code: 21602, status: 400 });
    const unauthorized = await fetch(path, {
      method: 'POST',
      headers: { ...auth, authorization: 'Basic eDp5' },
      body: 'To=%2B14155550114',
    });
    expect(await unauthorized.json()).toMatchObject({ code: 20003, status: 401 });

    await fetch(path, {
      method: 'POST',
      headers: auth,
      body: new URLSearchParams({
        To: '+14155550114',
        MessagingServiceSid: SERVICE_SID,
        Body: 'Again',
      }).toString(),
    });
    const page0 = (await (
      await fetch(`${path}?To=%2B14155550114&PageSize=1`, { headers: auth })
    ).json()) as Record<string, unknown>;
    expect(page0).toMatchObject({ page: 0, page_size: 1, start: 0, end: 0, previous_page_uri: null });
    expect(page0['messages']).toHaveLength(1);
    expect(String(page0['next_page_uri'])).toContain('Page=1');
    const dated = (await (
      await fetch(`${path}?To=%2B14155550114&DateSent%3E=2000-01-01`, { headers: auth })
    ).json()) as { messages: unknown[] };
    expect(dated.messages).toEqual([]); // not sent yet: no date_sent, so no DateSent filter matches
  });

  it('fails `times` matching sends, hangs up on the next n, and routes the messaging domain under /messaging', async () => {
    const p = createTwilioProvider({
      accountSid: ACCOUNT_SID,
      credentials: { apiKeySid: `SK${'7c'.repeat(16)}`, apiKeySecret: new Secret('any_key_secret') },
      messagingServiceSid: SERVICE_SID,
      from: null,
      whatsappFrom: null,
      rcs: false,
      statusCallbackUrl: `${base}/status`,
      apiBaseUrl: standIn.url,
    });
    const number = '+14155550177';
    standIn.failNext((req) => req.to === number, { status: 400, code: 21610 }, 2);
    const rejected = { ok: false, outcome: 'rejected', retryable: false, errorCode: '21610' };
    expect(await p.send(envelope(number))).toEqual(rejected);
    expect(await p.send(envelope(number))).toEqual(rejected);
    expect(await p.send(envelope(number))).toMatchObject({ ok: true });

    const before = standIn.sent.length;
    standIn.hangUpNext(2);
    expect(await p.send(envelope(number))).toMatchObject({ ok: false, outcome: 'unknown', errorCode: 'NETWORK' });
    expect(await p.send(envelope(number))).toMatchObject({ ok: false, outcome: 'unknown', errorCode: 'NETWORK' });
    expect(standIn.sent.length).toBe(before + 2); // stored, then the socket was destroyed
    expect(await p.send(envelope(number))).toMatchObject({ ok: true });

    const reads = standIn.requests.length;
    expect((await p.check()).map((i) => i.ok)).toEqual([true, true]);
    expect(standIn.requests.slice(reads).map((r) => r.path)).toEqual([
      `/2010-04-01/Accounts/${ACCOUNT_SID}.json`,
      `/messaging/v1/Services/${SERVICE_SID}`,
    ]);
  });
});
