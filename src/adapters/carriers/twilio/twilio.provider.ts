import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type {
  MessageInstance,
  MessageListInstanceCreateOptions,
  MessagePage,
} from 'twilio/lib/rest/api/v2010/account/message.js';
import type { MessagingProvider, OutboundEnvelope, ReconcileResult, SendResult } from '../../../app/ports.ts';
import { reveal } from '../../../core/phi/phi.ts';
import type { Secret } from '../../../secret.ts';
import type { CarrierChecker, CarrierCheckItem } from '../check.ts';

/**
 * Twilio Programmable Messaging through the official `twilio` SDK (reference §4): SMS, MMS, RCS with or without SMS
 * fallback, and WhatsApp (free text or Content API templates).
 *
 * PHI (numbers, bodies, media URLs, template variables) is revealed only into the SDK's request parameters. Nothing
 * this adapter returns, throws or logs carries it: results hold Twilio's error code and HTTP status only, never
 * Twilio's error message (which quotes the number, e.g. 21211 "The 'To' number +1… is not a valid phone number").
 */

export interface TwilioProviderOptions {
  /** `TWILIO_ACCOUNT_SID` (AC…). */
  readonly accountSid: string;
  /** The account's auth token, or an API key (`TWILIO_API_KEY_SID` / `TWILIO_API_KEY_SECRET`) of that account. */
  readonly credentials:
    { readonly authToken: Secret } | { readonly apiKeySid: string; readonly apiKeySecret: Secret };
  /** `TWILIO_MESSAGING_SERVICE_SID` (MG…): sends `sms` and `text` through the service's sender pool. */
  readonly messagingServiceSid: string | null;
  /** `TWILIO_FROM_NUMBER` (E.164): the SMS/MMS sender when there is no service (with one, it pins SMS to it). */
  readonly from: string | null;
  /** `TWILIO_WHATSAPP_FROM` (E.164 of the approved WhatsApp sender). */
  readonly whatsappFrom: string | null;
  /** `TWILIO_RCS`: the Messaging Service's sender pool has an RCS sender. Needs `messagingServiceSid`. */
  readonly rcs: boolean;
  /** Absolute URL of Wardline's status webhook; `?wl=<message id>` is appended per message. */
  readonly statusCallbackUrl: string;
  /**
   * Development and tests only: a loopback stand-in for Twilio's API. The SDK's requests go there instead, path and
   * query kept: `https://api.twilio.com/…` → `<apiBaseUrl>/…`, `https://<x>.twilio.com/…` (messaging …) →
   * `<apiBaseUrl>/<x>/…`.
   */
  readonly apiBaseUrl?: string;
  /** Per-request timeout (default 10 000 ms). A send that times out has an unknown outcome and is reconciled. */
  readonly timeoutMs?: number;
  /** `ValidityPeriod` (1–36 000 s): how long Twilio may keep a message queued before giving up (error 30036). */
  readonly validityPeriodSeconds?: number;
  /**
   * Reconcile: how far before `since` a message Twilio created may be and still count as this attempt's (clock skew
   * between Wardline and Twilio; Twilio's timestamps have one-second resolution). Default 1 000 ms.
   */
  readonly reconcileSkewMs?: number;
  /** Reconcile: messages per list page (1–1000, default 1000, Twilio's maximum). Smaller only to test paging. */
  readonly reconcilePageSize?: number;
}

export type TwilioProvider = MessagingProvider & CarrierChecker & { readonly name: 'twilio' };

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_SKEW_MS = 1_000;
/** Twilio's largest page (Message resource, `PageSize`: "The default is 50, and the maximum is 1000"). */
const MAX_PAGE_SIZE = 1000;
/** Pages of `DateSent>=` results read before reconcile gives up on certainty. */
const MAX_DATED_PAGES = 5;
const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;
const TWILIO_URI = /^https:\/\/([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.twilio\.com(?=[/?#]|$)/i;

/** Per-call context, so the request client can hand a 429's Retry-After to the send that made the request. */
interface CallContext {
  retryAfterMs?: number;
}
const calls = new AsyncLocalStorage<CallContext>();

function parseRetryAfter(value: unknown): number | undefined {
  const raw = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const text = String(raw).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * The SDK's own request client, with two changes: it never logs (the SDK's debug logging prints request parameters,
 * i.e. numbers and bodies, when `TWILIO_LOG_LEVEL=debug`), and with a base URL it routes `https://<x>.twilio.com/…`
 * there (development and tests): `api` at the base URL's root, any other domain (`messaging`) under `/<domain>`.
 */
class WardlineRequestClient extends twilio.RequestClient {
  readonly #baseUrl: string | null;

  constructor(options: RequestClient.RequestClientOptions, baseUrl: string | null) {
    super(options);
    this.#baseUrl = baseUrl === null ? null : baseUrl.replace(/\/+$/, '');
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    let routed: RequestClient.RequestOptions<TData> = { ...opts, logLevel: 'none' };
    if (this.#baseUrl !== null) {
      const match = TWILIO_URI.exec(opts.uri);
      if (match === null) throw new Error('refusing a Twilio SDK request outside twilio.com');
      const domain = (match[1] ?? '').toLowerCase();
      const prefix = domain === 'api' ? '' : `/${domain}`;
      routed = { ...routed, uri: this.#baseUrl + prefix + opts.uri.slice(match[0].length) };
    }
    const response = await super.request(routed);
    const context = calls.getStore();
    if (context !== undefined && response.statusCode === 429) {
      const headers = response.headers as Record<string, unknown> | undefined;
      const retryAfterMs = parseRetryAfter(headers?.['retry-after']);
      if (retryAfterMs !== undefined) context.retryAfterMs = retryAfterMs;
    }
    return response;
  }
}

/** An HTTP answer from Twilio that was not 2xx (the SDK's RestException or TwilioServiceException). */
function httpErrorOf(error: unknown): { status: number; code: number | undefined } | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { isAxiosError?: unknown; status?: unknown; code?: unknown };
  if (e.isAxiosError === true) return null;
  if (typeof e.status !== 'number' || e.status < 100 || e.status > 599) return null;
  return { status: e.status, code: typeof e.code === 'number' ? e.code : undefined };
}

function isTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT';
}

/** Maps a failed SDK call to the port's result. Never reads the error's message (Twilio quotes PHI in it). */
function failureOf(error: unknown, context: CallContext): SendResult {
  const http = httpErrorOf(error);
  if (http !== null) {
    const errorCode = http.code !== undefined ? String(http.code) : `HTTP_${String(http.status)}`;
    if (http.status >= 500) return { ok: false, outcome: 'unknown', retryable: true, errorCode };
    const retryable = http.status === 429;
    return {
      ok: false,
      outcome: 'rejected',
      retryable,
      errorCode,
      ...(retryable && context.retryAfterMs !== undefined ? { retryAfterMs: context.retryAfterMs } : {}),
    };
  }
  // No answer: Twilio may or may not have stored the message; the next attempt reconciles first.
  return {
    ok: false,
    outcome: 'unknown',
    retryable: true,
    errorCode: isTimeout(error) ? 'TIMEOUT' : 'NETWORK',
  };
}

/** Where a message goes and from which sender, as Twilio addresses it. */
interface Route {
  readonly to: string;
  readonly sender:
    { readonly messagingServiceSid: string; readonly from?: string } | { readonly from: string };
}

type Plan =
  | { readonly ok: true; readonly route: Route; readonly params: MessageListInstanceCreateOptions }
  | { readonly ok: false; readonly errorCode: string };

/** Characters Twilio's Smart Encoding may replace with GSM-7 look-alikes; reconcile compares bodies through this. */
function comparable(body: string): string {
  return body
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032\u02BC]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '');
}

/**
 * @param options - account, credentials, senders and callback URL (see {@link TwilioProviderOptions})
 * @returns the Twilio carrier: send, reconcile, and the read-only configuration check
 */
export function createTwilioProvider(options: TwilioProviderOptions): TwilioProvider {
  const { accountSid, messagingServiceSid, from, whatsappFrom } = options;
  if (messagingServiceSid === null && from === null && whatsappFrom === null) {
    throw new Error(
      'Twilio needs a sender: TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER (and/or TWILIO_WHATSAPP_FROM)',
    );
  }
  if (options.rcs && messagingServiceSid === null) {
    throw new Error(
      'TWILIO_RCS needs TWILIO_MESSAGING_SERVICE_SID (a service whose sender pool has an RCS sender)',
    );
  }
  let callbackBase: URL;
  try {
    callbackBase = new URL(options.statusCallbackUrl);
  } catch {
    throw new Error('the Twilio status callback URL must be absolute (check WARDLINE_PUBLIC_URL)');
  }
  // Twilio: "URL must contain a valid hostname and underscores are not allowed."
  if (callbackBase.hostname.includes('_')) {
    throw new Error(
      'the Twilio status callback host must not contain underscores (check WARDLINE_PUBLIC_URL)',
    );
  }
  const validity = options.validityPeriodSeconds;
  if (validity !== undefined && (!Number.isInteger(validity) || validity < 1 || validity > 36_000)) {
    throw new Error('the Twilio validity period must be a whole number of seconds from 1 to 36000');
  }
  const skewMs = options.reconcileSkewMs ?? DEFAULT_SKEW_MS;
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.reconcilePageSize ?? MAX_PAGE_SIZE));

  const httpClient = new WardlineRequestClient(
    { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, autoRetry: false },
    options.apiBaseUrl ?? null,
  );
  const common = { httpClient, logLevel: 'none', autoRetry: false };
  const client =
    'authToken' in options.credentials
      ? twilio(accountSid, options.credentials.authToken.expose(), common)
      : twilio(options.credentials.apiKeySid, options.credentials.apiKeySecret.expose(), {
          ...common,
          accountSid,
        });
  const account = client.api.v2010.accounts(accountSid);
  // The SDK loads its resource modules on first use: take the resource now so the first paced send is not late.
  const messages = client.messages;

  function statusCallbackFor(envelope: OutboundEnvelope): string {
    const base = options.statusCallbackUrl;
    return `${base}${base.includes('?') ? '&' : '?'}wl=${encodeURIComponent(envelope.messageId)}`;
  }

  /** How Twilio addresses this envelope (PHI revealed here only, into the SDK's parameters). */
  function plan(envelope: OutboundEnvelope): Plan {
    const e164 = reveal(envelope.to);
    const always: Partial<MessageListInstanceCreateOptions> = {
      statusCallback: statusCallbackFor(envelope),
      ...(validity !== undefined ? { validityPeriod: validity } : {}),
    };
    switch (envelope.channel) {
      case 'whatsapp': {
        if (whatsappFrom === null) return { ok: false, errorCode: 'TWILIO_NO_WHATSAPP_SENDER' };
        const route: Route = { to: `whatsapp:${e164}`, sender: { from: `whatsapp:${whatsappFrom}` } };
        const template = envelope.template;
        const addressed = { ...always, to: route.to, from: `whatsapp:${whatsappFrom}` };
        if (template === null) return { ok: true, route, params: { ...addressed, body: reveal(envelope.body) } };
        // Outside the 24-hour window Twilio requires a Content API template: ContentSid + ContentVariables, no Body
        // (reference §3.2; https://www.twilio.com/docs/api/errors/63016).
        if (!CONTENT_SID.test(template.name)) {
          return { ok: false, errorCode: 'TWILIO_TEMPLATE_NOT_CONTENT_SID' };
        }
        const variables = Object.fromEntries(
          reveal(template.parameters).map((value, i) => [String(i + 1), value]),
        );
        return { ok: true, route, params: { ...addressed, contentSid: template.name, contentVariables: JSON.stringify(variables) } };
      }
      case 'sms':
      case 'text': {
        if (messagingServiceSid === null && from === null) {
          return { ok: false, errorCode: 'TWILIO_NO_SMS_SENDER' };
        }
        const media = envelope.channel === 'text' ? reveal(envelope.mediaUrls) : [];
        let to: string = e164;
        let sender: Route['sender'];
        if (messagingServiceSid === null) {
          sender = { from: from ?? '' };
        } else if (envelope.channel === 'sms' && options.rcs && from !== null) {
          // A service with an RCS sender tries RCS first for everything it sends; naming an SMS number of its pool
          // as From keeps an `sms` message on SMS.
          sender = { messagingServiceSid, from };
        } else {
          sender = { messagingServiceSid };
        }
        if (envelope.channel === 'text' && options.rcs && !envelope.smsFallback) {
          // RCS or nothing: "To turn off fallback when you send an RCS message through a Messaging Service, add the
          // `rcs:` prefix to the recipient phone number in the `To` field."
          // (https://www.twilio.com/docs/rcs/send-an-rcs-message, "Send an RCS message without automatic fallback").
          // With the plain number the service tries RCS first and falls back to SMS/MMS (same page, reference §4.7).
          to = `rcs:${e164}`;
        }
        const body = reveal(envelope.body);
        return {
          ok: true,
          route: { to, sender },
          params: {
            ...always,
            to,
            ...sender,
            ...(body !== '' || media.length === 0 ? { body } : {}),
            ...(media.length > 0 ? { mediaUrl: [...media] } : {}),
          },
        };
      }
    }
  }

  async function send(envelope: OutboundEnvelope): Promise<SendResult> {
    const context: CallContext = {};
    try {
      const planned = plan(envelope);
      if (!planned.ok) {
        return { ok: false, outcome: 'rejected', retryable: false, errorCode: planned.errorCode };
      }
      const message = await calls.run(context, () => messages.create(planned.params));
      return { ok: true, providerMessageId: message.sid };
    } catch (error) {
      return failureOf(error, context);
    }
  }

  /** Whether a message Twilio lists is this envelope's. */
  function matches(
    envelope: OutboundEnvelope,
    route: Route,
    message: MessageInstance,
    notBefore: number,
  ): boolean {
    if (message.direction === 'inbound' || message.to !== route.to) return false;
    const created = message.dateCreated as Date | null;
    if (created === null || Number.isNaN(created.getTime()) || created.getTime() < notBefore) return false;
    const sender = route.sender;
    if ('messagingServiceSid' in sender) {
      if (message.messagingServiceSid !== sender.messagingServiceSid) return false;
    } else if (message.from !== sender.from) {
      return false;
    }
    if (envelope.template !== null) return true; // Twilio stores the rendered template: compared by the caller.
    const media = envelope.channel === 'text' ? reveal(envelope.mediaUrls).length : 0;
    return (
      Number(message.numMedia) === media && comparable(message.body) === comparable(reveal(envelope.body))
    );
  }

  /**
   * Did Twilio accept this envelope at or after `since`? Reads the account's messages to the recipient (`To` filter,
   * https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources):
   * 1. the first page (up to {@link TwilioProviderOptions.reconcilePageSize}) with no date filter. A message still
   *    queued at Twilio has no `date_sent` yet, so no `DateSent` filter can see it; results are "sorted by the DateSent
   *    field, with the most recent messages appearing first" and where undated ones sort is not documented. When this
   *    page is the whole list (no next page), it held every message to the recipient: the answer is certain.
   * 2. only when there are more: `DateSent>=` the UTC day of `since` ("Accepts GMT dates … `>=YYYY-MM-DD`", day
   *    granularity), up to {@link MAX_DATED_PAGES} pages, which finds a message Twilio has already sent however long the
   *    recipient's history. A message still queued could hide beyond page 1, so not finding it is then uncertain.
   * A match is the same recipient and sender, created at or after `since` (less the clock-skew allowance), with the
   * same body (modulo Smart Encoding) and media count. Templates cannot be compared (Twilio stores the rendered text):
   * any candidate makes the answer uncertain, as do two matches (an identical message sent again).
   */
  async function reconcile(envelope: OutboundEnvelope, since: Date): Promise<ReconcileResult> {
    try {
      const planned = plan(envelope);
      if (!planned.ok) return { found: false, certain: true }; // such an envelope is never handed to Twilio
      const route = planned.route;
      const notBefore = Math.floor((since.getTime() - skewMs) / 1000) * 1000;
      const seen = new Map<string, MessageInstance>();

      const recent = await messages.page({ to: route.to, pageSize });
      for (const m of recent.instances) seen.set(m.sid, m);
      const complete = recent.nextPageUrl === undefined;
      if (!complete) {
        const day = new Date(notBefore);
        day.setUTCHours(0, 0, 0, 0);
        let page: MessagePage = await messages.page({ to: route.to, dateSentAfter: day, pageSize });
        for (let pages = 1; ; pages++) {
          for (const m of page.instances) seen.set(m.sid, m);
          if (page.nextPageUrl === undefined || pages >= MAX_DATED_PAGES) break;
          const next = page.nextPage() as Promise<MessagePage> | undefined;
          if (next === undefined) break;
          page = await next;
        }
      }

      const found = [...seen.values()].filter((m) => matches(envelope, route, m, notBefore));
      const only = found[0];
      if (found.length === 1 && only !== undefined && envelope.template === null) {
        return { found: true, providerMessageId: only.sid };
      }
      if (found.length > 0) return { found: false, certain: false };
      return { found: false, certain: complete };
    } catch {
      return { found: false, certain: false };
    }
  }

  async function check(): Promise<readonly CarrierCheckItem[]> {
    const credentialNames =
      'authToken' in options.credentials
        ? 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'
        : 'TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (and TWILIO_ACCOUNT_SID)';
    const items: CarrierCheckItem[] = [];
    const fault = (error: unknown, notFound: string): string => {
      const http = httpErrorOf(error);
      if (http === null) {
        return `could not reach Twilio (${isTimeout(error) ? 'timeout' : 'network error'}); nothing was verified`;
      }
      const code = http.code === undefined ? '' : `, error ${String(http.code)}`;
      if (http.status === 401 || http.status === 403) {
        return `Twilio refused the credentials (HTTP ${String(http.status)}${code}): check ${credentialNames}`;
      }
      if (http.status === 404) return `${notFound} (HTTP 404${code})`;
      return `Twilio answered HTTP ${String(http.status)}${code}`;
    };

    try {
      const found = await account.fetch();
      const active = found.status === 'active';
      items.push({
        name: 'account',
        ok: active,
        detail: active
          ? `TWILIO_ACCOUNT_SID ${accountSid} is active (${found.type}); ${credentialNames} accepted`
          : `TWILIO_ACCOUNT_SID ${accountSid} is ${found.status}, not active: Twilio will not send from it`,
      });
    } catch (error) {
      items.push({
        name: 'account',
        ok: false,
        detail: fault(error, `no account TWILIO_ACCOUNT_SID ${accountSid} is visible with these credentials`),
      });
      return items; // the other checks need a working account
    }

    if (messagingServiceSid !== null) {
      try {
        const service = await client.messaging.v1.services(messagingServiceSid).fetch();
        const callback = service.statusCallback
          ? 'has a status callback (each message overrides it with Wardline’s)'
          : 'has no status callback (each message sets Wardline’s)';
        const rcs = options.rcs
          ? '; TWILIO_RCS=true: its sender pool must hold an RCS sender (not listed by this check)'
          : '';
        items.push({
          name: 'messaging service',
          ok: true,
          detail: `TWILIO_MESSAGING_SERVICE_SID ${messagingServiceSid} ("${service.friendlyName}") exists, use case ${service.usecase || 'not set'}, ${callback}${rcs}`,
        });
      } catch (error) {
        items.push({
          name: 'messaging service',
          ok: false,
          detail: `TWILIO_MESSAGING_SERVICE_SID: ${fault(error, `no Messaging Service ${messagingServiceSid} in this account`)}`,
        });
      }
    }

    if (from !== null) {
      try {
        const numbers = await account.incomingPhoneNumbers.list({ phoneNumber: from, limit: 20 });
        const owned = numbers.some((n) => n.phoneNumber === from);
        items.push({
          name: 'phone number',
          ok: owned,
          detail: owned
            ? `TWILIO_FROM_NUMBER ${from} is a number of this account`
            : `TWILIO_FROM_NUMBER ${from} is not one of this account’s phone numbers`,
        });
      } catch (error) {
        items.push({
          name: 'phone number',
          ok: false,
          detail: `TWILIO_FROM_NUMBER: ${fault(error, 'the phone number list is not available')}`,
        });
      }
    }

    if (whatsappFrom !== null) {
      items.push({
        name: 'whatsapp sender',
        ok: true,
        detail: `TWILIO_WHATSAPP_FROM ${whatsappFrom} is configured; WhatsApp senders are not listed by this check: confirm it is approved in the Twilio console`,
      });
    }
    return items;
  }

  return { name: 'twilio', send, reconcile, check };
}
