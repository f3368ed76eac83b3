import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { CarrierStatus } from '../../../core/messaging/delivery-status.ts';
import { phi, type Phi } from '../../../core/phi/phi.ts';
import type { Secret } from '../../../secret.ts';

/**
 * Meta's webhooks for the WhatsApp Cloud API: the verification handshake, the `X-Hub-Signature-256` check and the
 * event envelope (reference §3.1, §3.4–3.6; Meta's webhook reference for the `messages` and `user_preferences`
 * fields: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status).
 */

/** A body that is not Meta's webhook format. Its message names no values. */
export class MetaPayloadError extends Error {
  override readonly name = 'MetaPayloadError';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Meta's `GET` verification: `hub.mode=subscribe` and our verify token (constant-time).
 * @returns the challenge to echo, or null to refuse
 */
export function verifyHandshake(query: Record<string, unknown>, verifyToken: Secret): string | null {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null;
  if (challenge.length === 0 || challenge.length > 200) return null;
  return sameSecret(token, verifyToken.expose()) ? challenge : null;
}

/**
 * `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256 of the raw body with the app secret, compared in constant time.
 * @returns false when missing, malformed or wrong
 */
export function verifyMetaSignature(appSecret: Secret, header: string | undefined, rawBody: Buffer): boolean {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const expected = createHmac('sha256', appSecret.expose()).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

/** Unix seconds: a string in `messages` payloads, an integer in `user_preferences` (Meta's references); both taken. */
const unix = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative().max(1e12)])
  .transform((s) => new Date(Number(s) * 1000));
/**
 * A WhatsApp user's number: digits in Meta's payloads, though its references show `+16505551234` as the example value
 * of `from`; both are taken and normalised to the digits.
 */
const digits = z
  .string()
  .regex(/^\+?\d{6,15}$/)
  .transform((s) => s.replace(/^\+/, ''));

const Status = z.object({
  id: z.string().min(1).max(200),
  status: z.string().min(1).max(40),
  timestamp: unix,
  recipient_id: z.string().max(200).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
  errors: z.array(z.object({ code: z.number().int() }).loose()).optional(),
}).loose();

const Message = z.object({
  from: digits,
  id: z.string().min(1).max(200),
  timestamp: unix,
  type: z.string().min(1).max(40),
  text: z.object({ body: z.string().max(4096) }).loose().optional(),
  button: z.object({ text: z.string().max(1024) }).loose().optional(),
  interactive: z
    .object({ button_reply: z.object({ title: z.string() }).loose().optional(), list_reply: z.object({ title: z.string() }).loose().optional() })
    .loose()
    .optional(),
}).loose();

const Preference = z.object({
  wa_id: digits,
  category: z.string().max(60),
  value: z.enum(['stop', 'resume']),
  timestamp: unix,
  detail: z.string().max(500).optional(),
}).loose();

const Envelope = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z
    .array(
      z.object({
        id: z.string(),
        changes: z.array(z.object({ field: z.string(), value: z.unknown() }).loose()).max(1000),
      }).loose(),
    )
    .max(1000),
}).loose();

const MessagesValue = z.object({
  messaging_product: z.literal('whatsapp'),
  metadata: z.object({ phone_number_id: z.string().min(1) }).loose(),
  statuses: z.array(Status).max(1000).optional(),
  messages: z.array(Message).max(1000).optional(),
}).loose();

const PreferencesValue = z.object({
  messaging_product: z.literal('whatsapp').optional(),
  user_preferences: z.array(Preference).max(1000),
}).loose();

const TRACKED: Readonly<Record<string, CarrierStatus>> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

export interface WhatsAppWebhook {
  readonly statuses: { providerMessageId: string; status: CarrierStatus; errorCode: string | null; occurredAt: Date; messageId: string | null; phoneNumberId: string }[];
  readonly messages: { from: Phi<string>; providerMessageId: string; receivedAt: Date; type: string; body: Phi<string>; phoneNumberId: string }[];
  readonly preferences: { waId: Phi<string>; category: string; value: 'stop' | 'resume'; occurredAt: Date }[];
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new MetaPayloadError(`not a WhatsApp webhook: ${what} is malformed`);
  return result.data;
}

/**
 * @param json - the parsed body of a signed webhook delivery
 * @returns its statuses (sent/delivered/read/failed; others such as `played` are dropped), inbound messages and
 *   marketing preferences; unknown fields are ignored
 * @throws MetaPayloadError when the body is not Meta's format
 */
export function parseWhatsAppWebhook(json: unknown): WhatsAppWebhook {
  const envelope = parseOr(Envelope, json, 'the envelope');
  const out: WhatsAppWebhook = { statuses: [], messages: [], preferences: [] };
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (change.field === 'messages') {
        const value = parseOr(MessagesValue, change.value, 'a messages change');
        const phoneNumberId = value.metadata.phone_number_id;
        for (const s of value.statuses ?? []) {
          const status = TRACKED[s.status];
          if (status === undefined) continue;
          const code = s.errors?.[0]?.code;
          out.statuses.push({
            providerMessageId: s.id,
            status,
            errorCode: code === undefined ? null : String(code),
            occurredAt: s.timestamp,
            messageId: s.biz_opaque_callback_data ?? null,
            phoneNumberId,
          });
        }
        for (const m of value.messages ?? []) {
          const body = m.text?.body ?? m.button?.text ?? m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title ?? '';
          out.messages.push({ from: phi(`+${m.from}`), providerMessageId: m.id, receivedAt: m.timestamp, type: m.type, body: phi(body), phoneNumberId });
        }
      } else if (change.field === 'user_preferences') {
        const value = parseOr(PreferencesValue, change.value, 'a user_preferences change');
        for (const p of value.user_preferences) {
          out.preferences.push({ waId: phi(`+${p.wa_id}`), category: p.category, value: p.value, occurredAt: p.timestamp });
        }
      }
    }
  }
  return out;
}
