import { z } from 'zod';
import { reveal } from '../../../core/phi/phi.ts';
import type { MessagingProvider, OutboundEnvelope, ReconcileResult, SendResult } from '../../../app/ports.ts';
import type { Secret } from '../../../secret.ts';
import type { CarrierChecker, CarrierCheckItem } from '../check.ts';

/**
 * The WhatsApp Cloud API (Meta's Graph API) over Node's global fetch. Reference §3; Meta's "Send messages"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages) and "Error codes"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes) pages.
 *
 * Every send carries Wardline's message id in `biz_opaque_callback_data`, which Meta echoes in the status webhooks of
 * that message: this is how a message Meta accepted before a crash (or before a timeout) is recognised later.
 *
 * PHI: the recipient and the body (or the template parameters) are revealed only into the request body. Nothing here
 * logs, and no answer keeps Graph's `message`, `error_data` or body, which can quote the recipient's number.
 */

/**
 * The Graph API version used when none is configured. v25.0 (released 18 February 2026) is supported until 29 July
 * 2028 per Meta's version table (https://developers.facebook.com/docs/graph-api/changelog/versions/); v23.0 ends on
 * 8 October 2027. Pin a version and upgrade it deliberately: Meta changes behaviour per version.
 */
export const DEFAULT_GRAPH_API_VERSION = 'v25.0';
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface WhatsAppCloudOptions {
  /** The business phone number's id (not the number): the path segment of `/{id}/messages`. */
  readonly phoneNumberId: string;
  /** A system-user token with `whatsapp_business_messaging` (send) and `whatsapp_business_management` (check). */
  readonly accessToken: Secret;
  /** Graph API version, e.g. `v25.0` (default {@link DEFAULT_GRAPH_API_VERSION}). */
  readonly apiVersion?: string;
  /** `https://graph.facebook.com`, or a loopback stand-in in tests. */
  readonly graphBaseUrl?: string;
  /** Per request, including reading the answer (default 10 000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Graph's application rate limit (4), the WhatsApp Business Account rate limit (80007), Cloud API throughput (130429)
 * and the business/consumer pair rate (131056): the message was refused and is worth another attempt later
 * (reference §3.7; Meta's "Throttling errors"). Graph answers these with HTTP 400 or 429.
 */
const THROTTLING_CODES: ReadonlySet<number> = new Set([4, 80007, 130429, 131056]);

/** Graph's code for an invalid or expired access token; subcode 463 means expired. */
const TOKEN_INVALID = 190;
const TOKEN_EXPIRED_SUBCODE = 463;

/** Graph's error body, of which only `code` and `error_subcode` are ever read. */
const GraphErrorBody = z.object({
  error: z
    .object({
      code: z.union([
        z.number().int(),
        z
          .string()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ]),
      error_subcode: z
        .union([
          z.number().int(),
          z
            .string()
            .regex(/^\d{1,9}$/)
            .transform(Number),
        ])
        .optional()
        .catch(undefined),
    })
    .loose(),
});

/** A successful send: `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }`; only the id is read. */
const SendAnswer = z
  .object({ messages: z.array(z.object({ id: z.string().min(1).max(512) }).loose()).min(1) })
  .loose();

/** Graph's answer to the phone-number read in `check()`; every field optional, each checked before use. */
const PhoneNumberInfo = z
  .object({
    verified_name: z.string().optional().catch(undefined),
    display_phone_number: z.string().optional().catch(undefined),
    quality_rating: z.string().optional().catch(undefined),
    throughput: z
      .object({ level: z.string().optional().catch(undefined) })
      .loose()
      .optional()
      .catch(undefined),
  })
  .loose();

interface GraphError {
  readonly code: number;
  readonly subcode: number | null;
}

/** At most `max` characters of a value Graph returned, for a check line. */
function short(value: string, max = 40): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** The business number's last four digits only: enough to recognise it, short in a check line. */
function lastDigits(display: string): string {
  const digits = display.replace(/\D/g, '');
  return digits.length <= 4 ? '…' : `…${digits.slice(-4)}`;
}

/**
 * `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), capped at one hour.
 * @returns milliseconds to wait, or undefined when absent or unreadable
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

/** Graph's error code and subcode; the rest of the body (which can echo the recipient) is never kept or logged. */
async function graphError(response: Response): Promise<GraphError | null> {
  try {
    const parsed = GraphErrorBody.safeParse(await response.json());
    if (!parsed.success) return null;
    return { code: parsed.data.error.code, subcode: parsed.data.error.error_subcode ?? null };
  } catch {
    return null;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/**
 * How a refused send is reported (reference §3.7):
 * - any HTTP 5xx: `unknown` (Meta may have accepted it; 131000 "Something went wrong" comes as a 500), retryable;
 * - HTTP 429 or a throttling code: `rejected`, retryable;
 * - any other 4xx (131047 window closed, 131026, 131050, 132000, 132001, 100, 190 …): `rejected`, not retryable.
 * @param httpStatus - the answer's status (not 2xx)
 * @param code - Graph's `error.code`, or null when the body had none
 */
export function classifyGraphError(
  httpStatus: number,
  code: number | null,
): Pick<Extract<SendResult, { ok: false }>, 'outcome' | 'retryable' | 'errorCode'> {
  const errorCode = code === null ? `HTTP_${String(httpStatus)}` : String(code);
  if (httpStatus >= 500) return { outcome: 'unknown', retryable: true, errorCode };
  const retryable = httpStatus === 429 || (code !== null && THROTTLING_CODES.has(code));
  return { outcome: 'rejected', retryable, errorCode };
}

/** The Cloud API request for one envelope (the only place the recipient and the content are revealed). */
export function messageRequest(envelope: OutboundEnvelope): Record<string, unknown> {
  const to = reveal(envelope.to).replace(/^\+/, '');
  const common = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    biz_opaque_callback_data: envelope.messageId,
  };
  const template = envelope.template;
  if (template === null) {
    return { ...common, type: 'text', text: { body: reveal(envelope.body), preview_url: false } };
  }
  const parameters = reveal(template.parameters).map((text) => ({ type: 'text', text }));
  return {
    ...common,
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}),
    },
  };
}

/**
 * @param options - phone number id, access token, version, base URL, timeout
 * @returns the Cloud API adapter (`name: 'whatsapp-cloud'`) with its read-only configuration check
 */
export function createWhatsAppCloudProvider(
  options: WhatsAppCloudOptions,
): MessagingProvider & CarrierChecker {
  const base = `${(options.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, '')}/${options.apiVersion ?? DEFAULT_GRAPH_API_VERSION}`;
  const node = `${base}/${encodeURIComponent(options.phoneNumberId)}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = (): Record<string, string> => ({
    authorization: `Bearer ${options.accessToken.expose()}`,
    'content-type': 'application/json',
    accept: 'application/json',
  });

  return {
    name: 'whatsapp-cloud',
    /**
     * One `POST /{phone number id}/messages`. Never throws and never retries (the dispatcher owns both); the answer
     * carries Graph's error code only, never its message or body, and nothing is logged here.
     */
    async send(envelope): Promise<SendResult> {
      if (envelope.channel !== 'whatsapp') {
        return { ok: false, outcome: 'rejected', retryable: false, errorCode: 'CHANNEL_NOT_SUPPORTED' };
      }
      let body: string;
      try {
        body = JSON.stringify(messageRequest(envelope));
      } catch {
        return { ok: false, outcome: 'rejected', retryable: false, errorCode: 'INVALID_ENVELOPE' };
      }
      const signal = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        // Graph never redirects an API call: refusing redirects keeps the bearer token on graph.facebook.com.
        response = await fetch(`${node}/messages`, {
          method: 'POST',
          headers: headers(),
          body,
          signal,
          redirect: 'error',
        });
      } catch (error) {
        return {
          ok: false,
          outcome: 'unknown',
          retryable: true,
          errorCode: isTimeout(error) ? 'TIMEOUT' : 'NETWORK',
        };
      }
      if (response.ok) {
        try {
          const parsed = SendAnswer.safeParse(await response.json());
          const id = parsed.success ? parsed.data.messages[0]?.id : undefined;
          if (id !== undefined) return { ok: true, providerMessageId: id };
        } catch (error) {
          if (isTimeout(error)) {
            return { ok: false, outcome: 'unknown', retryable: true, errorCode: 'TIMEOUT' };
          }
        }
        // Accepted (2xx) but without a readable message id: the status webhook will name it by biz_opaque_callback_data.
        return { ok: false, outcome: 'unknown', retryable: true, errorCode: 'UNREADABLE_RESPONSE' };
      }
      const error = await graphError(response);
      const result = classifyGraphError(response.status, error?.code ?? null);
      const wait =
        result.outcome === 'rejected' && result.retryable
          ? retryAfterMs(response.headers.get('retry-after'))
          : undefined;
      return { ok: false, ...result, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
    },
    /**
     * The Cloud API cannot list sent messages, so it can never say "certainly not sent" (`certain: false`). A message
     * Meta did accept before a crash or a timeout is recognised by its first status webhook, which echoes Wardline's
     * message id in `biz_opaque_callback_data` (see `parseWhatsAppWebhook`).
     */
    reconcile(): Promise<ReconcileResult> {
      return Promise.resolve({ found: false, certain: false });
    },
    /**
     * Read-only: one `GET /{phone number id}?fields=…` (Meta's WhatsApp Business Phone Number node). Never throws; details
     * name the setting to fix, never the token or the full business number.
     */
    async check(): Promise<readonly CarrierCheckItem[]> {
      let response: Response;
      try {
        response = await fetch(
          `${node}?fields=display_phone_number,verified_name,quality_rating,throughput`,
          {
            headers: headers(),
            signal: AbortSignal.timeout(timeoutMs),
            redirect: 'error',
          },
        );
      } catch (error) {
        const why = isTimeout(error) ? 'timed out' : 'network error';
        return [
          {
            name: 'graph api',
            ok: false,
            detail: `The Graph API could not be reached (${why}); check WHATSAPP_GRAPH_URL and the network.`,
          },
        ];
      }
      if (!response.ok) return checkFailure(response.status, await graphError(response));
      let raw: unknown = {};
      try {
        raw = await response.json();
      } catch {
        // an unreadable body: reported below as unknown values
      }
      const parsed = PhoneNumberInfo.safeParse(raw);
      const info = parsed.success ? parsed.data : {};
      const name = info.verified_name === undefined ? '' : ` (${short(info.verified_name)})`;
      const number =
        info.display_phone_number === undefined ? '' : ` ${lastDigits(info.display_phone_number)}`;
      const quality =
        info.quality_rating === undefined ? 'UNKNOWN' : short(info.quality_rating.toUpperCase(), 20);
      const level =
        info.throughput?.level === undefined ? 'UNKNOWN' : short(info.throughput.level.toUpperCase(), 20);
      return [
        { name: 'access token', ok: true, detail: 'accepted' },
        { name: 'phone number id', ok: true, detail: `found${number}${name}` },
        {
          name: 'quality rating',
          ok: quality !== 'RED',
          detail:
            quality === 'RED'
              ? 'RED: Meta may limit this number; review recent template feedback'
              : quality === 'YELLOW'
                ? 'YELLOW: quality is falling; review recent template feedback'
                : quality,
        },
        { name: 'throughput', ok: true, detail: level },
      ];
    },
  };
}

/** The check lines for a refused phone-number read. */
function checkFailure(status: number, error: GraphError | null): CarrierCheckItem[] {
  const code = error?.code ?? null;
  if (code === TOKEN_INVALID || (code === null && status === 401)) {
    const what = error?.subcode === TOKEN_EXPIRED_SUBCODE ? 'has expired' : 'is invalid or expired';
    return [{ name: 'access token', ok: false, detail: `WHATSAPP_ACCESS_TOKEN ${what} (Graph error 190).` }];
  }
  const accepted: CarrierCheckItem = { name: 'access token', ok: true, detail: 'accepted' };
  if (code === 10 || (code !== null && code >= 200 && code <= 299) || (code === null && status === 403)) {
    return [
      {
        name: 'access token',
        ok: false,
        detail: `WHATSAPP_ACCESS_TOKEN lacks a permission (Graph error ${String(code ?? status)}); it needs whatsapp_business_management and whatsapp_business_messaging.`,
      },
    ];
  }
  if (code === 100 || code === 33 || (code === null && status === 404)) {
    return [
      accepted,
      {
        name: 'phone number id',
        ok: false,
        detail: `WHATSAPP_PHONE_NUMBER_ID not found, or not accessible with this token (Graph error ${String(code ?? status)}).`,
      },
    ];
  }
  const what = code === null ? `HTTP ${String(status)}` : `Graph error ${String(code)}`;
  return [
    {
      name: 'graph api',
      ok: false,
      detail: `The phone number could not be read (${what}); try again, then check the token's permissions.`,
    },
  ];
}
