/**
 * A stand-in for Twilio's REST API, which tests and benchmarks cannot reach: a loopback HTTP server (node:http, port 0)
 * that speaks Twilio's documented wire format, so Wardline's adapter is exercised through the official `twilio` SDK
 * exactly as in production (its `apiBaseUrl` option routes the SDK's requests here). It also plays Twilio's side of the
 * webhooks: status callbacks and inbound messages, signed with the SDK's own `getExpectedTwilioSignature`.
 *
 * Wire format followed (reference §4; https://www.twilio.com/docs/messaging/api/message-resource):
 * - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP Basic auth (account sid + auth token,
 *   or API key sid + secret). Validated like Twilio: 21604 no To, 21603 no From/MessagingServiceSid, 21602 no
 *   Body/MediaUrl/ContentSid, 21617 Body over 1600 characters, 21211 To not a phone number, 21606 From not a number of
 *   the account, 21701 unknown Messaging Service, 21910 From/To on different channels, 21656 ContentVariables not JSON,
 *   21609 StatusCallback not a URL; 20003 bad credentials. Errors use Twilio's JSON shape
 *   `{ code, message, more_info, status }` and, like Twilio, may quote the number in `message`.
 *   Success: 201 with the Message resource (`SM` + 32 hex, `queued`, or `accepted` through a Messaging Service, whose
 *   `from` stays null and `num_segments` 0 until a sender is chosen; `date_sent` null until the message leaves).
 * - `GET …/Messages.json` with `To`, `From`, `DateSent`, `DateSent<`, `DateSent>` (day granularity, GMT; a message
 *   not yet sent has no `date_sent` and no date filter matches it), `PageSize` (default 50, max 1000), `Page` and
 *   `PageToken`; sorted by `date_sent`, most recent first, undated last; Twilio's paging envelope.
 * - `GET /2010-04-01/Accounts/{Sid}.json`, `GET …/IncomingPhoneNumbers.json` (`PhoneNumber` filter) and
 *   `GET /messaging/v1/Services/{Sid}` (20404 for an unknown one). The adapter maps `https://api.twilio.com/…` to
 *   `<url>/…` and `https://messaging.twilio.com/…` to `<url>/messaging/…`.
 *
 * Test controls: `failNext` (scripted API errors, e.g. 21610 after a STOP or 429, once or `times` times), `hangUpNext`
 * (store the message, then destroy the socket without answering, or never answer: the send's outcome is unknown), `delayMs`, the `sent` list with arrival
 * times (`receivedAt` = Date.now(), `hrtime` = performance.now()), `requests` (every API call), `callback` (a signed
 * status callback to the message's StatusCallback), `inbound`/`post` (signed webhooks), `autoCallbacks`, `close()`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { measureSegments } from '../../src/core/messaging/segments.ts';

export type FormParams = Record<string, string | string[]>;

/** Statuses the stand-in can report in a status callback (Twilio's `MessageStatus` values). */
export type CallbackStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'read'
  | 'accepted'
  | 'scheduled'
  | 'canceled'
  | 'partially_delivered';

export interface StandInService {
  readonly sid: string;
  readonly friendlyName?: string;
  /** The service-level delivery status callback (null: none). */
  readonly statusCallback?: string | null;
  /** The service's use case, e.g. `notifications`. */
  readonly usecase?: string;
}

export interface TwilioStandInOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** The account's API key, accepted like the auth token. Omitted: any `SK…` key with any secret is accepted. */
  readonly apiKey?: { readonly sid: string; readonly secret: string };
  readonly accountStatus?: 'active' | 'suspended' | 'closed';
  readonly accountType?: 'Trial' | 'Full';
  /** The Messaging Services that exist. Omitted: any well-formed MG sid exists (with no status callback). */
  readonly services?: readonly StandInService[];
  /** The account's phone numbers (IncomingPhoneNumbers). When given, a plain `From` outside it is refused (21606). */
  readonly phoneNumbers?: readonly string[];
  /** The sender a Messaging Service picks for SMS/MMS (reported as `from` once the message leaves). */
  readonly serviceSender?: string;
  /** The RCS sender a Messaging Service uses for `rcs:` recipients. */
  readonly rcsSender?: string;
  /** Content API templates by ContentSid: text with `{{1}}`-style variables, rendered into `body` like Twilio does. */
  readonly contentTemplates?: Readonly<Record<string, string>>;
  /** Delay before answering every API request (ms). Can be changed later through `delayMs`. */
  readonly delayMs?: number;
  /** Status callbacks to fire, in order, after each accepted message that has a StatusCallback. */
  readonly autoCallbacks?: readonly ('sent' | 'delivered' | 'read' | 'failed' | CallbackStatus)[];
}

/** A message the stand-in stored (every outbound message Twilio would have accepted, including hung-up ones). */
export interface StandInMessage {
  readonly sid: string;
  readonly accountSid: string;
  /** `To` as sent (`+1…`, `whatsapp:+1…`, `rcs:+1…`). */
  readonly to: string;
  /** `From` as sent, or null when only a Messaging Service was given. */
  readonly from: string | null;
  readonly messagingServiceSid: string | null;
  /** `Body` as sent (null when absent). */
  readonly body: string | null;
  readonly mediaUrls: string[];
  readonly contentSid: string | null;
  readonly contentVariables: string | null;
  readonly statusCallback: string | null;
  readonly validityPeriod: number | null;
  /** Every form parameter exactly as received. */
  readonly params: Readonly<FormParams>;
  /** Arrival time, Date.now(). */
  readonly receivedAt: number;
  /** Arrival time, performance.now() (rate measurements). */
  readonly hrtime: number;
  status: string;
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
  /** The sender Twilio reports (`from` of the resource): null until a service picks one. */
  sender: string | null;
  errorCode: number | null;
}

/** What a scripted failure sees of a create request. */
export interface CreateRequest {
  readonly to: string;
  readonly from: string | null;
  readonly messagingServiceSid: string | null;
  readonly body: string | null;
  readonly params: Readonly<FormParams>;
}

export interface ScriptedError {
  readonly status: number;
  /** Twilio's error code; omitted, the JSON has none (the adapter then reports `HTTP_<status>`). */
  readonly code?: number;
  readonly message?: string;
  /** Sent as `Retry-After` (seconds). */
  readonly retryAfterSeconds?: number;
}

export interface HangUp {
  /** Which create request to hang up on (default: the next one). */
  readonly match?: string | ((req: CreateRequest) => boolean);
  /** Store the message before hanging up, as when Twilio accepted it but the answer was lost (default true). */
  readonly store?: boolean;
  /** `reset`: close the connection at once; `timeout`: never answer (the client times out). Default `reset`. */
  readonly mode?: 'reset' | 'timeout';
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export interface TwilioStandIn {
  /** Base URL (`http://127.0.0.1:<port>`): the adapter's `apiBaseUrl` / `TWILIO_API_URL`. */
  readonly url: string;
  /** Stored outbound messages in arrival order. The list may be cleared (`sent.length = 0`) between measurements. */
  readonly sent: StandInMessage[];
  /** Every API request: method, path (with query), domain, time. */
  readonly requests: { method: string; path: string; domain: string; at: number }[];
  /** Errors from automatic callbacks (they never throw into the server). */
  readonly callbackErrors: unknown[];
  delayMs: number;
  /**
   * The next `times` (default 1) create requests that match (a `To` value, compared with and without its channel
   * prefix, or a predicate) fail with this error instead of being stored. Several may be queued.
   */
  failNext(match: string | ((req: CreateRequest) => boolean), error: ScriptedError, times?: number): void;
  /**
   * The next `times` (default 1) create requests are stored and then get no answer: the socket is destroyed. With
   * options: which request, whether it is stored, and `timeout` (never answered) instead of a reset.
   */
  hangUpNext(times?: number | HangUp): void;
  /** A stored message by sid. */
  message(sid: string): StandInMessage | undefined;
  /**
   * Moves a message to `status` and POSTs Twilio's status callback to its StatusCallback URL, signed.
   * @returns the HTTP status Wardline answered
   */
  callback(
    message: string | StandInMessage,
    status: CallbackStatus | (string & {}),
    errorCode?: string | number,
    extra?: Record<string, string>,
  ): Promise<number>;
  /** POSTs an inbound message webhook (parameters as in reference §4.4), signed. */
  inbound(url: string, params: Record<string, string>): Promise<WebhookResponse>;
  /**
   * POSTs form parameters to a webhook URL. `signature`: omitted, a valid signature; a string, that header; null, none.
   */
  post(
    url: string,
    params: Record<string, string>,
    options?: { signature?: string | null | undefined },
  ): Promise<WebhookResponse>;
  /** Resolves when every automatic callback scheduled so far has been answered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';
const MAX_BODY = 1600;
const E164 = /^\+[1-9]\d{6,14}$/;
const SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const CHANNEL = /^(whatsapp|rcs):/;

class ApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, code: number | undefined, message: string, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const rfc2822 = (d: Date): string => d.toUTCString().replace('GMT', '+0000');
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const stripChannel = (address: string): string => address.replace(CHANNEL, '');
const channelOf = (address: string): string | null => CHANNEL.exec(address)?.[1] ?? null;

function readForm(req: IncomingMessage): Promise<FormParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params: FormParams = {};
      for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
        const previous = params[key];
        params[key] =
          previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
      }
      resolve(params);
    });
    req.on('error', reject);
  });
}

function one(params: FormParams, name: string): string | null {
  const value = params[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function all(params: FormParams, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A GMT day from a `DateSent` filter value: `YYYY-MM-DD`, or an ISO date-time (the SDK sends those). */
function dayOf(value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (match === null) throw new ApiError(400, 20001, `Invalid DateSent value`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

const DAY_MS = 86_400_000;

/**
 * Starts the stand-in on a free loopback port.
 * @param options - the account, its credentials, services and numbers, and behaviour switches
 */
export async function startTwilioStandIn(options: TwilioStandInOptions): Promise<TwilioStandIn> {
  const accountSid = options.accountSid;
  const messages = new Map<string, StandInMessage>();
  const sent: StandInMessage[] = [];
  const requests: TwilioStandIn['requests'] = [];
  const callbackErrors: unknown[] = [];
  const failures: { match: string | ((req: CreateRequest) => boolean); error: ScriptedError; left: number }[] = [];
  const hangUps: HangUp[] = [];
  const sockets = new Set<Socket>();
  let pending: Promise<void> = Promise.resolve();
  let serial = 0;
  const createdAt = new Date();

  const matches = (
    match: string | ((req: CreateRequest) => boolean) | undefined,
    req: CreateRequest,
  ): boolean =>
    match === undefined ||
    (typeof match === 'function' ? match(req) : match === req.to || match === stripChannel(req.to));

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8')
      : '';
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const ok =
      colon > 0 &&
      ((user === accountSid && password === options.authToken) ||
        (options.apiKey === undefined
          ? /^SK[0-9a-fA-F]{32}$/.test(user) && password !== '' // any API key of the account
          : user === options.apiKey.sid && password === options.apiKey.secret));
    if (!ok) throw new ApiError(401, 20003, 'Authenticate');
  }

  function notFound(path: string): ApiError {
    return new ApiError(404, 20404, `The requested resource ${path} was not found`);
  }

  function service(sid: string): StandInService | undefined {
    if (!SERVICE_SID.test(sid)) return undefined;
    if (options.services === undefined) return { sid };
    return options.services.find((s) => s.sid === sid);
  }

  function messageResource(m: StandInMessage): Record<string, unknown> {
    const base = `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}`;
    const rendered =
      m.contentSid === null ? (m.body ?? '') : renderTemplate(m.contentSid, m.contentVariables);
    const unassigned = m.messagingServiceSid !== null && m.sender === null;
    return {
      account_sid: m.accountSid,
      api_version: API_VERSION,
      body: rendered,
      date_created: rfc2822(m.dateCreated),
      date_sent: m.dateSent === null ? null : rfc2822(m.dateSent),
      date_updated: rfc2822(m.dateUpdated),
      direction: 'outbound-api',
      error_code: m.errorCode,
      error_message: null,
      from: m.sender,
      messaging_service_sid: m.messagingServiceSid,
      num_media: String(m.mediaUrls.length),
      num_segments: unassigned ? '0' : String(measureSegments(rendered).segments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${base}/Media.json`, feedback: `${base}/Feedback.json` },
      to: m.to,
      uri: `${base}.json`,
    };
  }

  function renderTemplate(contentSid: string, variables: string | null): string {
    const template = options.contentTemplates?.[contentSid];
    if (template === undefined) return '';
    const values = variables === null ? {} : (JSON.parse(variables) as Record<string, string>);
    return template.replace(/\{\{(\w+)\}\}/g, (_all, key: string) => values[key] ?? '');
  }

  /** Validates a create request as Twilio does; returns the message to store. */
  function validateCreate(params: FormParams): { message: StandInMessage; request: CreateRequest } {
    const to = one(params, 'To');
    const from = one(params, 'From');
    const serviceSid = one(params, 'MessagingServiceSid');
    const body = one(params, 'Body');
    const mediaUrls = all(params, 'MediaUrl');
    const contentSid = one(params, 'ContentSid');
    const contentVariables = one(params, 'ContentVariables');
    const statusCallback = one(params, 'StatusCallback');
    const validity = one(params, 'ValidityPeriod');
    if (to === null || to === '') throw new ApiError(400, 21604, "A 'To' phone number is required.");
    if ((from === null || from === '') && (serviceSid === null || serviceSid === '')) {
      throw new ApiError(400, 21603, "A 'From' phone number is required.");
    }
    if (serviceSid !== null && service(serviceSid) === undefined) {
      throw new ApiError(400, 21701, `The Messaging Service Sid ${serviceSid} is invalid.`);
    }
    if ((body === null || body === '') && mediaUrls.length === 0 && contentSid === null) {
      throw new ApiError(400, 21602, 'Message body is required.');
    }
    if (body !== null && body.length > MAX_BODY) {
      throw new ApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    if (!E164.test(stripChannel(to))) {
      throw new ApiError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    const toChannel = channelOf(to);
    const fromChannel = from === null ? null : channelOf(from);
    if (
      from !== null &&
      toChannel !== fromChannel &&
      !(toChannel === 'rcs' && serviceSid !== null && fromChannel === null)
    ) {
      throw new ApiError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel');
    }
    if (from === null && toChannel === 'whatsapp') {
      throw new ApiError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel');
    }
    if (
      from !== null &&
      fromChannel === null &&
      options.phoneNumbers !== undefined &&
      !options.phoneNumbers.includes(from)
    ) {
      throw new ApiError(
        400,
        21606,
        `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
      );
    }
    if (contentVariables !== null) {
      try {
        JSON.parse(contentVariables);
      } catch {
        throw new ApiError(400, 21656, 'The ContentVariables Parameter is invalid.');
      }
    }
    if (statusCallback !== null) {
      try {
        const parsed = new URL(statusCallback);
        if (parsed.hostname.includes('_')) throw new Error('underscore');
      } catch {
        throw new ApiError(400, 21609, 'Invalid StatusCallback url');
      }
    }
    const now = new Date(Math.floor(Date.now() / 1000) * 1000); // Twilio's timestamps have one-second resolution
    serial += 1;
    const message: StandInMessage = {
      sid: `SM${hex(12)}${serial.toString(16).padStart(8, '0')}`,
      accountSid,
      to,
      from,
      messagingServiceSid: serviceSid,
      body,
      mediaUrls,
      contentSid,
      contentVariables,
      statusCallback,
      validityPeriod: validity === null ? null : Number(validity),
      params,
      receivedAt: Date.now(),
      hrtime: performance.now(),
      status: serviceSid === null ? 'queued' : 'accepted',
      dateCreated: now,
      dateSent: null,
      dateUpdated: now,
      sender: from,
      errorCode: null,
    };
    return { message, request: { to, from, messagingServiceSid: serviceSid, body, params } };
  }

  function listMessages(query: URLSearchParams, path: string): Record<string, unknown> {
    const to = query.get('To');
    const from = query.get('From');
    const on = query.get('DateSent');
    const before = query.get('DateSent<');
    const after = query.get('DateSent>');
    const pageSize = Math.min(1000, Math.max(1, Number(query.get('PageSize') ?? 50) || 50));
    const page = Math.max(0, Number(query.get('Page') ?? 0) || 0);
    const dayFilters = [on, before, after].some((v) => v !== null);
    const rows = [...messages.values()]
      .filter((m) => to === null || m.to === to)
      .filter((m) => from === null || m.sender === from)
      .filter((m) => {
        if (!dayFilters) return true;
        if (m.dateSent === null) return false;
        const sentAt = m.dateSent.getTime();
        if (on !== null && (sentAt < dayOf(on) || sentAt >= dayOf(on) + DAY_MS)) return false;
        if (before !== null && sentAt >= dayOf(before) + DAY_MS) return false;
        if (after !== null && sentAt < dayOf(after)) return false;
        return true;
      })
      .sort((a, b) => {
        if (a.dateSent === null || b.dateSent === null) {
          if (a.dateSent !== b.dateSent) return a.dateSent === null ? 1 : -1;
        } else if (a.dateSent.getTime() !== b.dateSent.getTime()) {
          return b.dateSent.getTime() - a.dateSent.getTime();
        }
        return b.dateCreated.getTime() - a.dateCreated.getTime() || (a.sid < b.sid ? 1 : -1);
      });
    const start = page * pageSize;
    const slice = rows.slice(start, start + pageSize);
    const keep = new URLSearchParams();
    for (const [k, v] of query) if (k !== 'Page' && k !== 'PageToken' && k !== 'PageSize') keep.append(k, v);
    const uriFor = (p: number): string => {
      const q = new URLSearchParams(keep);
      q.set('PageSize', String(pageSize));
      q.set('Page', String(p));
      if (p > 0) q.set('PageToken', `PA${String(p)}`);
      return `${path}?${q.toString()}`;
    };
    return {
      first_page_uri: uriFor(0),
      end: start + slice.length - 1,
      previous_page_uri: page > 0 ? uriFor(page - 1) : null,
      messages: slice.map(messageResource),
      uri: uriFor(page),
      page_size: pageSize,
      start,
      next_page_uri: start + pageSize < rows.length ? uriFor(page + 1) : null,
      page,
    };
  }

  function accountResource(): Record<string, unknown> {
    const base = `/${API_VERSION}/Accounts/${accountSid}`;
    return {
      // Twilio's Account resource includes the auth token; so does this one, to prove the adapter never prints it.
      auth_token: options.authToken,
      date_created: rfc2822(createdAt),
      date_updated: rfc2822(createdAt),
      friendly_name: 'Wardline test account',
      owner_account_sid: accountSid,
      sid: accountSid,
      status: options.accountStatus ?? 'active',
      subresource_uris: {
        messages: `${base}/Messages.json`,
        incoming_phone_numbers: `${base}/IncomingPhoneNumbers.json`,
      },
      type: options.accountType ?? 'Full',
      uri: `${base}.json`,
    };
  }

  function serviceResource(s: StandInService): Record<string, unknown> {
    return {
      account_sid: accountSid,
      sid: s.sid,
      friendly_name: s.friendlyName ?? 'Wardline patient messages',
      date_created: createdAt.toISOString(),
      date_updated: createdAt.toISOString(),
      inbound_request_url: null,
      inbound_method: 'POST',
      fallback_url: null,
      fallback_method: 'POST',
      status_callback: s.statusCallback ?? null,
      sticky_sender: true,
      mms_converter: true,
      smart_encoding: true,
      scan_message_content: 'inherit',
      fallback_to_long_code: false,
      area_code_geomatch: true,
      synchronous_validation: true,
      validity_period: 36000,
      url: `https://messaging.twilio.com/v1/Services/${s.sid}`,
      links: {},
      usecase: s.usecase ?? 'notifications',
      us_app_to_person_registered: true,
      use_inbound_webhook_on_number: false,
    };
  }

  function phoneNumbers(query: URLSearchParams, path: string): Record<string, unknown> {
    const filter = (query.get('PhoneNumber') ?? '').replace(/\D/g, '');
    const rows = (options.phoneNumbers ?? []).filter((n) => n.replace(/\D/g, '').includes(filter));
    return {
      first_page_uri: `${path}?PageSize=50&Page=0`,
      end: rows.length - 1,
      previous_page_uri: null,
      incoming_phone_numbers: rows.map((n, i) => ({
        account_sid: accountSid,
        sid: `PN${String(i).padStart(32, '0')}`,
        phone_number: n,
        friendly_name: n,
        capabilities: { voice: true, sms: true, mms: true, fax: false },
        status: 'in-use',
        api_version: API_VERSION,
      })),
      uri: `${path}?PageSize=50&Page=0`,
      page_size: 50,
      start: 0,
      next_page_uri: null,
      page: 0,
    };
  }

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, error: ApiError): void {
    sendJson(
      res,
      error.status,
      error.code === undefined
        ? { message: error.message, status: error.status }
        : {
            code: error.code,
            message: error.message,
            more_info: `https://www.twilio.com/docs/errors/${String(error.code)}`,
            status: error.status,
          },
      error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const path = url.pathname;
    const domain = path.startsWith('/messaging/') ? 'messaging' : 'api';
    const method = req.method ?? 'GET';
    requests.push({ method, path: `${path}${url.search}`, domain, at: Date.now() });
    const form = method === 'POST' ? await readForm(req) : {};
    if (standIn.delayMs > 0) await sleep(standIn.delayMs);
    try {
      authenticate(req);
      const api =
        /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})(\.json|\/Messages\.json|\/IncomingPhoneNumbers\.json)$/.exec(
          path,
        );
      const svc = /^\/messaging\/v1\/Services\/([^/]+)$/.exec(path);
      if (api !== null) {
        if (api[1] !== accountSid) throw notFound(path);
        const resource = api[2];
        if (resource === '.json' && method === 'GET') {
          sendJson(res, 200, accountResource());
        } else if (resource === '/IncomingPhoneNumbers.json' && method === 'GET') {
          sendJson(res, 200, phoneNumbers(url.searchParams, path));
        } else if (resource === '/Messages.json' && method === 'GET') {
          sendJson(res, 200, listMessages(url.searchParams, path));
        } else if (resource === '/Messages.json' && method === 'POST') {
          create(req, res, form);
        } else {
          throw new ApiError(405, 20004, 'Method not allowed');
        }
        return;
      }
      if (svc !== null && method === 'GET') {
        const found = service(svc[1] ?? '');
        if (found === undefined) throw notFound(`/Services/${svc[1] ?? ''}`);
        sendJson(res, 200, serviceResource(found));
        return;
      }
      throw notFound(path);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendError(res, error);
    }
  }

  function create(req: IncomingMessage, res: ServerResponse, params: FormParams): void {
    const { message, request } = validateCreate(params);
    const scripted = failures.find((f) => matches(f.match, request));
    if (scripted !== undefined) {
      scripted.left -= 1;
      if (scripted.left <= 0) failures.splice(failures.indexOf(scripted), 1);
      const error = scripted.error;
      throw new ApiError(
        error.status,
        error.code,
        error.message ?? `Error ${String(error.code ?? error.status)}`,
        error.retryAfterSeconds,
      );
    }
    const hang = hangUps.findIndex((h) => matches(h.match, request));
    const hangUp = hang === -1 ? undefined : hangUps.splice(hang, 1)[0];
    if (hangUp?.store !== false) {
      messages.set(message.sid, message);
      sent.push(message);
    }
    if (hangUp !== undefined) {
      if ((hangUp.mode ?? 'reset') === 'reset') req.socket.destroy();
      return; // 'timeout': never answered; the socket is destroyed on close()
    }
    sendJson(res, 201, messageResource(message));
    const auto = options.autoCallbacks ?? [];
    if (auto.length > 0 && message.statusCallback !== null) {
      pending = pending.then(async () => {
        for (const status of auto) {
          try {
            await standIn.callback(message, status);
          } catch (error) {
            callbackErrors.push(error);
          }
        }
      });
    }
  }

  async function post(
    url: string,
    params: Record<string, string>,
    opts: { signature?: string | null | undefined } = {},
  ): Promise<WebhookResponse> {
    const signature =
      opts.signature === undefined
        ? twilio.getExpectedTwilioSignature(options.authToken, url, params)
        : opts.signature;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
    };
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
    });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  const LEFT = new Set(['sending', 'sent', 'delivered', 'undelivered', 'read', 'failed']);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          code: 20500,
          message: `Internal Server Error: ${String(error)}`,
          more_info: 'https://www.twilio.com/docs/errors/20500',
          status: 500,
        });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the Twilio stand-in has no port');

  const standIn: TwilioStandIn = {
    url: `http://127.0.0.1:${String(address.port)}`,
    sent,
    requests,
    callbackErrors,
    delayMs: options.delayMs ?? 0,
    failNext(match, error, times = 1) {
      failures.push({ match, error, left: Math.max(1, times) });
    },
    hangUpNext(times = 1) {
      if (typeof times === 'number') {
        for (let i = 0; i < Math.max(1, times); i++) hangUps.push({});
      } else {
        hangUps.push(times);
      }
    },
    message(sid) {
      return messages.get(sid);
    },
    async callback(target, status, errorCode, extra = {}) {
      const message = typeof target === 'string' ? messages.get(target) : target;
      if (message === undefined) throw new Error('the Twilio stand-in has no such message');
      if (message.statusCallback === null) throw new Error('the message has no StatusCallback');
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const toChannel = channelOf(message.to);
      if (message.sender === null) {
        message.sender =
          toChannel === 'rcs'
            ? (options.rcsSender ?? 'rcs:wardline_standin_agent')
            : (options.serviceSender ?? '+15005550006');
      }
      message.status = status;
      message.dateUpdated = now;
      if (message.dateSent === null && LEFT.has(status)) message.dateSent = now;
      if (errorCode !== undefined) message.errorCode = Number(errorCode);
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        From: message.sender,
        MessageSid: message.sid,
        MessageStatus: status,
        SmsSid: message.sid,
        SmsStatus: status,
        To: message.to,
        ...(message.messagingServiceSid === null ? {} : { MessagingServiceSid: message.messagingServiceSid }),
        ...(errorCode === undefined ? {} : { ErrorCode: String(errorCode) }),
        ...(toChannel === null && (status === 'delivered' || status === 'undelivered')
          ? { RawDlrDoneDate: now.toISOString().replace(/\D/g, '').slice(2, 12) }
          : {}),
        ...(toChannel === null ? {} : { ChannelPrefix: toChannel }),
        ...extra,
      };
      return (await post(message.statusCallback, params)).status;
    },
    inbound(url, params) {
      return post(url, params);
    },
    post,
    idle() {
      return pending;
    },
    async close() {
      await pending;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
  return standIn;
}
