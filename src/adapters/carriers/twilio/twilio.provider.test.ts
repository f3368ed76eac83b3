import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTwilioStandIn, type TwilioStandIn } from '../../../../test/support/twilio-standin.ts';
import type { OutboundEnvelope, SendResult } from '../../../app/ports.ts';
import type { E164, MessageId } from '../../../core/ids.ts';
import { phi, reveal } from '../../../core/phi/phi.ts';
import { Secret } from '../../../secret.ts';
import { createTwilioProvider, type TwilioProviderOptions } from './twilio.provider.ts';

/**
 * The Twilio adapter driven through the official `twilio` SDK against a loopback stand-in for Twilio's REST API
 * (test/support/twilio-standin.ts), which tests cannot reach. Assertions look at what the stand-in received.
 */
const ACCOUNT_SID = `AC${'1f'.repeat(16)}`;
const AUTH_TOKEN = 'standin_auth_token_9f8e7d6c5b4a';
const API_KEY = { sid: `SK${'2e'.repeat(16)}`, secret: 'standin_api_key_secret_0a1b2c3d' };
const SERVICE_SID = `MG${'3d'.repeat(16)}`;
const FROM = '+15005550006';
const WHATSAPP_FROM = '+15005550009';
const CALLBACK = 'https://wardline.hospital.example/v1/webhooks/twilio/status';
const CONTENT_SID = `HX${'4c'.repeat(16)}`;

let standIn: TwilioStandIn;
let counter = 0;

beforeAll(async () => {
  standIn = await startTwilioStandIn({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    apiKey: API_KEY,
    services: [
      { sid: SERVICE_SID, friendlyName: 'Clinic reminders', statusCallback: null, usecase: 'notifications' },
    ],
    phoneNumbers: [FROM],
    contentTemplates: { [CONTENT_SID]: 'Your appointment is on {{1}} at {{2}}.' },
  });
});
afterAll(async () => {
  await standIn.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function provider(overrides: Partial<TwilioProviderOptions> = {}) {
  return createTwilioProvider({
    accountSid: ACCOUNT_SID,
    credentials: { authToken: new Secret(AUTH_TOKEN) },
    messagingServiceSid: SERVICE_SID,
    from: null,
    whatsappFrom: WHATSAPP_FROM,
    rcs: false,
    statusCallbackUrl: CALLBACK,
    apiBaseUrl: standIn.url,
    timeoutMs: 2_000,
    ...overrides,
  });
}

/** A fresh patient number per test, so reconcile never sees another test's messages. */
function nextNumber(): string {
  counter += 1;
  return `+1415777${String(1000 + counter).padStart(4, '0')}`;
}

function envelope(
  overrides: Partial<Omit<OutboundEnvelope, 'to' | 'body' | 'mediaUrls'>> & {
    to?: string;
    body?: string;
    mediaUrls?: string[];
  } = {},
): OutboundEnvelope {
  const { to, body, mediaUrls, ...rest } = overrides;
  return {
    messageId: crypto.randomUUID() as MessageId,
    channel: 'sms',
    to: phi((to ?? nextNumber()) as E164),
    body: phi(body ?? 'Your appointment is tomorrow at 9:30.'),
    mediaUrls: phi(mediaUrls ?? []),
    smsFallback: true,
    template: null,
    ...rest,
  };
}

/** The test's own fixture number (tests may read their fixtures; the adapter must keep them out of results). */
const to = (e: OutboundEnvelope): string => reveal(e.to);

async function sendOk(p: ReturnType<typeof provider>, e: OutboundEnvelope) {
  const result = await p.send(e);
  expect(result).toMatchObject({ ok: true });
  const sid = (result as Extract<SendResult, { ok: true }>).providerMessageId;
  expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
  const stored = standIn.message(sid);
  expect(stored).toBeDefined();
  return stored!;
}

describe('send: what each channel puts on the wire', () => {
  it('sends SMS through the Messaging Service with a status callback naming the message', async () => {
    const e = envelope();
    const m = await sendOk(provider({ validityPeriodSeconds: 600 }), e);
    expect(m.params).toEqual({
      To: to(e),
      MessagingServiceSid: SERVICE_SID,
      Body: 'Your appointment is tomorrow at 9:30.',
      StatusCallback: `${CALLBACK}?wl=${e.messageId}`,
      ValidityPeriod: '600',
    });
    expect(m.status).toBe('accepted');
  });

  it('sends SMS from the configured number when there is no Messaging Service', async () => {
    const e = envelope();
    const m = await sendOk(provider({ messagingServiceSid: null, from: FROM }), e);
    expect(m.params).toMatchObject({ To: to(e), From: FROM, Body: 'Your appointment is tomorrow at 9:30.' });
    expect(m.params).not.toHaveProperty('MessagingServiceSid');
    expect(m.status).toBe('queued');
  });

  it('pins SMS to the SMS number when the service has an RCS sender (it would try RCS first)', async () => {
    const e = envelope();
    const m = await sendOk(provider({ rcs: true, from: FROM }), e);
    expect(m.params).toMatchObject({ To: to(e), MessagingServiceSid: SERVICE_SID, From: FROM });
  });

  it('sends text with media as MMS (one MediaUrl parameter per URL)', async () => {
    const e = envelope({
      channel: 'text',
      body: 'Map to the clinic',
      mediaUrls: ['https://files.hospital.example/a.png', 'https://files.hospital.example/b.png'],
    });
    const m = await sendOk(provider(), e);
    expect(m.params).toMatchObject({
      To: to(e),
      Body: 'Map to the clinic',
      MediaUrl: ['https://files.hospital.example/a.png', 'https://files.hospital.example/b.png'],
    });
  });

  it('with RCS, sends text to the plain number (RCS, then SMS fallback) only when fallback is allowed', async () => {
    const p = provider({ rcs: true });
    const withFallback = envelope({ channel: 'text', smsFallback: true });
    expect((await sendOk(p, withFallback)).params).toMatchObject({
      To: to(withFallback),
      MessagingServiceSid: SERVICE_SID,
    });
    const rcsOnly = envelope({
      channel: 'text',
      smsFallback: false,
      mediaUrls: ['https://files.hospital.example/map.png'],
    });
    const m = await sendOk(p, rcsOnly);
    expect(m.params).toMatchObject({
      To: `rcs:${to(rcsOnly)}`,
      MessagingServiceSid: SERVICE_SID,
      MediaUrl: 'https://files.hospital.example/map.png',
    });
    expect(m.params).not.toHaveProperty('From');
  });

  it('without RCS, text never gets the rcs: prefix', async () => {
    const e = envelope({ channel: 'text', smsFallback: false });
    expect((await sendOk(provider({ rcs: false }), e)).params).toMatchObject({ To: to(e) });
  });

  it('sends WhatsApp free text from the WhatsApp sender', async () => {
    const e = envelope({ channel: 'whatsapp', body: 'Hello from the clinic' });
    const m = await sendOk(provider(), e);
    expect(m.params).toMatchObject({
      To: `whatsapp:${to(e)}`,
      From: `whatsapp:${WHATSAPP_FROM}`,
      Body: 'Hello from the clinic',
    });
    expect(m.params).not.toHaveProperty('MessagingServiceSid');
  });

  it('sends a WhatsApp template as ContentSid + ContentVariables {"1": …, "2": …}, without Body', async () => {
    const e = envelope({
      channel: 'whatsapp',
      template: { name: CONTENT_SID, language: 'en_US', parameters: phi(['12 May', '09:30']) },
    });
    const m = await sendOk(provider(), e);
    expect(m.params).toMatchObject({
      To: `whatsapp:${to(e)}`,
      From: `whatsapp:${WHATSAPP_FROM}`,
      ContentSid: CONTENT_SID,
    });
    expect(JSON.parse(String(m.params['ContentVariables']))).toEqual({ '1': '12 May', '2': '09:30' });
    expect(m.params).not.toHaveProperty('Body');
  });

  it('refuses, without calling Twilio, a template that is not a Content SID and WhatsApp without a sender', async () => {
    const before = standIn.requests.length;
    const bad = envelope({
      channel: 'whatsapp',
      template: { name: 'appointment_reminder', language: 'en', parameters: phi([]) },
    });
    expect(await provider().send(bad)).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: 'TWILIO_TEMPLATE_NOT_CONTENT_SID',
    });
    expect(await provider({ whatsappFrom: null }).send(envelope({ channel: 'whatsapp' }))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: 'TWILIO_NO_WHATSAPP_SENDER',
    });
    expect(standIn.requests.length).toBe(before);
  });

  it('authenticates with an API key of the account', async () => {
    const p = provider({ credentials: { apiKeySid: API_KEY.sid, apiKeySecret: new Secret(API_KEY.secret) } });
    await sendOk(p, envelope());
  });
});

describe('send: failures', () => {
  it('maps 21610 (replied STOP) to a rejected, non-retryable 21610', async () => {
    const e = envelope();
    standIn.failNext(to(e), {
      status: 400,
      code: 21610,
      message: 'Attempt to send to unsubscribed recipient',
    });
    expect(await provider().send(e)).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: '21610',
    });
  });

  it('maps Twilio’s own validation errors (21211 invalid To) to rejected', async () => {
    expect(await provider().send(envelope({ to: '+1234' }))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: '21211',
    });
  });

  it('maps 429 to rejected and retryable, with Retry-After', async () => {
    const e = envelope();
    standIn.failNext(to(e), { status: 429, code: 20429, message: 'Too Many Requests', retryAfterSeconds: 7 });
    expect(await provider().send(e)).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: true,
      errorCode: '20429',
      retryAfterMs: 7000,
    });
  });

  it('maps 5xx to an unknown outcome, retryable; HTTP_<status> when Twilio sent no code', async () => {
    const a = envelope();
    standIn.failNext(to(a), { status: 500, code: 20500, message: 'Internal Server Error' });
    expect(await provider().send(a)).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: '20500',
    });
    const b = envelope();
    standIn.failNext(to(b), { status: 503 });
    expect(await provider().send(b)).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: 'HTTP_503',
    });
  });

  it('maps wrong credentials to rejected 20003', async () => {
    const p = provider({ credentials: { authToken: new Secret('wrong_token_0000000000') } });
    expect(await p.send(envelope())).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: '20003',
    });
  });

  it('maps a refused connection to NETWORK and a timeout to TIMEOUT, both unknown and retryable, never throwing', async () => {
    const closed = await startTwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const url = closed.url;
    await closed.close();
    expect(await provider({ apiBaseUrl: url }).send(envelope())).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: 'NETWORK',
    });

    standIn.delayMs = 500;
    try {
      expect(await provider({ timeoutMs: 100 }).send(envelope())).toEqual({
        ok: false,
        outcome: 'unknown',
        retryable: true,
        errorCode: 'TIMEOUT',
      });
    } finally {
      standIn.delayMs = 0;
    }
  });
});

describe('reconcile: never twice', () => {
  it('after a connection reset, finds the message Twilio stored (same sid); a retry is not needed', async () => {
    const p = provider();
    const e = envelope({ body: 'Lost answer, one message only' });
    const since = new Date();
    standIn.hangUpNext({ match: to(e) });
    expect(await p.send(e)).toEqual({ ok: false, outcome: 'unknown', retryable: true, errorCode: 'NETWORK' });
    const stored = standIn.sent.filter((s) => s.statusCallback === `${CALLBACK}?wl=${e.messageId}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.dateSent).toBeNull(); // still queued at Twilio: no DateSent filter can see it
    expect(await p.reconcile(e, since)).toEqual({ found: true, providerMessageId: stored[0]?.sid });
  });

  it('after a timeout, finds a sent message beyond the first page through the DateSent filter (paged)', async () => {
    const p = provider({ messagingServiceSid: null, from: FROM, timeoutMs: 200, reconcilePageSize: 2 });
    const number = nextNumber();
    const history = [];
    for (const body of ['Earlier one', 'Earlier two', 'Earlier three']) {
      history.push(await sendOk(p, envelope({ to: number, body })));
    }
    const e = envelope({ to: number, body: 'Timed out, sent anyway' });
    const since = new Date();
    standIn.hangUpNext({ match: number, mode: 'timeout' });
    expect(await p.send(e)).toMatchObject({ ok: false, outcome: 'unknown', errorCode: 'TIMEOUT' });
    const stored = standIn.sent.find((s) => s.statusCallback === `${CALLBACK}?wl=${e.messageId}`)!;
    stored.status = 'sent';
    stored.dateSent = new Date();
    // The history was sent later still: it fills the first page of the undated listing.
    for (const m of history) {
      m.status = 'delivered';
      m.dateSent = new Date(Date.now() + 10_000);
    }
    const before = standIn.requests.length;
    expect(await p.reconcile(e, since)).toEqual({ found: true, providerMessageId: stored.sid });
    const reads = standIn.requests.slice(before).map((r) => r.path);
    expect(reads.some((path) => path.includes('DateSent%3E='))).toBe(true);
    expect(reads.some((path) => path.includes('Page=1'))).toBe(true);
    // Not found while the recipient's list does not fit one page: a queued message could hide beyond it.
    expect(await p.reconcile(envelope({ to: number, body: 'Never sent' }), since)).toEqual({
      found: false,
      certain: false,
    });
  });

  it('answers found:false, certain:true for a message Twilio never got (hang-up before storing, or never sent)', async () => {
    const p = provider();
    const e = envelope();
    const since = new Date();
    standIn.hangUpNext({ match: to(e), store: false });
    expect(await p.send(e)).toMatchObject({ ok: false, outcome: 'unknown' });
    expect(await p.reconcile(e, since)).toEqual({ found: false, certain: true });
    expect(await p.reconcile(envelope(), since)).toEqual({ found: false, certain: true });
  });

  it('does not take another message for this one: other body, other media, other sender, or older than since', async () => {
    const p = provider();
    const number = nextNumber();
    await sendOk(p, envelope({ to: number, body: 'First reminder' }));
    const since = new Date(Date.now() + 60_000);
    expect(await p.reconcile(envelope({ to: number, body: 'First reminder' }), since)).toEqual({
      found: false,
      certain: true,
    });
    const now = new Date(Date.now() - 1000);
    expect(await p.reconcile(envelope({ to: number, body: 'Second reminder' }), now)).toEqual({
      found: false,
      certain: true,
    });
    expect(
      await p.reconcile(
        envelope({
          to: number,
          body: 'First reminder',
          channel: 'text',
          mediaUrls: ['https://x.example/a.png'],
        }),
        now,
      ),
    ).toEqual({ found: false, certain: true });
    expect(
      await provider({ messagingServiceSid: null, from: FROM }).reconcile(
        envelope({ to: number, body: 'First reminder' }),
        now,
      ),
    ).toEqual({ found: false, certain: true });
  });

  it('is uncertain when two identical messages match, or for a template (Twilio stores the rendered text)', async () => {
    const p = provider();
    const number = nextNumber();
    const since = new Date(Date.now() - 1000);
    await sendOk(p, envelope({ to: number, body: 'Same words' }));
    await sendOk(p, envelope({ to: number, body: 'Same words' }));
    expect(await p.reconcile(envelope({ to: number, body: 'Same words' }), since)).toEqual({
      found: false,
      certain: false,
    });

    const template = envelope({
      to: number,
      channel: 'whatsapp',
      template: { name: CONTENT_SID, language: 'en', parameters: phi(['1 June', '10:00']) },
    });
    expect(await p.reconcile(template, since)).toEqual({ found: false, certain: true });
    await sendOk(p, template);
    expect(await p.reconcile(template, since)).toEqual({ found: false, certain: false });
  });

  it('tolerates Smart Encoding of the stored body', async () => {
    const p = provider();
    const e = envelope({ body: 'Don’t forget — bring your card…' });
    const since = new Date();
    const m = await sendOk(p, e);
    (m as { body: string | null }).body = "Don't forget - bring your card...";
    expect(await p.reconcile(e, since)).toEqual({ found: true, providerMessageId: m.sid });
  });

  it('answers found:false, certain:false when Twilio cannot be asked', async () => {
    const p = provider({ credentials: { authToken: new Secret('wrong_token_0000000000') } });
    expect(await p.reconcile(envelope(), new Date())).toEqual({ found: false, certain: false });
  });
});

describe('check: read-only configuration check', () => {
  it('verifies the account, the Messaging Service, the number and names the WhatsApp sender, sending nothing', async () => {
    const before = standIn.requests.length;
    const items = await provider({ from: FROM }).check();
    expect(items.map((i) => [i.name, i.ok])).toEqual([
      ['account', true],
      ['messaging service', true],
      ['phone number', true],
      ['whatsapp sender', true],
    ]);
    expect(items[1]?.detail).toContain('TWILIO_MESSAGING_SERVICE_SID');
    expect(items[1]?.detail).toContain('notifications');
    expect(items[1]?.detail).toContain('has no status callback');
    expect(items[3]?.detail).toContain('TWILIO_WHATSAPP_FROM');
    const calls = standIn.requests.slice(before);
    expect(calls.every((r) => r.method === 'GET')).toBe(true);
    expect(calls.map((r) => r.domain)).toContain('messaging');
    expect(JSON.stringify(items)).not.toContain(AUTH_TOKEN); // Twilio's Account resource carries the auth token
  });

  it('names TWILIO_AUTH_TOKEN when Twilio refuses the credentials, without printing them', async () => {
    const items = await provider({
      credentials: { authToken: new Secret('wrong_token_0000000000') },
    }).check();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ name: 'account', ok: false });
    expect(items[0]?.detail).toContain('TWILIO_AUTH_TOKEN');
    expect(items[0]?.detail).toContain('20003');
    expect(JSON.stringify(items)).not.toContain('wrong_token_0000000000');
  });

  it('names TWILIO_MESSAGING_SERVICE_SID when the service does not exist', async () => {
    const unknown = `MG${'9a'.repeat(16)}`;
    const items = await provider({ messagingServiceSid: unknown }).check();
    expect(items.find((i) => i.name === 'messaging service')).toMatchObject({ ok: false });
    expect(items.find((i) => i.name === 'messaging service')?.detail).toMatch(
      /TWILIO_MESSAGING_SERVICE_SID.*404/,
    );
  });

  it('names TWILIO_FROM_NUMBER when the number is not the account’s, and reports a suspended account', async () => {
    const items = await provider({
      messagingServiceSid: null,
      from: '+15005550001',
      whatsappFrom: null,
    }).check();
    expect(items.find((i) => i.name === 'phone number')).toMatchObject({ ok: false });
    expect(items.find((i) => i.name === 'phone number')?.detail).toContain('TWILIO_FROM_NUMBER');

    const suspended = await startTwilioStandIn({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      accountStatus: 'suspended',
    });
    try {
      const result = await provider({ apiBaseUrl: suspended.url }).check();
      expect(result[0]).toMatchObject({ name: 'account', ok: false });
      expect(result[0]?.detail).toContain('suspended');
    } finally {
      await suspended.close();
    }
  });
});

describe('configuration', () => {
  it('refuses RCS without a Messaging Service, no sender at all, and a relative callback URL', () => {
    expect(() => provider({ rcs: true, messagingServiceSid: null, from: FROM })).toThrow(/TWILIO_RCS/);
    expect(() => provider({ messagingServiceSid: null, from: null, whatsappFrom: null })).toThrow(
      /TWILIO_MESSAGING_SERVICE_SID/,
    );
    expect(() => provider({ statusCallbackUrl: '/v1/webhooks/twilio/status' })).toThrow(/absolute/);
  });
});

describe('PHI canary', () => {
  const PHONE = '+14155550199';
  const BODY = 'CANARY_BODY_ONCOLOGY_RESULTS_4471';

  it('keeps the number and the body out of failed results, thrown errors and the SDK’s logging', async () => {
    vi.stubEnv('TWILIO_LOG_LEVEL', 'debug'); // the SDK would print request parameters at debug level
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const p = provider();
    const results: unknown[] = [];
    // Twilio quotes the number (and we make the stand-in quote the body) in its error message.
    standIn.failNext(PHONE, {
      status: 400,
      code: 21211,
      message: `The 'To' number ${PHONE} is not valid for "${BODY}"`,
    });
    results.push(await p.send(envelope({ to: PHONE, body: BODY })));
    standIn.failNext(PHONE, { status: 500, message: `upstream failed for ${PHONE}: ${BODY}` });
    results.push(await p.send(envelope({ to: PHONE, body: BODY })));
    standIn.hangUpNext({ match: PHONE });
    results.push(await p.send(envelope({ to: PHONE, body: BODY })));
    results.push(
      await provider({ credentials: { authToken: new Secret('wrong_token_0000000000') } }).reconcile(
        envelope({ to: PHONE, body: BODY }),
        new Date(),
      ),
    );
    results.push(
      await provider({ messagingServiceSid: `MG${'0b'.repeat(16)}` }).send(
        envelope({ to: PHONE, body: BODY }),
      ),
    );

    const text = JSON.stringify(results);
    expect(results.every((r) => typeof r === 'object' && r !== null)).toBe(true);
    expect(text).not.toContain(PHONE);
    expect(text).not.toContain(PHONE.slice(2));
    expect(text).not.toContain(BODY);
    const logged = JSON.stringify(log.mock.calls);
    expect(logged).not.toContain(PHONE.slice(2));
    expect(logged).not.toContain(BODY);

    const thrown: string[] = [];
    for (const bad of [
      { rcs: true, messagingServiceSid: null, from: FROM },
      { statusCallbackUrl: 'nope' },
    ] as const) {
      try {
        provider(bad);
      } catch (error) {
        thrown.push(String(error), JSON.stringify(error));
      }
    }
    expect(thrown).toHaveLength(4);
    expect(thrown.join('\n')).not.toContain(PHONE);
  });
});
