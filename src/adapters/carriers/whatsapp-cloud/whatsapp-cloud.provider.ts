import { z } from 'zod';
import { reveal } from '../../../core/phi/phi.ts';
import type { MessagingProvider, OutboundEnvelope, ReconcileResult, SendResult } from '../../../app/ports.ts';
import type { Secret } from '../../../secret.ts';
import type { CarrierChecker, CarrierCheckItem } from '../check.ts';

/**
 * The WhatsApp Cloud API (Meta's Graph API) over fetch. Reference §3; Meta's "Send messages" and error-code pages.
 * Every send carries Wardline's message id in `biz_opaque_callback_data`, which Meta echoes in status webhooks.
 */
export interface WhatsAppCloudOptions {
  readonly phoneNumberId: string;
  readonly accessToken: Secret;
  /** Graph API version, e.g. `v23.0`. */
  readonly apiVersion?: string;
  /** `https://graph.facebook.com`, or a loopback stand-in in tests. */
  readonly graphBaseUrl?: string;
  readonly timeoutMs?: number;
}

/**
 * Throughput (130429) and pair-rate (131056) limits, Graph's application (4) and WhatsApp account (80007) rate limits:
 * the message was refused, and is worth another attempt later (reference §3.7).
 */
const RETRYABLE_CODES = new Set([130429, 131056, 4, 80007]);

/** Graph's answer to the phone-number read in `check()`; every field optional, each checked before use. */
const PhoneNumberInfo = z
  .object({
    verified_name: z.string().optional().catch(undefined),
    display_phone_number: z.string().optional().catch(undefined),
    quality_rating: z.string().optional().catch(undefined),
    throughput: z.object({ level: z.string().optional().catch(undefined) }).loose().optional().catch(undefined),
  })
  .loose();

/** At most `max` characters of a value Graph returned, for a check line. */
function short(value: string, max = 40): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** The business number's last four digits only: enough to recognise it, short in a check line. */
function lastDigits(display: string): string {
  const digits = display.replace(/\D/g, '');
  return digits.length <= 4 ? '…' : `…${digits.slice(-4)}`;
}

interface GraphError {
  readonly error?: { readonly code?: number };
}

function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Graph's error body, read for its code only: the rest can echo the recipient and is never kept or logged. */
async function graphErrorCode(response: Response): Promise<number | null> {
  try {
    const json = (await response.json()) as GraphError;
    return typeof json.error?.code === 'number' ? json.error.code : null;
  } catch {
    return null;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function messageBody(envelope: OutboundEnvelope): Record<string, unknown> {
  const to = reveal(envelope.to).replace(/^\+/, '');
  const common = { messaging_product: 'whatsapp', recipient_type: 'individual', to, biz_opaque_callback_data: envelope.messageId };
  const template = envelope.template;
  if (template === null) return { ...common, type: 'text', text: { body: reveal(envelope.body), preview_url: false } };
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
export function createWhatsAppCloudProvider(options: WhatsAppCloudOptions): MessagingProvider & CarrierChecker {
  const base = `${(options.graphBaseUrl ?? 'https://graph.facebook.com').replace(/\/$/, '')}/${options.apiVersion ?? 'v23.0'}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${options.accessToken.expose()}`, 'content-type': 'application/json' });

  return {
    name: 'whatsapp-cloud',
    /**
     * One `POST /{phone number id}/messages`. Never throws; the answer carries Graph's error code only, never its
     * message or body (Graph may quote the recipient), and nothing is logged here.
     */
    async send(envelope): Promise<SendResult> {
      if (envelope.channel !== 'whatsapp') return { ok: false, outcome: 'rejected', retryable: false, errorCode: 'CHANNEL_NOT_SUPPORTED' };
      let response: Response;
      try {
        response = await fetch(`${base}/${encodeURIComponent(options.phoneNumberId)}/messages`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify(messageBody(envelope)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { ok: false, outcome: 'unknown', retryable: true, errorCode: isTimeout(error) ? 'TIMEOUT' : 'NETWORK' };
      }
      if (response.ok) {
        try {
          const json = (await response.json()) as { messages?: { id?: unknown }[] };
          const id = json.messages?.[0]?.id;
          if (typeof id === 'string' && id.length > 0) return { ok: true, providerMessageId: id };
        } catch {
          // fall through: accepted, but the answer cannot be read
        }
        return { ok: false, outcome: 'unknown', retryable: true, errorCode: 'UNREADABLE_RESPONSE' };
      }
      const code = await graphErrorCode(response);
      const errorCode = code === null ? `HTTP_${String(response.status)}` : String(code);
      if (response.status >= 500) return { ok: false, outcome: 'unknown', retryable: true, errorCode };
      const retryable = response.status === 429 || (code !== null && RETRYABLE_CODES.has(code));
      const wait = retryAfterMs(response);
      return { ok: false, outcome: 'rejected', retryable, errorCode, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
    },
    /**
     * The Cloud API cannot list sent messages, so it can never say "certainly not sent". A message Meta did accept is
     * recognised by its first status webhook, which echoes Wardline's id in `biz_opaque_callback_data`.
     */
    reconcile(): Promise<ReconcileResult> {
      return Promise.resolve({ found: false, certain: false });
    },
    /** Read-only: one Graph read of the phone number. Never throws; details name settings, never the token. */
    async check(): Promise<readonly CarrierCheckItem[]> {
      let response: Response;
      try {
        response = await fetch(`${base}/${encodeURIComponent(options.phoneNumberId)}?fields=display_phone_number,verified_name,quality_rating,throughput`, {
          headers: headers(),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const why = isTimeout(error) ? 'timed out' : 'network error';
        return [{ name: 'graph api', ok: false, detail: `The Graph API could not be reached (${why}); check WHATSAPP_GRAPH_URL and the network.` }];
      }
      if (!response.ok) {
        const code = await graphErrorCode(response);
        if (code === 190 || response.status === 401) {
          return [{ name: 'access token', ok: false, detail: 'WHATSAPP_ACCESS_TOKEN is invalid or expired (Graph error 190).' }];
        }
        const accepted = { name: 'access token', ok: true, detail: 'accepted' } as const;
        if (code === 100 || response.status === 404) {
          return [accepted, { name: 'phone number id', ok: false, detail: `WHATSAPP_PHONE_NUMBER_ID not found, or not accessible with this token (Graph error ${String(code ?? response.status)}).` }];
        }
        const what = code === null ? `HTTP ${String(response.status)}` : `Graph error ${String(code)}`;
        return [{ name: 'graph api', ok: false, detail: `The phone number could not be read (${what}); check the token's permissions (whatsapp_business_messaging).` }];
      }
      let raw: unknown = {};
      try {
        raw = await response.json();
      } catch {
        // an unreadable body: reported below as unknown values
      }
      const parsed = PhoneNumberInfo.safeParse(raw);
      const info = parsed.success ? parsed.data : {};
      const name = info.verified_name === undefined ? '' : ` (${short(info.verified_name)})`;
      const number = info.display_phone_number === undefined ? '' : ` ${lastDigits(info.display_phone_number)}`;
      const quality = info.quality_rating === undefined ? 'UNKNOWN' : short(info.quality_rating.toUpperCase(), 20);
      const level = info.throughput?.level === undefined ? 'UNKNOWN' : short(info.throughput.level.toUpperCase(), 20);
      return [
        { name: 'access token', ok: true, detail: 'accepted' },
        { name: 'phone number id', ok: true, detail: `found${number}${name}` },
        {
          name: 'quality rating',
          ok: quality !== 'RED',
          detail: quality === 'RED' ? 'RED: Meta may limit this number; review recent template feedback' : quality,
        },
        { name: 'throughput', ok: true, detail: level },
      ];
    },
  };
}
