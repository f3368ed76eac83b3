/**
 * A stand-in for Meta's Graph API (the WhatsApp Cloud API), which tests and benchmarks cannot reach: a loopback HTTP
 * server (node:http, port 0) that speaks its documented wire format, so Wardline's adapter is exercised over real HTTP
 * exactly as in production (its `graphBaseUrl` option routes requests here). It also plays Meta's side of the
 * webhooks: the verification handshake, status and inbound-message deliveries and `user_preferences` changes, each in
 * Meta's envelope and signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
 *
 * Wire format followed (reference §3; https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences):
 * - `POST /{version}/{phoneNumberId}/messages`, JSON, `Authorization: Bearer <token>`. A wrong token is 401 with Graph
 *   error 190 (`OAuthException`); an unknown phone number id, a body that is not JSON, or one without
 *   `messaging_product: 'whatsapp'`, `to`, and `text.body` (type `text`) or `template.name` + `template.language.code`
 *   (type `template`) is 400 with error 100. Errors use Graph's shape `{ error: { message, type, code, error_subcode?,
 *   error_data?, fbtrace_id } }`. Success: 200 `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }`
 *   with `wamid.` + random base64url.
 * - `GET /{version}/{phoneNumberId}?fields=…`: the phone number's `display_phone_number`, `verified_name`,
 *   `quality_rating`, `throughput`; an unknown id is 400 with error 100 (subcode 33).
 *
 * Test controls: `failNext` (scripted Graph errors for matching recipients), `hangUpNext` (store the message, then reset
 * the connection: the send's outcome is unknown), `delayMs` (before each Graph answer), the `sent` list with arrival
 * times (`receivedAt` = Date.now(), `hrtime` = performance.now()), `autoStatuses` (signed status webhooks after each
 * accepted send, in order, echoing its `biz_opaque_callback_data`), signed `postStatus`/`postInbound`/
 * `postUserPreference`/`postRaw`, `handshake`, `close()`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type MetaStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface MetaSentMessage {
  readonly wamid: string;
  /** The recipient as the request gave it (digits, no `+`). */
  readonly to: string;
  readonly type: string;
  /** `text.body` for a text message; null for a template. */
  readonly body: string | null;
  readonly template: { readonly name: string; readonly language: string; readonly parameters: string[] } | null;
  readonly bizOpaque: string | null;
  readonly receivedAt: number;
  readonly hrtime: number;
}

export interface MetaStandInOptions {
  readonly phoneNumberId: string;
  readonly accessToken: string;
  readonly appSecret: string;
  /** Where `autoStatuses` are posted. */
  readonly webhookUrl?: string;
  /** Status webhooks posted after each accepted send, in this order. */
  readonly autoStatuses?: MetaStatus[];
}

export interface WebhookAnswer {
  readonly status: number;
  readonly body: string;
}

export interface MetaStandIn {
  /** The `graphBaseUrl` to give the adapter. */
  readonly url: string;
  readonly sent: MetaSentMessage[];
  /** The next `times` (default 1) sends whose request matches fail with this Graph error. */
  failNext(match: (req: { to: string }) => boolean, error: { httpStatus: number; code: number; message?: string }, times?: number): void;
  /** The next `times` (default 1) sends are stored, then the connection is reset without an answer. */
  hangUpNext(times?: number): void;
  /** Milliseconds to wait before answering each Graph request. */
  delayMs: number;
  postStatus(
    url: string,
    s: { wamid: string; status: string; errorCode?: number; bizOpaque?: string | null; timestamp?: number; recipient?: string },
  ): Promise<WebhookAnswer>;
  postInbound(url: string, m: { from: string; text: string; id?: string; timestamp?: number; type?: string }): Promise<WebhookAnswer>;
  postUserPreference(url: string, p: { waId: string; value: 'stop' | 'resume'; timestamp?: number }): Promise<WebhookAnswer>;
  /** `signature`: undefined signs correctly, null sends no header, a string is sent as the header as is. */
  postRaw(url: string, body: string | Buffer, signature?: string | null): Promise<WebhookAnswer>;
  handshake(url: string, verifyToken: string, challenge: string, mode?: string): Promise<WebhookAnswer>;
  close(): Promise<void>;
}

const WABA_ID = '102290129340398';
const DISPLAY_PHONE_NUMBER = '15550783881';

interface Failure {
  readonly match: (req: { to: string }) => boolean;
  readonly error: { httpStatus: number; code: number; message?: string };
  remaining: number;
}

/** Graph's titles for the codes tests script; others get a generic one. */
const TITLES: Readonly<Record<number, string>> = {
  4: 'Application request limit reached',
  100: 'Invalid parameter',
  190: 'Invalid OAuth access token',
  80007: 'Rate limit issues',
  130429: 'Rate limit hit',
  131026: 'Message undeliverable',
  131047: 'Re-engagement message',
  131050: 'User has stopped marketing messages',
  131056: 'Pair rate limit hit',
  132000: 'Number of parameters does not match the expected number of params',
  132001: 'Template does not exist',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function fbtraceId(): string {
  return randomBytes(9).toString('base64url');
}

function graphError(code: number, message: string, type = 'OAuthException', subcode?: number): Record<string, unknown> {
  return {
    error: {
      message,
      type,
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      error_data: { messaging_product: 'whatsapp', details: message },
      fbtrace_id: fbtraceId(),
    },
  };
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function digitsOf(e164: string): string {
  return e164.replace(/\D/g, '');
}

/** A validated send request, or the Graph error 100 message for one that is not. */
function parseSend(raw: Buffer): Omit<MetaSentMessage, 'wamid' | 'receivedAt' | 'hrtime'> | string {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'Invalid parameter: the request body is not JSON';
  }
  if (!isRecord(json)) return 'Invalid parameter: the request body is not an object';
  if (json['messaging_product'] !== 'whatsapp') return '(#100) The parameter messaging_product is required.';
  const to = str(json['to']);
  if (to === null || !/^\+?\d{6,15}$/.test(to)) return '(#100) The parameter to is required.';
  const type = str(json['type']) ?? 'text';
  const bizOpaque = str(json['biz_opaque_callback_data']);
  if (bizOpaque !== null && bizOpaque.length > 512) return '(#100) Param biz_opaque_callback_data must be at most 512 characters long.';
  if (type === 'text') {
    const text = json['text'];
    const body = isRecord(text) ? str(text['body']) : null;
    if (body === null) return '(#100) The parameter text[\'body\'] is required.';
    if (body.length > 4096) return '(#100) Param text[\'body\'] must be at most 4096 characters long.';
    return { to, type, body, template: null, bizOpaque };
  }
  if (type === 'template') {
    const template = json['template'];
    if (!isRecord(template)) return '(#100) The parameter template is required.';
    const name = str(template['name']);
    const language = isRecord(template['language']) ? str(template['language']['code']) : null;
    if (name === null) return '(#100) The parameter template[\'name\'] is required.';
    if (language === null) return '(#100) The parameter template[\'language\'][\'code\'] is required.';
    const parameters: string[] = [];
    const components = template['components'];
    if (components !== undefined) {
      if (!Array.isArray(components)) return '(#100) Param template[\'components\'] must be an array.';
      for (const component of components) {
        if (!isRecord(component) || component['type'] !== 'body') continue;
        const params = component['parameters'];
        if (!Array.isArray(params)) return '(#100) Param template[\'components\'][0][\'parameters\'] must be an array.';
        for (const p of params) {
          if (!isRecord(p) || p['type'] !== 'text' || typeof p['text'] !== 'string') return '(#100) Invalid parameter: template text parameter.';
          parameters.push(p['text']);
        }
      }
    }
    return { to, type, body: null, template: { name, language, parameters }, bizOpaque };
  }
  return `(#100) Param type must be one of {text, template} in this stand-in.`;
}

/**
 * Starts the stand-in on a loopback port.
 * @param options - the phone number id and access token it accepts, the app secret it signs webhooks with, and
 *   optional automatic status webhooks
 */
export async function startMetaStandIn(options: MetaStandInOptions): Promise<MetaStandIn> {
  const sent: MetaSentMessage[] = [];
  const failures: Failure[] = [];
  let hangUps = 0;
  const pending = new Set<Promise<unknown>>();
  let autoChain: Promise<unknown> = Promise.resolve();

  function sign(body: Buffer): string {
    return `sha256=${createHmac('sha256', options.appSecret).update(body).digest('hex')}`;
  }

  async function post(url: string, body: Buffer, signature: string | null): Promise<WebhookAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'facebookexternalua' };
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    const response = await fetch(url, { method: 'POST', headers, body });
    return { status: response.status, body: await response.text() };
  }

  function envelope(field: string, value: Record<string, unknown>): Buffer {
    const json = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA_ID,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: options.phoneNumberId },
                ...value,
              },
              field,
            },
          ],
        },
      ],
    };
    return Buffer.from(JSON.stringify(json));
  }

  function nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** One status in Meta's `messages` envelope; `bizOpaque` undefined echoes what the send carried, as Meta does. */
  function statusBody(s: Parameters<MetaStandIn['postStatus']>[1]): Buffer {
    const known = sent.find((m) => m.wamid === s.wamid);
    const bizOpaque = s.bizOpaque === undefined ? (known?.bizOpaque ?? null) : s.bizOpaque;
    const failed = s.status === 'failed' || s.errorCode !== undefined;
    const code = s.errorCode ?? 131026;
    const title = TITLES[code] ?? 'Message failed to send';
    const status = {
      id: s.wamid,
      status: s.status,
      timestamp: String(s.timestamp ?? nowSeconds()),
      recipient_id: s.recipient ?? known?.to ?? '16505551234',
      ...(bizOpaque === null ? {} : { biz_opaque_callback_data: bizOpaque }),
      ...(s.status === 'sent' || s.status === 'delivered' || s.status === 'read'
        ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' } }
        : {}),
      ...(failed
        ? {
            errors: [
              {
                code,
                title,
                message: title,
                error_data: { details: title },
                href: 'https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes',
              },
            ],
          }
        : {}),
    };
    return envelope('messages', { statuses: [status] });
  }

  const standIn: MetaStandIn = {
    url: '',
    sent,
    delayMs: 0,
    failNext(match, error, times = 1) {
      failures.push({ match, error, remaining: times });
    },
    hangUpNext(times = 1) {
      hangUps += times;
    },
    postStatus(url, s) {
      const body = statusBody(s);
      return post(url, body, sign(body));
    },
    postInbound(url, m) {
      const from = digitsOf(m.from);
      const type = m.type ?? 'text';
      const id = m.id ?? `wamid.${randomBytes(24).toString('base64url')}`;
      let content: Record<string, unknown>;
      switch (type) {
        case 'text':
          content = { text: { body: m.text } };
          break;
        case 'button':
          content = { context: { from: DISPLAY_PHONE_NUMBER, id: `wamid.${randomBytes(24).toString('base64url')}` }, button: { payload: m.text, text: m.text } };
          break;
        case 'interactive':
          content = { interactive: { type: 'button_reply', button_reply: { id: 'reply-1', title: m.text } } };
          break;
        default:
          content = { [type]: { mime_type: 'image/jpeg', sha256: randomBytes(32).toString('base64'), id: randomBytes(8).readBigUInt64BE().toString(), ...(m.text === '' ? {} : { caption: m.text }) } };
      }
      const body = envelope('messages', {
        contacts: [{ profile: { name: 'Stand-in Patient' }, wa_id: from }],
        messages: [{ from, id, timestamp: String(m.timestamp ?? nowSeconds()), type, ...content }],
      });
      return post(url, body, sign(body));
    },
    postUserPreference(url, p) {
      const waId = digitsOf(p.waId);
      const body = envelope('user_preferences', {
        contacts: [{ profile: { name: 'Stand-in Patient' }, wa_id: waId }],
        user_preferences: [
          {
            wa_id: waId,
            detail: p.value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages',
            category: 'marketing_messages',
            value: p.value,
            timestamp: p.timestamp ?? nowSeconds(),
          },
        ],
      });
      return post(url, body, sign(body));
    },
    postRaw(url, body, signature) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      return post(url, bytes, signature === undefined ? sign(bytes) : signature);
    },
    async handshake(url, verifyToken, challenge, mode = 'subscribe') {
      const target = new URL(url);
      target.searchParams.set('hub.mode', mode);
      target.searchParams.set('hub.verify_token', verifyToken);
      target.searchParams.set('hub.challenge', challenge);
      const response = await fetch(target);
      return { status: response.status, body: await response.text() };
    },
    async close() {
      await Promise.allSettled([...pending]);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      });
    },
  };

  function scheduleAutoStatuses(message: MetaSentMessage): void {
    const url = options.webhookUrl;
    const statuses = options.autoStatuses ?? [];
    if (url === undefined || statuses.length === 0) return;
    const run = autoChain.then(async () => {
      for (const status of statuses) {
        await standIn.postStatus(url, { wamid: message.wamid, status, bizOpaque: message.bizOpaque, ...(status === 'failed' ? { errorCode: 131026 } : {}) }).catch(() => undefined);
      }
    });
    autoChain = run;
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (standIn.delayMs > 0) await sleep(standIn.delayMs);
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const version = parts[0] ?? '';
    if (!/^v\d+\.\d+$/.test(version) || parts.length < 2 || parts.length > 3) {
      reply(res, 400, graphError(100, 'Unknown path components', 'OAuthException', 2500));
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${options.accessToken}`) {
      reply(res, 401, graphError(190, 'Invalid OAuth access token - Cannot parse access token'));
      return;
    }
    const id = parts[1] ?? '';
    if (id !== options.phoneNumberId) {
      const verb = req.method === 'GET' ? 'get' : 'post';
      reply(
        res,
        400,
        graphError(100, `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 'GraphMethodException', 33),
      );
      return;
    }
    if (req.method === 'GET' && parts.length === 2) {
      const all: Record<string, unknown> = {
        display_phone_number: '+1 555-078-3881',
        verified_name: 'Wardline Stand-in Clinic',
        quality_rating: 'GREEN',
        throughput: { level: 'STANDARD' },
        code_verification_status: 'VERIFIED',
        platform_type: 'CLOUD_API',
      };
      const fields = (url.searchParams.get('fields') ?? 'display_phone_number,verified_name,quality_rating').split(',');
      const out: Record<string, unknown> = {};
      for (const f of fields) if (f in all) out[f] = all[f];
      reply(res, 200, { ...out, id: options.phoneNumberId });
      return;
    }
    if (req.method !== 'POST' || parts[2] !== 'messages') {
      reply(res, 400, graphError(100, 'Unsupported request', 'GraphMethodException', 33));
      return;
    }
    const parsed = parseSend(raw);
    if (typeof parsed === 'string') {
      reply(res, 400, graphError(100, parsed));
      return;
    }
    const failure = failures.find((f) => f.remaining > 0 && f.match({ to: parsed.to }));
    if (failure !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining === 0) failures.splice(failures.indexOf(failure), 1);
      const { httpStatus, code } = failure.error;
      const message = failure.error.message ?? TITLES[code] ?? 'An error occurred';
      if (httpStatus === 429) res.setHeader('retry-after', '2');
      reply(res, httpStatus, graphError(code, message));
      return;
    }
    const message: MetaSentMessage = {
      ...parsed,
      wamid: `wamid.${randomBytes(30).toString('base64url')}`,
      receivedAt: Date.now(),
      hrtime: performance.now(),
    };
    sent.push(message);
    if (hangUps > 0) {
      hangUps -= 1;
      req.socket.destroy();
      return;
    }
    reply(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: parsed.to, wa_id: digitsOf(parsed.to) }],
      messages: [{ id: message.wamid }],
    });
    scheduleAutoStatuses(message);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, graphError(1, 'An unknown error occurred', 'OAuthException'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, { url: `http://127.0.0.1:${String(port)}` });
}
