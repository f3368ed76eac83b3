import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetaStandIn, type MetaStandIn } from '../../../../test/support/meta-standin.ts';
import type { E164, MessageId } from '../../../core/ids.ts';
import { phi, reveal } from '../../../core/phi/phi.ts';
import { Secret } from '../../../secret.ts';
import { createWhatsAppCloudProvider } from './whatsapp-cloud.provider.ts';
import {
  MetaPayloadError,
  parseWhatsAppWebhook,
  verifyHandshake,
  verifyMetaSignature,
} from './whatsapp-cloud.webhooks.ts';

const APP_SECRET = 'standin_app_secret_0a1b2c3d4e5f';
const VERIFY_TOKEN = 'verify_token_7c6b5a4d3e2f1a0b';
const PHONE_NUMBER_ID = '106540352242922';

function sign(body: Buffer, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Meta's envelope around one change, as its webhook references show it. */
function envelope(field: string, value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ value, field }] }],
  };
}

const METADATA = { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID };

/**
 * Fixtures: the example payloads of Meta's webhook references, with the example values from their parameter tables
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status,
 * …/reference/messages/text, …/reference/messages/button, …/reference/messages/image,
 * …/reference/user_preferences; the status errors object as on …/reference/messages/errors).
 */
const STATUS_SENT = envelope('messages', {
  messaging_product: 'whatsapp',
  metadata: METADATA,
  statuses: [
    {
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
      status: 'sent',
      timestamp: '1750263773',
      recipient_id: '16505551234',
      biz_opaque_callback_data: '5b0b4c8e-2f4e-4d6a-9a51-6c1f0e3b7d22',
      pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' },
    },
  ],
});

function status(value: string, extra: Record<string, unknown> = {}): unknown {
  return envelope('messages', {
    messaging_product: 'whatsapp',
    metadata: METADATA,
    statuses: [
      {
        id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
        status: value,
        timestamp: '1750263780',
        recipient_id: '16505551234',
        ...extra,
      },
    ],
  });
}

const STATUS_FAILED = status('failed', {
  errors: [
    {
      code: 131050,
      title:
        'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business',
      message:
        'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business',
      error_data: {
        details:
          'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business',
      },
      href: '/documentation/business-messaging/whatsapp/support/error-codes',
    },
  ],
});

const INBOUND_TEXT = envelope('messages', {
  messaging_product: 'whatsapp',
  metadata: METADATA,
  contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
  messages: [
    {
      from: '16505551234',
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      timestamp: '1749416383',
      type: 'text',
      text: { body: 'Does it cost extra to engrave the earrings?' },
    },
  ],
});

const INBOUND_BUTTON = envelope('messages', {
  messaging_product: 'whatsapp',
  metadata: METADATA,
  contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
  messages: [
    {
      context: { from: '15550783881', id: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=' },
      from: '16505551234',
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      timestamp: '1739321024',
      type: 'button',
      button: { payload: 'Unsubscribe', text: 'Unsubscribe' },
    },
  ],
});

const INBOUND_IMAGE = envelope('messages', {
  messaging_product: 'whatsapp',
  metadata: METADATA,
  contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
  messages: [
    {
      from: '16505551234',
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      timestamp: '1744344496',
      type: 'image',
      image: {
        caption: 'Black jogging shoes',
        mime_type: 'image/jpeg',
        sha256: 'SfInY0gHk1jTUCmZ4ADbAvFt4pFM0Lbz5hSL6y5PJbY=',
        id: '1003383421387256',
      },
    },
  ],
});

const USER_PREFERENCES = envelope('user_preferences', {
  messaging_product: 'whatsapp',
  metadata: METADATA,
  contacts: [{ wa_id: '16505551234' }],
  user_preferences: [
    {
      wa_id: '16505551234',
      detail: 'User requested to resume marketing messages',
      category: 'marketing_messages',
      value: 'resume',
      timestamp: 1731705721,
    },
  ],
});

describe('verifyHandshake', () => {
  const token = new Secret(VERIFY_TOKEN);
  const query = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    'hub.mode': 'subscribe',
    'hub.verify_token': VERIFY_TOKEN,
    'hub.challenge': '1158201444',
    ...over,
  });

  it('echoes the challenge for subscribe with the right token', () => {
    expect(verifyHandshake(query(), token)).toBe('1158201444');
  });
  it('refuses a wrong token, of equal or other length', () => {
    expect(verifyHandshake(query({ 'hub.verify_token': VERIFY_TOKEN.replace(/.$/, 'x') }), token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.verify_token': 'short' }), token)).toBeNull();
  });
  it('refuses another mode', () => {
    expect(verifyHandshake(query({ 'hub.mode': 'unsubscribe' }), token)).toBeNull();
  });
  it('refuses missing, repeated or oversized parameters', () => {
    expect(verifyHandshake({}, token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.verify_token': undefined }), token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.challenge': undefined }), token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.challenge': '' }), token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.challenge': 'x'.repeat(201) }), token)).toBeNull();
    expect(verifyHandshake(query({ 'hub.verify_token': [VERIFY_TOKEN, VERIFY_TOKEN] }), token)).toBeNull();
  });
});

describe('verifyMetaSignature', () => {
  const secret = new Secret(APP_SECRET);
  const body = Buffer.from(JSON.stringify(STATUS_SENT));

  it('accepts the HMAC-SHA256 of the raw body', () => {
    expect(verifyMetaSignature(secret, sign(body), body)).toBe(true);
    expect(verifyMetaSignature(secret, sign(body).toUpperCase().replace('SHA256=', 'sha256='), body)).toBe(
      true,
    );
  });
  it('refuses a body with one byte changed', () => {
    const tampered = Buffer.from(body);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    expect(verifyMetaSignature(secret, sign(body), tampered)).toBe(false);
  });
  it('refuses a signature made with another secret', () => {
    expect(verifyMetaSignature(secret, sign(body, 'another_app_secret'), body)).toBe(false);
  });
  it('refuses a missing or malformed header', () => {
    const hex = sign(body).slice('sha256='.length);
    for (const header of [
      undefined,
      '',
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(2)}`,
      `sha256=${hex}00`,
      `sha256=${'z'.repeat(64)}`,
      ` sha256=${hex}`,
    ]) {
      expect(verifyMetaSignature(secret, header, body)).toBe(false);
    }
  });
});

describe('parseWhatsAppWebhook', () => {
  it("reads a sent status with Wardline's id from biz_opaque_callback_data", () => {
    expect(parseWhatsAppWebhook(STATUS_SENT)).toEqual({
      statuses: [
        {
          providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
          status: 'sent',
          errorCode: null,
          occurredAt: new Date(1750263773 * 1000),
          messageId: '5b0b4c8e-2f4e-4d6a-9a51-6c1f0e3b7d22',
          phoneNumberId: PHONE_NUMBER_ID,
        },
      ],
      messages: [],
      preferences: [],
      unidentified: [],
    });
  });

  it('reads delivered and read, and a failed status with its error code', () => {
    expect(parseWhatsAppWebhook(status('delivered')).statuses[0]).toMatchObject({
      status: 'delivered',
      errorCode: null,
      messageId: null,
    });
    expect(parseWhatsAppWebhook(status('read')).statuses[0]).toMatchObject({ status: 'read' });
    expect(parseWhatsAppWebhook(STATUS_FAILED).statuses).toEqual([
      expect.objectContaining({
        status: 'failed',
        errorCode: '131050',
        occurredAt: new Date(1750263780 * 1000),
      }),
    ]);
  });

  it('drops statuses it does not track (played, deleted)', () => {
    expect(parseWhatsAppWebhook(status('played')).statuses).toEqual([]);
    expect(parseWhatsAppWebhook(status('deleted')).statuses).toEqual([]);
  });

  it('reads an inbound text, the number as E.164 and both inside Phi', () => {
    const { messages } = parseWhatsAppWebhook(INBOUND_TEXT);
    expect(messages).toHaveLength(1);
    const m = messages[0];
    expect(m && reveal(m.from)).toBe('+16505551234');
    expect(m && reveal(m.body)).toBe('Does it cost extra to engrave the earrings?');
    expect(m).toMatchObject({
      providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      type: 'text',
      receivedAt: new Date(1749416383 * 1000),
      phoneNumberId: PHONE_NUMBER_ID,
    });
    const printed = JSON.stringify(messages);
    expect(printed).not.toContain('16505551234');
    expect(printed).not.toContain('earrings');
  });

  it('reads a quick-reply button by its text, an image with an empty body', () => {
    const button = parseWhatsAppWebhook(INBOUND_BUTTON).messages[0];
    expect(button?.type).toBe('button');
    expect(button && reveal(button.body)).toBe('Unsubscribe');
    const image = parseWhatsAppWebhook(INBOUND_IMAGE).messages[0];
    expect(image?.type).toBe('image');
    expect(image && reveal(image.body)).toBe('');
  });

  it('reads interactive button and list replies by their titles', () => {
    const reply = (interactive: unknown): string => {
      const m = parseWhatsAppWebhook(
        envelope('messages', {
          messaging_product: 'whatsapp',
          metadata: METADATA,
          messages: [
            { from: '16505551234', id: 'wamid.I', timestamp: '1750263780', type: 'interactive', interactive },
          ],
        }),
      ).messages[0];
      return m === undefined ? '' : reveal(m.body);
    };
    expect(reply({ type: 'button_reply', button_reply: { id: 'confirm', title: 'Confirm' } })).toBe(
      'Confirm',
    );
    expect(
      reply({ type: 'list_reply', list_reply: { id: 'tue', title: 'Tuesday', description: 'morning' } }),
    ).toBe('Tuesday');
  });

  it('reads a user_preferences change', () => {
    const { preferences } = parseWhatsAppWebhook(USER_PREFERENCES);
    expect(preferences).toHaveLength(1);
    expect(preferences[0]).toMatchObject({
      category: 'marketing_messages',
      value: 'resume',
      occurredAt: new Date(1731705721 * 1000),
      phoneNumberId: PHONE_NUMBER_ID,
    });
    expect(preferences[0] && reveal(preferences[0].waId)).toBe('+16505551234');
  });

  it('ignores fields it does not handle', () => {
    const other = envelope('message_template_status_update', {
      event: 'APPROVED',
      message_template_id: 1,
      message_template_name: 'x',
    });
    expect(parseWhatsAppWebhook(other)).toEqual({
      statuses: [],
      messages: [],
      preferences: [],
      unidentified: [],
    });
    const odd = {
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'account_update', value: 'not an object' }] }],
    };
    expect(parseWhatsAppWebhook(odd)).toEqual({
      statuses: [],
      messages: [],
      preferences: [],
      unidentified: [],
    });
  });

  it.each([
    ['null', null],
    ['another object type', { object: 'page', entry: [] }],
    ['entry not an array', { object: 'whatsapp_business_account', entry: 'nope' }],
    ['no metadata', envelope('messages', { messaging_product: 'whatsapp', statuses: [] })],
    [
      'a status without a timestamp',
      envelope('messages', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        statuses: [{ id: 'wamid.X', status: 'sent' }],
      }),
    ],
    [
      'a message from a non-number',
      envelope('messages', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        messages: [{ from: 'Jane Roe 555', id: 'w', timestamp: '1', type: 'text', text: { body: 'x' } }],
      }),
    ],
    [
      'a text body that is not a string',
      envelope('messages', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        messages: [{ from: '16505551234', id: 'w', timestamp: '1', type: 'text', text: { body: 5 } }],
      }),
    ],
    [
      'a preference value Meta does not send',
      envelope('user_preferences', {
        user_preferences: [
          { wa_id: '16505551234', category: 'marketing_messages', value: 'maybe', timestamp: 1 },
        ],
      }),
    ],
  ])('throws MetaPayloadError for %s, naming no value', (_what, payload) => {
    let thrown: unknown;
    try {
      parseWhatsAppWebhook(payload);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MetaPayloadError);
    const text = `${String(thrown)} ${(thrown as Error).stack ?? ''}`;
    expect(text).not.toContain('16505551234');
    expect(text).not.toContain('Jane Roe');
  });
});

/**
 * WhatsApp usernames (2026): Meta's business-scoped user ids reference
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids) shows an
 * inbound message without `from` and a contact with only `user_id`, and statuses without `recipient_id`.
 */
describe('parseWhatsAppWebhook: users identified only by a business-scoped user id', () => {
  const USERNAME_ONLY = envelope('messages', {
    messaging_product: 'whatsapp',
    metadata: METADATA,
    contacts: [
      { profile: { name: 'Sheena Nelson', username: 'sheena.n' }, user_id: 'US.13491208655302741918' },
    ],
    messages: [
      {
        id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAB=',
        timestamp: '1764057600',
        type: 'text',
        text: { body: 'STOP' },
      },
    ],
  });

  it('keeps an inbound message without a number apart, with its BSUID and body inside Phi, instead of refusing the delivery', () => {
    const parsed = parseWhatsAppWebhook(USERNAME_ONLY);
    expect(parsed.messages).toEqual([]);
    expect(parsed.unidentified).toHaveLength(1);
    const u = parsed.unidentified[0];
    expect(u).toMatchObject({
      kind: 'message',
      providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAB=',
      type: 'text',
      phoneNumberId: PHONE_NUMBER_ID,
      receivedAt: new Date(1764057600 * 1000),
    });
    expect(u?.kind === 'message' && u.userId !== null ? reveal(u.userId) : null).toBe(
      'US.13491208655302741918',
    );
    expect(u?.kind === 'message' ? reveal(u.body) : null).toBe('STOP');
    expect(JSON.stringify(parsed)).not.toContain('US.1349');
  });

  it('reads the number from the matching contact when only from_user_id is given', () => {
    const parsed = parseWhatsAppWebhook(
      envelope('messages', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        contacts: [
          { profile: { name: 'A' }, wa_id: '16505550001', user_id: 'US.1111' },
          { profile: { name: 'B' }, wa_id: '16505550002', user_id: 'US.2222' },
        ],
        messages: [
          {
            from_user_id: 'US.2222',
            id: 'wamid.B',
            timestamp: '1764057600',
            type: 'text',
            text: { body: 'Hi' },
          },
        ],
      }),
    );
    expect(parsed.unidentified).toEqual([]);
    expect(parsed.messages.map((m) => reveal(m.from))).toEqual(['+16505550002']);
  });

  it('parses identified and unidentified messages of one delivery together', () => {
    const both = envelope('messages', {
      messaging_product: 'whatsapp',
      metadata: METADATA,
      contacts: [{ wa_id: '16505551234', user_id: 'US.1234' }, { user_id: 'US.5678' }],
      messages: [
        {
          from: '16505551234',
          from_user_id: 'US.1234',
          id: 'wamid.1',
          timestamp: '1764057600',
          type: 'text',
          text: { body: 'one' },
        },
        {
          from_user_id: 'US.5678',
          id: 'wamid.2',
          timestamp: '1764057601',
          type: 'image',
          image: { id: '1', mime_type: 'image/jpeg', sha256: 'x' },
        },
      ],
    });
    const parsed = parseWhatsAppWebhook(both);
    expect(parsed.messages.map((m) => m.providerMessageId)).toEqual(['wamid.1']);
    expect(
      parsed.unidentified.map((u) =>
        u.kind === 'message' ? [u.providerMessageId, u.type, reveal(u.body)] : null,
      ),
    ).toEqual([['wamid.2', 'image', '']]);
  });

  it('keeps a user_preferences change without wa_id apart', () => {
    const parsed = parseWhatsAppWebhook(
      envelope('user_preferences', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        contacts: [{ profile: { name: 'Sheena Nelson' }, user_id: 'US.13491208655302741918' }],
        user_preferences: [
          {
            user_id: 'US.13491208655302741918',
            detail: 'User requested to stop marketing messages',
            category: 'marketing_messages',
            value: 'stop',
            timestamp: 1764057600,
          },
        ],
      }),
    );
    expect(parsed.preferences).toEqual([]);
    expect(parsed.unidentified).toEqual([
      expect.objectContaining({
        kind: 'preference',
        category: 'marketing_messages',
        value: 'stop',
        occurredAt: new Date(1764057600 * 1000),
        phoneNumberId: PHONE_NUMBER_ID,
      }),
    ]);
  });

  it('reads a status sent to a BSUID (no recipient_id), and a string error code', () => {
    const parsed = parseWhatsAppWebhook(
      envelope('messages', {
        messaging_product: 'whatsapp',
        metadata: METADATA,
        statuses: [
          {
            id: 'wamid.S',
            status: 'delivered',
            timestamp: '1764057600',
            recipient_user_id: 'US.1234',
            biz_opaque_callback_data: 'm-9',
          },
          {
            id: 'wamid.F',
            status: 'failed',
            timestamp: '1764057601',
            errors: [{ code: '131026', title: 'Message undeliverable' }],
          },
        ],
      }),
    );
    expect(parsed.statuses).toEqual([
      expect.objectContaining({ providerMessageId: 'wamid.S', status: 'delivered', messageId: 'm-9' }),
      expect.objectContaining({
        providerMessageId: 'wamid.F',
        status: 'failed',
        errorCode: '131026',
        messageId: null,
      }),
    ]);
  });

  it('ignores a messages change that carries only value-level errors (Meta error reference example)', () => {
    const errorsOnly = envelope('messages', {
      messaging_product: 'whatsapp',
      metadata: METADATA,
      errors: [
        {
          code: 130429,
          title: 'Rate limit hit',
          message: 'Rate limit hit',
          error_data: {
            details:
              'Message failed to send because there were too many messages sent from this phone number in a short period of time',
          },
          href: '/documentation/business-messaging/whatsapp/support/error-codes',
        },
      ],
    });
    expect(parseWhatsAppWebhook(errorsOnly)).toEqual({
      statuses: [],
      messages: [],
      preferences: [],
      unidentified: [],
    });
  });

  it('reads every entry and change of a batched delivery', () => {
    const a = STATUS_SENT as { entry: unknown[] };
    const b = INBOUND_TEXT as { entry: unknown[] };
    const c = USER_PREFERENCES as { entry: unknown[] };
    const batched = { object: 'whatsapp_business_account', entry: [...a.entry, ...b.entry, ...c.entry] };
    const parsed = parseWhatsAppWebhook(batched);
    expect([parsed.statuses.length, parsed.messages.length, parsed.preferences.length]).toEqual([1, 1, 1]);
  });
});

describe('parseWhatsAppWebhook: canary', () => {
  it.each([
    [
      'a number with spaces',
      {
        from: '+1 650 555 1234',
        id: 'w',
        timestamp: '1',
        type: 'text',
        text: { body: 'Chest pain since Monday' },
      },
    ],
    [
      'a body that is not text',
      {
        from: '16505551234',
        id: 'w',
        timestamp: '1',
        type: 'text',
        text: { body: { note: 'Chest pain since Monday' } },
      },
    ],
    [
      'a malformed BSUID',
      {
        from_user_id: '16505551234 Chest pain since Monday',
        id: 'w',
        timestamp: '1',
        type: 'text',
        text: { body: 'x' },
      },
    ],
  ])(
    'a thrown MetaPayloadError for %s carries neither the number nor the text, in any rendering',
    (_what, message) => {
      let thrown: unknown;
      try {
        parseWhatsAppWebhook(
          envelope('messages', {
            messaging_product: 'whatsapp',
            metadata: METADATA,
            contacts: [{ profile: { name: 'Jane Roe' }, wa_id: '16505551234' }],
            messages: [message],
          }),
        );
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(MetaPayloadError);
      const error = thrown as MetaPayloadError;
      expect(error.cause).toBeUndefined();
      const texts = [
        error.message,
        String(error),
        error.stack ?? '',
        inspect(error, { depth: 10 }),
        JSON.stringify(error),
      ].join('\n');
      for (const secret of ['6505551234', '650 555 1234', 'Chest pain', 'Jane Roe']) {
        expect(texts).not.toContain(secret);
      }
    },
  );
});

/** The stand-in's webhooks, received the way the route receives them: raw body, signature, then parse. */
describe('meta stand-in webhooks', () => {
  let meta: MetaStandIn;
  let receiver: Server;
  let hook = '';
  const received: ReturnType<typeof parseWhatsAppWebhook>[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      if (req.method === 'GET') {
        const challenge = verifyHandshake(Object.fromEntries(url.searchParams), new Secret(VERIFY_TOKEN));
        res.writeHead(challenge === null ? 403 : 200, { 'content-type': 'text/plain' }).end(challenge ?? '');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const header = req.headers['x-hub-signature-256'];
        if (
          !verifyMetaSignature(new Secret(APP_SECRET), typeof header === 'string' ? header : undefined, raw)
        ) {
          res.writeHead(403).end();
          return;
        }
        try {
          received.push(parseWhatsAppWebhook(JSON.parse(raw.toString('utf8'))));
          res.writeHead(200).end('{"received":true}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hook = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/v1/webhooks/whatsapp`;
    meta = await startMetaStandIn({
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: 'EAAG_token',
      appSecret: APP_SECRET,
      webhookUrl: hook,
      autoStatuses: ['sent', 'delivered', 'read'],
    });
  });
  afterAll(async () => {
    await meta.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) =>
      receiver.close(() => {
        resolve();
      }),
    );
  });

  it('plays the handshake', async () => {
    expect(await meta.handshake(hook, VERIFY_TOKEN, 'challenge-1158201444')).toEqual({
      status: 200,
      body: 'challenge-1158201444',
    });
    expect((await meta.handshake(hook, 'wrong', 'c')).status).toBe(403);
    expect((await meta.handshake(hook, VERIFY_TOKEN, 'c', 'unsubscribe')).status).toBe(403);
  });

  it('signs inbound messages, statuses and preferences that parse', async () => {
    received.length = 0;
    expect((await meta.postInbound(hook, { from: '+16505550100', text: 'Hello' })).status).toBe(200);
    expect(
      (
        await meta.postStatus(hook, {
          wamid: 'wamid.A',
          status: 'failed',
          errorCode: 131050,
          bizOpaque: 'm-1',
        })
      ).status,
    ).toBe(200);
    expect((await meta.postUserPreference(hook, { waId: '+16505550100', value: 'stop' })).status).toBe(200);
    const [inbound, failed, preference] = received;
    expect(inbound?.messages[0] && reveal(inbound.messages[0].from)).toBe('+16505550100');
    expect(inbound?.messages[0] && reveal(inbound.messages[0].body)).toBe('Hello');
    expect(failed?.statuses[0]).toMatchObject({
      providerMessageId: 'wamid.A',
      status: 'failed',
      errorCode: '131050',
      messageId: 'm-1',
      phoneNumberId: PHONE_NUMBER_ID,
    });
    expect(preference?.preferences[0]).toMatchObject({ value: 'stop', category: 'marketing_messages' });
  });

  it('postRaw signs, omits or forges the header', async () => {
    const body = JSON.stringify(STATUS_SENT);
    expect((await meta.postRaw(hook, body)).status).toBe(200);
    expect((await meta.postRaw(hook, body, null)).status).toBe(403);
    expect((await meta.postRaw(hook, body, `sha256=${'0'.repeat(64)}`)).status).toBe(403);
  });

  it('posts autoStatuses in order after an accepted send, echoing biz_opaque_callback_data', async () => {
    received.length = 0;
    const provider = createWhatsAppCloudProvider({
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: new Secret('EAAG_token'),
      graphBaseUrl: meta.url,
    });
    const messageId = crypto.randomUUID() as MessageId;
    const result = await provider.send({
      messageId,
      channel: 'whatsapp',
      to: phi('+16505550199' as E164),
      body: phi('Hi'),
      mediaUrls: phi([]),
      smsFallback: false,
      template: null,
    });
    expect(result.ok).toBe(true);
    for (let i = 0; i < 100 && received.length < 3; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(
      received.flatMap((r) => r.statuses).map((s) => [s.status, s.messageId, s.providerMessageId]),
    ).toEqual(
      ['sent', 'delivered', 'read'].map((s) => [s, messageId, result.ok ? result.providerMessageId : '']),
    );
  });

  it('signs with a secret given as the second argument, as the brief of postStatus(url, appSecret, …) asks', async () => {
    received.length = 0;
    expect(
      (await meta.postStatus(hook, APP_SECRET, { wamid: 'wamid.Z', status: 'read', bizOpaque: 'm-2' }))
        .status,
    ).toBe(200);
    expect(
      (await meta.postInbound(hook, 'not_the_app_secret', { from: '+16505550100', text: 'Hello' })).status,
    ).toBe(403);
    expect(
      (await meta.postUserPreference(hook, 'not_the_app_secret', { waId: '+16505550100', value: 'stop' }))
        .status,
    ).toBe(403);
    expect(received.flatMap((r) => r.statuses).map((s) => [s.status, s.messageId])).toEqual([
      ['read', 'm-2'],
    ]);
  });

  it('posts inbound button, interactive and image messages that parse like Meta’s', async () => {
    received.length = 0;
    for (const type of ['button', 'interactive', 'image']) {
      expect(
        (
          await meta.postInbound(hook, {
            from: '+16505550100',
            text: type === 'image' ? 'a caption' : 'Confirm',
            type,
          })
        ).status,
      ).toBe(200);
    }
    expect(received.flatMap((r) => r.messages).map((m) => [m.type, reveal(m.body)])).toEqual([
      ['button', 'Confirm'],
      ['interactive', 'Confirm'],
      ['image', ''],
    ]);
  });

  it('posts a username-only user (no number) the way Meta does, which parses as unidentified', async () => {
    received.length = 0;
    expect((await meta.postInbound(hook, { from: null, text: 'STOP', userId: 'US.424242' })).status).toBe(
      200,
    );
    expect(
      (await meta.postUserPreference(hook, { waId: null, value: 'stop', userId: 'US.424242' })).status,
    ).toBe(200);
    const unidentified = received.flatMap((r) => r.unidentified);
    expect(unidentified.map((u) => [u.kind, u.userId === null ? null : reveal(u.userId)])).toEqual([
      ['message', 'US.424242'],
      ['preference', 'US.424242'],
    ]);
  });
});
