import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMetaStandIn, type MetaStandIn } from '../../../../test/support/meta-standin.ts';
import type { OutboundEnvelope, SendResult, TemplateSend } from '../../../app/ports.ts';
import type { Channel } from '../../../core/messaging/channel.ts';
import type { E164, MessageId } from '../../../core/ids.ts';
import { phi } from '../../../core/phi/phi.ts';
import { Secret } from '../../../secret.ts';
import {
  classifyGraphError,
  createWhatsAppCloudProvider,
  DEFAULT_GRAPH_API_VERSION,
  retryAfterMs,
} from './whatsapp-cloud.provider.ts';

/**
 * The Cloud API adapter over real HTTP against a loopback stand-in for Meta's Graph API
 * (test/support/meta-standin.ts), which tests cannot reach. Assertions look at what the stand-in received.
 */
const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAG_standin_access_token_5f4e3d2c1b';
const APP_SECRET = 'standin_app_secret_0a1b2c3d4e5f';

let meta: MetaStandIn;
let counter = 0;

beforeAll(async () => {
  meta = await startMetaStandIn({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
  });
});
afterAll(async () => {
  await meta.close();
});

function provider(
  overrides: {
    accessToken?: string;
    phoneNumberId?: string;
    timeoutMs?: number;
    graphBaseUrl?: string;
    apiVersion?: string;
  } = {},
): ReturnType<typeof createWhatsAppCloudProvider> {
  return createWhatsAppCloudProvider({
    phoneNumberId: overrides.phoneNumberId ?? PHONE_NUMBER_ID,
    accessToken: new Secret(overrides.accessToken ?? ACCESS_TOKEN),
    graphBaseUrl: overrides.graphBaseUrl ?? meta.url,
    ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
    ...(overrides.apiVersion === undefined ? {} : { apiVersion: overrides.apiVersion }),
  });
}

/** A fresh recipient per test, so scripted failures never match another test's send. */
function nextPhone(): E164 {
  counter += 1;
  return `+1650555${String(1000 + counter).padStart(4, '0')}` as E164;
}

function envelope(
  to: E164,
  options: { body?: string; template?: TemplateSend | null; channel?: Channel } = {},
): OutboundEnvelope {
  return {
    messageId: crypto.randomUUID() as MessageId,
    channel: options.channel ?? 'whatsapp',
    to: phi(to),
    body: phi(options.body ?? 'You have a new message from Riverside Clinic. Open the portal to read it.'),
    mediaUrls: phi([]),
    smsFallback: false,
    template: options.template ?? null,
  };
}

function sentTo(to: E164): MetaStandIn['sent'][number] | undefined {
  return meta.sent.find((s) => s.to === to.slice(1));
}

describe('send', () => {
  it('sends free text with the recipient as digits and Wardline id as biz_opaque_callback_data', async () => {
    const to = nextPhone();
    const env = envelope(to, { body: 'Your results are ready in the portal.' });
    const result = await provider().send(env);
    const received = sentTo(to);
    expect(received).toMatchObject({
      to: to.slice(1),
      type: 'text',
      body: 'Your results are ready in the portal.',
      template: null,
      bizOpaque: env.messageId,
    });
    expect(result).toEqual({ ok: true, providerMessageId: received?.wamid });
    expect(received?.wamid).toMatch(/^wamid\.[A-Za-z0-9_-]+$/);
  });

  it('sends exactly the documented JSON (text and template) with the bearer token', async () => {
    const bodies: unknown[] = [];
    const headers: (string | undefined)[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        headers.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: 'wamid.X' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
      const p = provider({ graphBaseUrl: base });
      const text = envelope('+16505551234' as E164, { body: 'Hello' });
      await p.send(text);
      const template = envelope('+16505551234' as E164, {
        template: { name: 'appointment_reminder', language: 'en_US', parameters: phi(['Tuesday', '10:30']) },
      });
      await p.send(template);
      const bare = envelope('+16505551234' as E164, {
        template: { name: 'portal_notice', language: 'es', parameters: phi([]) },
      });
      await p.send(bare);
      expect(headers[0]).toBe(
        `POST /${DEFAULT_GRAPH_API_VERSION}/${PHONE_NUMBER_ID}/messages Bearer ${ACCESS_TOKEN}`,
      );
      expect(bodies).toEqual([
        {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '16505551234',
          type: 'text',
          text: { body: 'Hello', preview_url: false },
          biz_opaque_callback_data: text.messageId,
        },
        {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '16505551234',
          type: 'template',
          template: {
            name: 'appointment_reminder',
            language: { code: 'en_US' },
            components: [
              {
                type: 'body',
                parameters: [
                  { type: 'text', text: 'Tuesday' },
                  { type: 'text', text: '10:30' },
                ],
              },
            ],
          },
          biz_opaque_callback_data: template.messageId,
        },
        {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '16505551234',
          type: 'template',
          template: { name: 'portal_notice', language: { code: 'es' } },
          biz_opaque_callback_data: bare.messageId,
        },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
  });

  it('sends a template the stand-in accepts, with its parameters in order', async () => {
    const to = nextPhone();
    const result = await provider().send(
      envelope(to, {
        template: { name: 'appointment_reminder', language: 'en_US', parameters: phi(['Tuesday', '10:30']) },
      }),
    );
    expect(result.ok).toBe(true);
    expect(sentTo(to)).toMatchObject({
      type: 'template',
      body: null,
      template: { name: 'appointment_reminder', language: 'en_US', parameters: ['Tuesday', '10:30'] },
    });
  });

  it('refuses a channel other than whatsapp without calling Meta', async () => {
    const to = nextPhone();
    const result = await provider().send(envelope(to, { channel: 'sms' }));
    expect(result).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: 'CHANNEL_NOT_SUPPORTED',
    });
    expect(sentTo(to)).toBeUndefined();
  });

  it.each([
    [131047, 400, false],
    [131050, 400, false],
    [131026, 400, false],
    [132001, 404, false],
    [100, 400, false],
    [130429, 400, true],
    [131056, 400, true],
    [80007, 400, true],
    [4, 400, true],
  ])('maps Graph error %i (HTTP %i) to rejected, retryable %s', async (code, httpStatus, retryable) => {
    const to = nextPhone();
    meta.failNext((req) => req.to === to.slice(1), { httpStatus, code });
    const result = await provider().send(envelope(to));
    expect(result).toEqual({ ok: false, outcome: 'rejected', retryable, errorCode: String(code) });
    expect(sentTo(to)).toBeUndefined();
  });

  it('maps HTTP 429 to retryable with Retry-After', async () => {
    const to = nextPhone();
    meta.failNext((req) => req.to === to.slice(1), { httpStatus: 429, code: 130429 });
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: true,
      errorCode: '130429',
      retryAfterMs: 2000,
    });
  });

  it('maps a bad token (190) to rejected, not retryable', async () => {
    const result = await provider({ accessToken: 'EAAG_wrong_token' }).send(envelope(nextPhone()));
    expect(result).toEqual({ ok: false, outcome: 'rejected', retryable: false, errorCode: '190' });
  });

  it('maps HTTP 5xx to unknown and retryable', async () => {
    const to = nextPhone();
    meta.failNext((req) => req.to === to.slice(1), { httpStatus: 500, code: 131000 });
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: '131000',
    });
    const other = nextPhone();
    meta.failNext((req) => req.to === other.slice(1), { httpStatus: 503, code: 2 });
    expect(await provider().send(envelope(other))).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: '2',
    });
  });

  it('maps a reset connection to NETWORK and a slow answer to TIMEOUT, both unknown (Meta may have accepted it)', async () => {
    const to = nextPhone();
    meta.hangUpNext();
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'unknown',
      retryable: true,
      errorCode: 'NETWORK',
    });
    expect(sentTo(to)).toBeDefined();
    meta.delayMs = 300;
    try {
      expect(await provider({ timeoutMs: 50 }).send(envelope(nextPhone()))).toEqual({
        ok: false,
        outcome: 'unknown',
        retryable: true,
        errorCode: 'TIMEOUT',
      });
    } finally {
      meta.delayMs = 0;
    }
  });

  it('maps an unreachable Graph API to NETWORK', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    const result = await provider({ graphBaseUrl: `http://127.0.0.1:${String(port)}` }).send(
      envelope(nextPhone()),
    );
    expect(result).toEqual({ ok: false, outcome: 'unknown', retryable: true, errorCode: 'NETWORK' });
  });

  it('canary: a failing send result never carries the number or the body, even when Meta quotes them', async () => {
    const to = nextPhone();
    const body = 'Canary body: HbA1c 9.1 for Jane Roe';
    meta.failNext((req) => req.to === to.slice(1), {
      httpStatus: 400,
      code: 131026,
      message: `Message undeliverable to ${to}: "${body}"`,
    });
    const results: SendResult[] = [await provider().send(envelope(to, { body }))];
    meta.failNext((req) => req.to === to.slice(1), {
      httpStatus: 500,
      code: 1,
      message: `Internal error for ${to.slice(1)} ${body}`,
    });
    results.push(await provider().send(envelope(to, { body })));
    meta.hangUpNext();
    results.push(await provider().send(envelope(to, { body })));
    for (const result of results) {
      expect(result.ok).toBe(false);
      const texts = [
        JSON.stringify(result),
        inspect(result, { depth: 10 }),
        String(Object.values(result)),
      ].join('\n');
      expect(texts).not.toContain(to.slice(1));
      expect(texts).not.toContain(body);
      expect(texts).not.toContain('HbA1c');
      expect(texts).not.toContain(ACCESS_TOKEN);
    }
  });
});

describe('reconcile', () => {
  it('is never certain: the Cloud API cannot list sent messages', async () => {
    const to = nextPhone();
    const env = envelope(to);
    await provider().send(env);
    expect(await provider().reconcile(env, new Date(Date.now() - 60_000))).toEqual({
      found: false,
      certain: false,
    });
  });
});

describe('check', () => {
  it('reports the token, the phone number, its quality rating and throughput, sending nothing', async () => {
    const before = meta.sent.length;
    const items = await provider().check();
    expect(meta.sent).toHaveLength(before);
    expect(items).toEqual([
      { name: 'access token', ok: true, detail: 'accepted' },
      { name: 'phone number id', ok: true, detail: 'found …3881 (Wardline Stand-in Clinic)' },
      { name: 'quality rating', ok: true, detail: 'GREEN' },
      { name: 'throughput', ok: true, detail: 'STANDARD' },
    ]);
    expect(JSON.stringify(items)).not.toContain('555-078-3881');
  });

  it('names WHATSAPP_ACCESS_TOKEN when the token is refused, without printing it', async () => {
    const items = await provider({ accessToken: 'EAAG_wrong_token' }).check();
    expect(items).toEqual([
      {
        name: 'access token',
        ok: false,
        detail: 'WHATSAPP_ACCESS_TOKEN is invalid or expired (Graph error 190).',
      },
    ]);
    expect(JSON.stringify(items)).not.toContain('EAAG_wrong_token');
  });

  it('names WHATSAPP_PHONE_NUMBER_ID when the id is unknown', async () => {
    const items = await provider({ phoneNumberId: '999999999999999' }).check();
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({ name: 'access token', ok: true, detail: 'accepted' });
    expect(items[1]?.ok).toBe(false);
    expect(items[1]?.detail).toMatch(/^WHATSAPP_PHONE_NUMBER_ID not found/);
  });

  it('reports an unreachable Graph API without throwing', async () => {
    meta.delayMs = 300;
    try {
      const items = await provider({ timeoutMs: 50 }).check();
      expect(items).toEqual([expect.objectContaining({ name: 'graph api', ok: false })]);
    } finally {
      meta.delayMs = 0;
    }
  });
});

/** A one-off loopback server answering every request with `handler`, for answers the stand-in does not script. */
async function withServer<T>(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  fn: (base: string) => Promise<T>,
): Promise<T> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}

describe('send: what the stand-in received', () => {
  it('receives the documented JSON for a text and a template send, under the configured version', async () => {
    const to = nextPhone();
    const text = envelope(to, { body: 'Your appointment is confirmed.' });
    expect((await provider({ apiVersion: 'v24.0' }).send(text)).ok).toBe(true);
    const template = envelope(to, {
      template: { name: 'appointment_reminder', language: 'en_US', parameters: phi(['Tuesday']) },
    });
    expect((await provider().send(template)).ok).toBe(true);
    const received = meta.sent.filter((s) => s.to === to.slice(1));
    expect(received.map((s) => s.json)).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: to.slice(1),
        type: 'text',
        text: { body: 'Your appointment is confirmed.', preview_url: false },
        biz_opaque_callback_data: text.messageId,
      },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: to.slice(1),
        type: 'template',
        template: {
          name: 'appointment_reminder',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'Tuesday' }] }],
        },
        biz_opaque_callback_data: template.messageId,
      },
    ]);
    const paths = meta.calls
      .filter((c) => c.method === 'POST')
      .slice(-2)
      .map((c) => c.path);
    expect(paths).toEqual([
      `/v24.0/${PHONE_NUMBER_ID}/messages`,
      `/${DEFAULT_GRAPH_API_VERSION}/${PHONE_NUMBER_ID}/messages`,
    ]);
  });

  it('scripts a failure by recipient number as well as by predicate, and hangUp stores the message first', async () => {
    const to = nextPhone();
    meta.failNext(to, { httpStatus: 400, code: 131047 });
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: '131047',
    });
    meta.hangUp();
    expect(await provider().send(envelope(to))).toMatchObject({
      ok: false,
      outcome: 'unknown',
      errorCode: 'NETWORK',
    });
    expect(meta.sent.filter((s) => s.to === to.slice(1))).toHaveLength(1);
    expect(meta.calls.at(-1)?.status).toBe(0);
  });

  it('honours Retry-After on a throttled send (HTTP 400 + 130429), not on a permanent refusal', async () => {
    const to = nextPhone();
    meta.failNext(to, { httpStatus: 400, code: 130429, retryAfterSeconds: 7 });
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: true,
      errorCode: '130429',
      retryAfterMs: 7000,
    });
    meta.failNext(to, { httpStatus: 400, code: 131050, retryAfterSeconds: 7 });
    expect(await provider().send(envelope(to))).toEqual({
      ok: false,
      outcome: 'rejected',
      retryable: false,
      errorCode: '131050',
    });
  });

  it('treats a 2xx without a readable message id as unknown (Meta may have accepted it)', async () => {
    for (const answer of [
      'not json',
      '{"messaging_product":"whatsapp","messages":[]}',
      '{"messages":[{"id":42}]}',
    ]) {
      const result = await withServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer),
        (base) => provider({ graphBaseUrl: base }).send(envelope(nextPhone())),
      );
      expect(result).toEqual({
        ok: false,
        outcome: 'unknown',
        retryable: true,
        errorCode: 'UNREADABLE_RESPONSE',
      });
    }
  });

  it('maps an error body it cannot read to HTTP_<status>', async () => {
    const result = await withServer(
      (_req, res) => res.writeHead(403, { 'content-type': 'text/html' }).end('<html>denied</html>'),
      (base) => provider({ graphBaseUrl: base }).send(envelope(nextPhone())),
    );
    expect(result).toEqual({ ok: false, outcome: 'rejected', retryable: false, errorCode: 'HTTP_403' });
  });

  it('does not follow a redirect, so the bearer token never leaves the Graph host', async () => {
    let leaked = 0;
    const result = await withServer(
      (_req, res) => {
        leaked += 1;
        res.writeHead(200).end('{}');
      },
      (elsewhere) =>
        withServer(
          (_req, res) => res.writeHead(307, { location: `${elsewhere}/steal` }).end(),
          (base) => provider({ graphBaseUrl: base }).send(envelope(nextPhone())),
        ),
    );
    expect(result).toEqual({ ok: false, outcome: 'unknown', retryable: true, errorCode: 'NETWORK' });
    expect(leaked).toBe(0);
  });

  it('canary: a failing send writes nothing to the console or stdio, whatever Meta echoes', async () => {
    const to = nextPhone();
    const body = 'Canary body: biopsy result for John Doe';
    const written: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
        written.push(String(chunk));
        return true;
      }),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
        written.push(String(chunk));
        return true;
      }),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
          written.push(args.map(String).join(' '));
        }),
      ),
    ];
    const results: SendResult[] = [];
    try {
      meta.failNext(to, {
        httpStatus: 400,
        code: 131047,
        message: `Re-engagement message to ${to}: ${body}`,
      });
      results.push(await provider().send(envelope(to, { body })));
      meta.failNext(to, { httpStatus: 503, code: 2, message: `Service unavailable for ${to.slice(1)}` });
      results.push(await provider().send(envelope(to, { body })));
      meta.failNext(to, { httpStatus: 401, code: 190 });
      results.push(
        await provider().send(
          envelope(to, { template: { name: 'lab_ready', language: 'en_US', parameters: phi([body]) } }),
        ),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written).toEqual([]);
    const texts = results.map((r) => `${JSON.stringify(r)} ${inspect(r)}`).join('\n');
    expect(texts).not.toContain(to.slice(1));
    expect(texts).not.toContain('biopsy');
  });
});

describe('error mapping (pure)', () => {
  it.each([
    [400, 131047, 'rejected', false],
    [400, 131026, 'rejected', false],
    [400, 131050, 'rejected', false],
    [400, 132000, 'rejected', false],
    [404, 132001, 'rejected', false],
    [400, 100, 'rejected', false],
    [401, 190, 'rejected', false],
    [400, 130429, 'rejected', true],
    [400, 131056, 'rejected', true],
    [429, 4, 'rejected', true],
    [400, 80007, 'rejected', true],
    [429, null, 'rejected', true],
    [500, 131000, 'unknown', true],
    [503, 2, 'unknown', true],
    [502, null, 'unknown', true],
  ] as const)('HTTP %i with code %s → %s, retryable %s', (status, code, outcome, retryable) => {
    expect(classifyGraphError(status, code)).toEqual({
      outcome,
      retryable,
      errorCode: code === null ? `HTTP_${String(status)}` : String(code),
    });
  });

  it('reads Retry-After as seconds or an HTTP date, capped at an hour', () => {
    const now = Date.parse('2026-11-25T08:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Wed, 25 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('999999', now)).toBe(3_600_000);
    for (const bad of [null, '', 'soon', '-1', '0', 'Wed, 25 Nov 2026 07:00:00 GMT']) {
      expect(retryAfterMs(bad, now)).toBeUndefined();
    }
  });
});

describe('check: more answers', () => {
  it('reads the phone number only (one GET with documented field names, no send)', async () => {
    const before = meta.calls.length;
    await provider().check();
    expect(meta.calls.slice(before)).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/${DEFAULT_GRAPH_API_VERSION}/${PHONE_NUMBER_ID}`,
        status: 200,
      }),
    ]);
  });

  it('fails on a RED quality rating and warns on YELLOW', async () => {
    const saved = meta.numberInfo['quality_rating'];
    try {
      meta.numberInfo['quality_rating'] = 'RED';
      expect((await provider().check()).find((i) => i.name === 'quality rating')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^RED/) as unknown,
      });
      meta.numberInfo['quality_rating'] = 'YELLOW';
      expect((await provider().check()).find((i) => i.name === 'quality rating')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^YELLOW/) as unknown,
      });
    } finally {
      meta.numberInfo['quality_rating'] = saved;
    }
  });

  it('says when the token has expired (190/463) or lacks a permission (10, 200)', async () => {
    const answer = (status: number, error: Record<string, unknown>) => (_req: unknown, res: ServerResponse) =>
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'x', type: 'OAuthException', fbtrace_id: 'A', ...error } }));
    const expired = await withServer(answer(401, { code: 190, error_subcode: 463 }), (base) =>
      provider({ graphBaseUrl: base }).check(),
    );
    expect(expired).toEqual([
      { name: 'access token', ok: false, detail: 'WHATSAPP_ACCESS_TOKEN has expired (Graph error 190).' },
    ]);
    for (const code of [10, 200]) {
      const denied = await withServer(answer(403, { code }), (base) =>
        provider({ graphBaseUrl: base }).check(),
      );
      expect(denied).toEqual([
        { name: 'access token', ok: false, detail: expect.stringContaining('lacks a permission') as unknown },
      ]);
    }
    const unknown = await withServer(answer(500, { code: 1 }), (base) =>
      provider({ graphBaseUrl: base }).check(),
    );
    expect(unknown).toEqual([
      { name: 'graph api', ok: false, detail: expect.stringContaining('Graph error 1') as unknown },
    ]);
  });

  it('never prints the token, whatever the answer', async () => {
    const all = [
      await provider().check(),
      await provider({ accessToken: 'EAAG_other_token_123' }).check(),
      await provider({ phoneNumberId: '1234567' }).check(),
    ];
    const text = JSON.stringify(all);
    expect(text).not.toContain(ACCESS_TOKEN);
    expect(text).not.toContain('EAAG_other_token_123');
  });
});
