/**
 * A stand-in for Meta's Graph API (the WhatsApp Cloud API), which tests and benchmarks cannot reach: a loopback HTTP
 * server (node:http, port 0) that speaks its documented wire format, so Wardline's adapter is exercised over real HTTP
 * exactly as in production (its `graphBaseUrl` option routes requests here). It also plays Meta's side of the
 * webhooks: the verification handshake, status and inbound-message deliveries and `user_preferences` changes, each in
 * Meta's envelope and signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
 *
 * Wire format followed (reference §3; https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids):
 * - `POST /{version}/{phoneNumberId}/messages`, JSON, `Authorization: Bearer <token>`. A wrong token is 401 with Graph
 *   error 190 (`OAuthException`); an unknown phone number id is 400 with error 100 (subcode 33); a body that is not
 *   JSON, or one without `messaging_product: 'whatsapp'`, `to`, and `text.body` (type `text`) or `template.name` +
 *   `template.language.code` (type `template`) is 400 with error 100. Errors use Graph's shape `{ error: { message,
 *   type, code, error_subcode?, error_data: { messaging_product, details }, fbtrace_id } }`. Success: 200
 *   `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }` with `wamid.` + random base64url.
 * - `GET /{version}/{phoneNumberId}?fields=…`: the phone number's `display_phone_number`, `verified_name`,
 *   `quality_rating`, `throughput` …; a field the node does not have is 400 with error 100, as Graph answers.
 *
 * Test controls: `failNext` (scripted Graph errors for a recipient or a predicate), `hangUp`/`hangUpNext` (store the
 * message, then reset the connection: the send's outcome is unknown), `delayMs` (before each Graph answer), `numberInfo`
 * (what the phone-number read returns), the `sent` list with arrival times (`receivedAt` = Date.now(), `hrtime` =
 * performance.now()) and the request JSON, `calls` (every Graph request and its status), `autoStatuses` +
 * `webhookUrl` (signed status webhooks after each accepted send, in order, echoing its `biz_opaque_callback_data`),
 * signed `postStatus`/`postInbound`/`postUserPreference` (signed with the configured app secret, or with one given as
 * the second argument), `postRaw`, `handshake`, `close()`.
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
  readonly template: {
    readonly name: string;
    readonly language: string;
    readonly parameters: string[];
  } | null;
  readonly bizOpaque: string | null;
  /** The request body exactly as parsed. */
  readonly json: Readonly<Record<string, unknown>>;
  readonly receivedAt: number;
  readonly hrtime: number;
}

export interface MetaCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: number;
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

export interface MetaGraphFailure {
  readonly httpStatus: number;
  readonly code: number;
  /** Graph's `message` (default: the code's title). Real Graph messages can quote the recipient. */
  readonly message?: string;
  readonly subcode?: number;
  /** Sent as `Retry-After` (default 2 with HTTP 429, none otherwise). */
  readonly retryAfterSeconds?: number;
}

export interface MetaStatusWebhook {
  readonly wamid: string;
  readonly status: string;
  readonly errorCode?: number;
  /** undefined echoes what the send carried, as Meta does; null omits it. */
  readonly bizOpaque?: string | null;
  readonly timestamp?: number;
  /** `recipient_id` (digits); default the send's recipient; null omits it (a send addressed to a BSUID). */
  readonly recipient?: string | null;
  /** `recipient_user_id`, the recipient's business-scoped user id. */
  readonly userId?: string;
}

export interface MetaInboundWebhook {
  /** The sender's number (E.164 or digits); null for a user whose number Meta withholds (a WhatsApp username). */
  readonly from: string | null;
  readonly text: string;
  readonly id?: string;
  readonly timestamp?: number;
  /** `text` (default), `button`, `interactive`, or a media type (`image` …, with `text` as its caption). */
  readonly type?: string;
  /** The sender's business-scoped user id (`contacts[].user_id`); a random `US.…` one by default. */
  readonly userId?: string;
  /** `contacts[].profile.name` (default 'Stand-in Patient'). */
  readonly profileName?: string;
}

export interface MetaPreferenceWebhook {
  /** The user's number (E.164 or digits); null for a user whose number Meta withholds. */
  readonly waId: string | null;
  readonly value: 'stop' | 'resume';
  readonly timestamp?: number;
  readonly userId?: string;
  readonly category?: string;
}

type Matcher = ((req: { to: string }) => boolean) | string;

export interface MetaStandIn {
  /** The `graphBaseUrl` to give the adapter. */
  readonly url: string;
  /** Messages Meta accepted (and, with `hangUp`, stored before dropping the connection), in arrival order. */
  readonly sent: MetaSentMessage[];
  /** Every Graph request: method, path (no query), the status answered (0 for a dropped connection). */
  readonly calls: MetaCall[];
  /**
   * The next `times` (default 1) sends whose recipient matches fail with this Graph error.
   * @param match - a predicate on the request's `to` (digits), or a number (`+` optional) that must equal it
   */
  failNext(match: Matcher, error: MetaGraphFailure, times?: number): void;
  /** The next `times` (default 1) sends are stored, then the connection is reset without an answer. */
  hangUp(times?: number): void;
  /** Same as `hangUp`. */
  hangUpNext(times?: number): void;
  /** Milliseconds to wait before answering each Graph request. */
  delayMs: number;
  /** What `GET /{phoneNumberId}` knows; change a field (e.g. `quality_rating: 'RED'`) to script `check()`. */
  numberInfo: Record<string, unknown>;
  /** Status webhooks posted to `webhookUrl` after each accepted send, in this order. */
  autoStatuses: MetaStatus[];
  webhookUrl: string | null;
  postStatus(url: string, s: MetaStatusWebhook): Promise<WebhookAnswer>;
  postStatus(url: string, appSecret: string, s: MetaStatusWebhook): Promise<WebhookAnswer>;
  postInbound(url: string, m: MetaInboundWebhook): Promise<WebhookAnswer>;
  postInbound(url: string, appSecret: string, m: MetaInboundWebhook): Promise<WebhookAnswer>;
  postUserPreference(url: string, p: MetaPreferenceWebhook): Promise<WebhookAnswer>;
  postUserPreference(url: string, appSecret: string, p: MetaPreferenceWebhook): Promise<WebhookAnswer>;
  /** `signature`: undefined signs correctly, null sends no header, a string is sent as the header as is. */
  postRaw(url: string, body: string | Buffer, signature?: string | null): Promise<WebhookAnswer>;
  /** Meta's `GET ?hub.mode=…&hub.verify_token=…&hub.challenge=…`. */
  handshake(url: string, verifyToken: string, challenge: string, mode?: string): Promise<WebhookAnswer>;
  close(): Promise<void>;
}

const WABA_ID = '102290129340398';
const DISPLAY_PHONE_NUMBER = '15550783881';

/** The fields of Graph's WhatsApp Business Phone Number node that `fields=` may name here. */
const NUMBER_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'throughput',
  'code_verification_status',
  'platform_type',
  'name_status',
  'messaging_limit_tier',
  'status',
  'is_official_business_account',
  'account_mode',
]);

interface Failure {
  readonly match: (req: { to: string }) => boolean;
  readonly error: MetaGraphFailure;
  remaining: number;
}

/** Graph's titles for the codes tests script; others get a generic one. */
const TITLES: Readonly<Record<number, string>> = {
  1: 'API Unknown',
  2: 'API Service',
  4: 'Application request limit reached',
  10: 'Permission Denied',
  100: 'Invalid parameter',
  190: 'Invalid OAuth access token',
  80007: 'Rate limit issues',
  130429: 'Rate limit hit',
  131000: 'Something went wrong',
  131026: 'Message undeliverable',
  131047: 'Re-engagement message',
  131048: 'Spam rate limit hit',
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

function graphError(
  code: number,
  message: string,
  type = 'OAuthException',
  subcode?: number,
): Record<string, unknown> {
  return {
    error: {
      message: `(#${String(code)}) ${message}`,
      type,
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      error_data: { messaging_product: 'whatsapp', details: message },
      fbtrace_id: fbtraceId(),
    },
  };
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

function randomBsuid(): string {
  return `US.${String(randomBytes(8).readBigUInt64BE())}`;
}

function randomWamid(): string {
  return `wamid.${randomBytes(30).toString('base64url')}`;
}

/** `(url, secret, payload)` or `(url, payload)`: the secret to sign with and the payload. */
function secretAnd<T>(defaultSecret: string, a: string | T, b: T | undefined): [string, T] {
  if (typeof a === 'string') {
    if (b === undefined) throw new TypeError('the payload is missing');
    return [a, b];
  }
  return [defaultSecret, a];
}

/** A validated send request, or the Graph error 100 details for one that is not. */
function parseSend(raw: Buffer): Omit<MetaSentMessage, 'wamid' | 'receivedAt' | 'hrtime'> | string {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'Invalid parameter: the request body is not JSON';
  }
  if (!isRecord(json)) return 'Invalid parameter: the request body is not an object';
  if (json['messaging_product'] !== 'whatsapp') return 'The parameter messaging_product is required.';
  const recipientType = json['recipient_type'];
  if (recipientType !== undefined && recipientType !== 'individual' && recipientType !== 'group') {
    return 'Param recipient_type must be one of {individual, group}.';
  }
  const to = str(json['to']);
  if (to === null || !/^\+?\d{6,15}$/.test(to)) return 'The parameter to is required.';
  const type = str(json['type']) ?? 'text';
  const bizOpaque = json['biz_opaque_callback_data'];
  if (bizOpaque !== undefined && (typeof bizOpaque !== 'string' || bizOpaque.length > 512)) {
    return 'Param biz_opaque_callback_data must be a string of at most 512 characters.';
  }
  const common = {
    to: digitsOf(to),
    type,
    bizOpaque: typeof bizOpaque === 'string' ? bizOpaque : null,
    json,
  };
  if (type === 'text') {
    const text = json['text'];
    const body = isRecord(text) ? str(text['body']) : null;
    if (!isRecord(text) || body === null) return "The parameter text['body'] is required.";
    if (body.length > 4096) return "Param text['body'] must be at most 4096 characters long.";
    if (text['preview_url'] !== undefined && typeof text['preview_url'] !== 'boolean') {
      return "Param text['preview_url'] must be a boolean.";
    }
    return { ...common, body, template: null };
  }
  if (type === 'template') {
    const template = json['template'];
    if (!isRecord(template)) return 'The parameter template is required.';
    const name = str(template['name']);
    const language = isRecord(template['language']) ? str(template['language']['code']) : null;
    if (name === null) return "The parameter template['name'] is required.";
    if (language === null) return "The parameter template['language']['code'] is required.";
    const parameters: string[] = [];
    const components = template['components'];
    if (components !== undefined) {
      if (!Array.isArray(components)) return "Param template['components'] must be an array.";
      for (const component of components) {
        if (!isRecord(component) || typeof component['type'] !== 'string') {
          return "Param template['components'] must hold objects with a type.";
        }
        if (component['type'] !== 'body') continue;
        const params = component['parameters'];
        if (!Array.isArray(params)) return "Param template['components'][0]['parameters'] must be an array.";
        for (const p of params) {
          if (!isRecord(p) || p['type'] !== 'text' || typeof p['text'] !== 'string') {
            return 'Invalid parameter: template text parameter.';
          }
          parameters.push(p['text']);
        }
      }
    }
    return { ...common, body: null, template: { name, language, parameters } };
  }
  return 'Param type must be one of {text, template} in this stand-in.';
}

/**
 * Starts the stand-in on a loopback port.
 * @param options - the phone number id and access token it accepts, the app secret it signs webhooks with, and
 *   optional automatic status webhooks
 */
export async function startMetaStandIn(options: MetaStandInOptions): Promise<MetaStandIn> {
  const sent: MetaSentMessage[] = [];
  const calls: MetaCall[] = [];
  const failures: Failure[] = [];
  let hangUps = 0;
  const pending = new Set<Promise<unknown>>();
  let autoChain: Promise<unknown> = Promise.resolve();

  function sign(body: Buffer, secret: string): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }

  async function post(url: string, body: Buffer, signature: string | null): Promise<WebhookAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
    };
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
                metadata: {
                  display_phone_number: DISPLAY_PHONE_NUMBER,
                  phone_number_id: options.phoneNumberId,
                },
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
  function statusBody(s: MetaStatusWebhook): Buffer {
    const known = sent.find((m) => m.wamid === s.wamid);
    const bizOpaque = s.bizOpaque === undefined ? (known?.bizOpaque ?? null) : s.bizOpaque;
    const recipient = s.recipient === undefined ? (known?.to ?? '16505551234') : s.recipient;
    const failed = s.status === 'failed' || s.errorCode !== undefined;
    const code = s.errorCode ?? 131026;
    const title = TITLES[code] ?? 'Message failed to send';
    const status = {
      id: s.wamid,
      status: s.status,
      timestamp: String(s.timestamp ?? nowSeconds()),
      ...(recipient === null ? {} : { recipient_id: digitsOf(recipient) }),
      ...(s.userId === undefined ? {} : { recipient_user_id: s.userId }),
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

  function inboundBody(m: MetaInboundWebhook): Buffer {
    const from = m.from === null ? null : digitsOf(m.from);
    const type = m.type ?? 'text';
    const id = m.id ?? randomWamid();
    let content: Record<string, unknown>;
    switch (type) {
      case 'text':
        content = { text: { body: m.text } };
        break;
      case 'button':
        content = {
          context: { from: DISPLAY_PHONE_NUMBER, id: randomWamid() },
          button: { payload: m.text, text: m.text },
        };
        break;
      case 'interactive':
        content = { interactive: { type: 'button_reply', button_reply: { id: 'reply-1', title: m.text } } };
        break;
      default:
        content = {
          [type]: {
            mime_type: 'image/jpeg',
            sha256: randomBytes(32).toString('base64'),
            id: String(randomBytes(8).readBigUInt64BE()),
            ...(m.text === '' ? {} : { caption: m.text }),
          },
        };
    }
    const userId = m.userId ?? randomBsuid();
    return envelope('messages', {
      contacts: [
        {
          profile: { name: m.profileName ?? 'Stand-in Patient' },
          ...(from === null ? {} : { wa_id: from }),
          user_id: userId,
        },
      ],
      messages: [
        {
          ...(from === null ? {} : { from }),
          id,
          timestamp: String(m.timestamp ?? nowSeconds()),
          type,
          ...content,
        },
      ],
    });
  }

  function preferenceBody(p: MetaPreferenceWebhook): Buffer {
    const waId = p.waId === null ? null : digitsOf(p.waId);
    const userId = p.userId ?? randomBsuid();
    return envelope('user_preferences', {
      contacts: [
        { profile: { name: 'Stand-in Patient' }, ...(waId === null ? {} : { wa_id: waId }), user_id: userId },
      ],
      user_preferences: [
        {
          ...(waId === null ? {} : { wa_id: waId }),
          user_id: userId,
          detail:
            p.value === 'stop'
              ? 'User requested to stop marketing messages'
              : 'User requested to resume marketing messages',
          category: p.category ?? 'marketing_messages',
          value: p.value,
          timestamp: p.timestamp ?? nowSeconds(),
        },
      ],
    });
  }

  const standIn: MetaStandIn = {
    url: '',
    sent,
    calls,
    delayMs: 0,
    numberInfo: {
      display_phone_number: '+1 555-078-3881',
      verified_name: 'Wardline Stand-in Clinic',
      quality_rating: 'GREEN',
      throughput: { level: 'STANDARD' },
      code_verification_status: 'VERIFIED',
      platform_type: 'CLOUD_API',
      name_status: 'APPROVED',
      messaging_limit_tier: 'TIER_1K',
      status: 'CONNECTED',
      is_official_business_account: false,
      account_mode: 'LIVE',
    },
    autoStatuses: [...(options.autoStatuses ?? [])],
    webhookUrl: options.webhookUrl ?? null,
    failNext(match, error, times = 1) {
      const test = typeof match === 'string' ? (req: { to: string }) => req.to === digitsOf(match) : match;
      failures.push({ match: test, error, remaining: times });
    },
    hangUp(times = 1) {
      hangUps += times;
    },
    hangUpNext(times = 1) {
      hangUps += times;
    },
    postStatus(url: string, a: string | MetaStatusWebhook, b?: MetaStatusWebhook) {
      const [secret, s] = secretAnd(options.appSecret, a, b);
      const body = statusBody(s);
      return post(url, body, sign(body, secret));
    },
    postInbound(url: string, a: string | MetaInboundWebhook, b?: MetaInboundWebhook) {
      const [secret, m] = secretAnd(options.appSecret, a, b);
      const body = inboundBody(m);
      return post(url, body, sign(body, secret));
    },
    postUserPreference(url: string, a: string | MetaPreferenceWebhook, b?: MetaPreferenceWebhook) {
      const [secret, p] = secretAnd(options.appSecret, a, b);
      const body = preferenceBody(p);
      return post(url, body, sign(body, secret));
    },
    postRaw(url, body, signature) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      return post(url, bytes, signature === undefined ? sign(bytes, options.appSecret) : signature);
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
    const url = standIn.webhookUrl;
    const statuses = [...standIn.autoStatuses];
    if (url === null || statuses.length === 0) return;
    const run = autoChain.then(async () => {
      for (const status of statuses) {
        await standIn
          .postStatus(url, {
            wamid: message.wamid,
            status,
            bizOpaque: message.bizOpaque,
            ...(status === 'failed' ? { errorCode: 131026 } : {}),
          })
          .catch(() => undefined);
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
    const call = { method: req.method ?? '', path: url.pathname, status: 0, at: Date.now() };
    calls.push(call);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      const body = JSON.stringify(json);
      res.writeHead(status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      });
      res.end(body);
    };
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const version = parts[0] ?? '';
    if (!/^v\d+\.\d+$/.test(version) || parts.length < 2 || parts.length > 3) {
      reply(400, graphError(100, 'Unknown path components', 'OAuthException', 2500));
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${options.accessToken}`) {
      reply(401, graphError(190, 'Invalid OAuth access token - Cannot parse access token'));
      return;
    }
    const id = parts[1] ?? '';
    if (id !== options.phoneNumberId) {
      const verb = req.method === 'GET' ? 'get' : 'post';
      reply(
        400,
        graphError(
          100,
          `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          'GraphMethodException',
          33,
        ),
      );
      return;
    }
    if (req.method === 'GET' && parts.length === 2) {
      const fields = (url.searchParams.get('fields') ?? 'display_phone_number,verified_name,quality_rating')
        .split(',')
        .filter((f) => f !== '');
      const unknown = fields.find((f) => !NUMBER_FIELDS.has(f));
      if (unknown !== undefined) {
        reply(
          400,
          graphError(
            100,
            `Tried accessing nonexisting field (${unknown}) on node type (WhatsAppBusinessPhoneNumber)`,
          ),
        );
        return;
      }
      const out: Record<string, unknown> = {};
      for (const f of fields) if (f in standIn.numberInfo) out[f] = standIn.numberInfo[f];
      reply(200, { ...out, id: options.phoneNumberId });
      return;
    }
    if (req.method !== 'POST' || parts[2] !== 'messages') {
      reply(400, graphError(100, 'Unsupported request', 'GraphMethodException', 33));
      return;
    }
    const parsed = parseSend(raw);
    if (typeof parsed === 'string') {
      reply(400, graphError(100, parsed));
      return;
    }
    const failure = failures.find((f) => f.remaining > 0 && f.match({ to: parsed.to }));
    if (failure !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining === 0) failures.splice(failures.indexOf(failure), 1);
      const { httpStatus, code, subcode } = failure.error;
      const retryAfter = failure.error.retryAfterSeconds ?? (httpStatus === 429 ? 2 : undefined);
      const message = failure.error.message ?? TITLES[code] ?? 'An error occurred';
      reply(
        httpStatus,
        graphError(code, message, 'OAuthException', subcode),
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      );
      return;
    }
    const message: MetaSentMessage = {
      ...parsed,
      wamid: randomWamid(),
      receivedAt: Date.now(),
      hrtime: performance.now(),
    };
    sent.push(message);
    if (hangUps > 0) {
      hangUps -= 1;
      req.socket.destroy();
      return;
    }
    reply(200, {
      messaging_product: 'whatsapp',
      contacts: [
        { input: typeof parsed.json['to'] === 'string' ? parsed.json['to'] : parsed.to, wa_id: parsed.to },
      ],
      messages: [{ id: message.wamid }],
    });
    scheduleAutoStatuses(message);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        const body = JSON.stringify(graphError(1, 'An unknown error occurred'));
        res.writeHead(500, { 'content-type': 'application/json' }).end(body);
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, { url: `http://127.0.0.1:${String(port)}` });
}
