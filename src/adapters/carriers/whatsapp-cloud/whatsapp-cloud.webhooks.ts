import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { CarrierStatus } from '../../../core/messaging/delivery-status.ts';
import { phi, type Phi } from '../../../core/phi/phi.ts';
import type { Secret } from '../../../secret.ts';

/**
 * Meta's webhooks for the WhatsApp Cloud API: the verification handshake, the `X-Hub-Signature-256` check and the
 * event envelope (reference §3.1, §3.4–3.6). Meta's references followed:
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text (button, image, interactive)
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids (2026: users who
 *   adopt a WhatsApp username may arrive without a phone number, identified only by a business-scoped user id)
 */

/** A body that is not Meta's webhook format. Its message names no values (they may be PHI). */
export class MetaPayloadError extends Error {
  override readonly name = 'MetaPayloadError';
}

/** Constant-time equality of two strings of any lengths (the length itself is not secret for a verify token). */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    // Compare anyway, so a wrong length costs the same work as a wrong value.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Meta's `GET` verification: `hub.mode=subscribe` and our verify token (constant-time).
 * @param query - the parsed query string (`hub.mode`, `hub.verify_token`, `hub.challenge`); repeated keys are refused
 * @returns the challenge to echo with 200, or null to refuse (403)
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
 * `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256 of the raw body bytes keyed with the app secret, compared in
 * constant time. Hex digits of either case are accepted; the `sha256=` prefix must be exact.
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
/**
 * A business-scoped user id (BSUID): a two-letter country code, a period, up to 128 alphanumerics, e.g.
 * `US.13491208655302741918`, or a parent BSUID `US.ENT.1181…`. Further dotted segments are tolerated, so a small
 * format change by Meta does not refuse whole deliveries.
 */
const bsuid = z
  .string()
  .regex(/^[A-Z]{2}\.[A-Za-z0-9]+(?:\.[A-Za-z0-9]+){0,3}$/)
  .max(200);
/** An error code: an integer in Meta's payloads; a string of digits is taken too. */
const code = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number),
]);

const Status = z
  .object({
    id: z.string().min(1).max(512),
    status: z.string().min(1).max(40),
    timestamp: unix,
    /** Absent for a failed send addressed to a BSUID (2026). */
    recipient_id: z.string().max(200).optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    errors: z.array(z.object({ code }).loose()).max(100).optional(),
  })
  .loose();

const Message = z
  .object({
    /** The sender's number; omitted when Meta withholds it from a user with a WhatsApp username (2026). */
    from: digits.optional(),
    from_user_id: bsuid.optional(),
    id: z.string().min(1).max(512),
    timestamp: unix,
    type: z.string().min(1).max(40),
    text: z
      .object({ body: z.string().max(4096) })
      .loose()
      .optional(),
    button: z
      .object({ text: z.string().max(1024) })
      .loose()
      .optional(),
    interactive: z
      .object({
        button_reply: z
          .object({ title: z.string().max(1024) })
          .loose()
          .optional(),
        list_reply: z
          .object({ title: z.string().max(1024) })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const Contact = z.object({ wa_id: digits.optional(), user_id: bsuid.optional() }).loose();

const Preference = z
  .object({
    /** Omitted, like `from`, for a user whose number Meta withholds; `user_id` then identifies them. */
    wa_id: digits.optional(),
    user_id: bsuid.optional(),
    category: z.string().min(1).max(60),
    value: z.enum(['stop', 'resume']),
    timestamp: unix,
    detail: z.string().max(500).optional(),
  })
  .loose();

const Envelope = z
  .object({
    object: z.literal('whatsapp_business_account'),
    entry: z
      .array(
        z
          .object({
            id: z.string(),
            changes: z.array(z.object({ field: z.string(), value: z.unknown() }).loose()).max(1000),
          })
          .loose(),
      )
      .max(1000),
  })
  .loose();

const Metadata = z.object({ phone_number_id: z.string().min(1).max(64) }).loose();

const MessagesValue = z
  .object({
    messaging_product: z.literal('whatsapp'),
    metadata: Metadata,
    contacts: z.array(Contact).max(1000).optional(),
    statuses: z.array(Status).max(1000).optional(),
    messages: z.array(Message).max(1000).optional(),
  })
  .loose();

const PreferencesValue = z
  .object({
    messaging_product: z.literal('whatsapp').optional(),
    metadata: Metadata.optional(),
    user_preferences: z.array(Preference).max(1000),
  })
  .loose();

const TRACKED: Readonly<Record<string, CarrierStatus>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};

export interface WhatsAppStatusEvent {
  readonly providerMessageId: string;
  readonly status: CarrierStatus;
  /** `errors[0].code` of a failed status (e.g. `131050`), else null. */
  readonly errorCode: string | null;
  readonly occurredAt: Date;
  /** `biz_opaque_callback_data`: Wardline's message id when Wardline sent it, else null. */
  readonly messageId: string | null;
  readonly phoneNumberId: string;
}

export interface WhatsAppInboundMessage {
  /** `+` and the sender's wa_id digits. */
  readonly from: Phi<string>;
  readonly providerMessageId: string;
  readonly receivedAt: Date;
  /** Meta's message type (`text`, `button`, `interactive`, `image` …): the marker for content not read as text. */
  readonly type: string;
  /** `text.body`, `button.text` or the interactive reply's title; '' for media and other types. */
  readonly body: Phi<string>;
  readonly phoneNumberId: string;
}

export interface WhatsAppPreferenceEvent {
  /** `+` and the user's wa_id digits. */
  readonly waId: Phi<string>;
  /** `marketing_messages` (the only category Meta sends today). */
  readonly category: string;
  readonly value: 'stop' | 'resume';
  readonly occurredAt: Date;
  /** The business number the change concerns, when Meta names it (`metadata.phone_number_id`). */
  readonly phoneNumberId: string | null;
}

/**
 * An inbound message or a marketing preference from a user whose phone number Meta withheld (WhatsApp usernames,
 * 2026): only their business-scoped user id is known, so it cannot be matched to a patient by number. Kept apart
 * so the caller can record it for review instead of losing it (a typed STOP may be among them); never dropped
 * silently, and never the reason a whole delivery is refused.
 */
export type WhatsAppUnidentifiedEvent =
  | {
      readonly kind: 'message';
      /** The business-scoped user id (identifies a person, so PHI), or null when Meta sent none. */
      readonly userId: Phi<string> | null;
      readonly providerMessageId: string;
      readonly receivedAt: Date;
      readonly type: string;
      readonly body: Phi<string>;
      readonly phoneNumberId: string;
    }
  | {
      readonly kind: 'preference';
      readonly userId: Phi<string> | null;
      readonly category: string;
      readonly value: 'stop' | 'resume';
      readonly occurredAt: Date;
      readonly phoneNumberId: string | null;
    };

export interface WhatsAppWebhook {
  readonly statuses: WhatsAppStatusEvent[];
  readonly messages: WhatsAppInboundMessage[];
  readonly preferences: WhatsAppPreferenceEvent[];
  readonly unidentified: WhatsAppUnidentifiedEvent[];
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  // The zod issues are not attached (no `cause`): they can quote the values, which may be PHI.
  if (!result.success) throw new MetaPayloadError(`not a WhatsApp webhook: ${what} is malformed`);
  return result.data;
}

type ParsedMessage = z.infer<typeof Message>;
type ParsedContact = z.infer<typeof Contact>;

function textOf(m: ParsedMessage): string {
  return (
    m.text?.body ??
    m.button?.text ??
    m.interactive?.button_reply?.title ??
    m.interactive?.list_reply?.title ??
    ''
  );
}

/** The sender's number: `from`, else the wa_id of the contact Meta lists for the sender's BSUID. */
function senderNumber(m: ParsedMessage, contacts: readonly ParsedContact[]): string | undefined {
  if (m.from !== undefined) return m.from;
  if (m.from_user_id === undefined) return contacts.length === 1 ? contacts[0]?.wa_id : undefined;
  return contacts.find((c) => c.user_id === m.from_user_id)?.wa_id;
}

function senderUserId(m: ParsedMessage, contacts: readonly ParsedContact[]): string | undefined {
  return m.from_user_id ?? (contacts.length === 1 ? contacts[0]?.user_id : undefined);
}

/**
 * @param json - the parsed body of a delivery whose signature was verified
 * @returns its statuses (sent/delivered/read/failed; others such as `played` or `deleted` are dropped), inbound
 *   messages, marketing preferences, and events from users Meta identifies only by a business-scoped user id.
 *   Unknown `field`s (template updates, account alerts …) are ignored.
 * @throws MetaPayloadError when the body is not Meta's format (the message names no values)
 */
export function parseWhatsAppWebhook(json: unknown): WhatsAppWebhook {
  const envelope = parseOr(Envelope, json, 'the envelope');
  const out: WhatsAppWebhook = { statuses: [], messages: [], preferences: [], unidentified: [] };
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (change.field === 'messages') {
        const value = parseOr(MessagesValue, change.value, 'a messages change');
        const phoneNumberId = value.metadata.phone_number_id;
        const contacts = value.contacts ?? [];
        for (const s of value.statuses ?? []) {
          const status = TRACKED[s.status];
          if (status === undefined) continue;
          const errorCode = s.errors?.[0]?.code;
          out.statuses.push({
            providerMessageId: s.id,
            status,
            errorCode: errorCode === undefined ? null : String(errorCode),
            occurredAt: s.timestamp,
            messageId: s.biz_opaque_callback_data ?? null,
            phoneNumberId,
          });
        }
        for (const m of value.messages ?? []) {
          const number = senderNumber(m, contacts);
          if (number === undefined) {
            const userId = senderUserId(m, contacts);
            out.unidentified.push({
              kind: 'message',
              userId: userId === undefined ? null : phi(userId),
              providerMessageId: m.id,
              receivedAt: m.timestamp,
              type: m.type,
              body: phi(textOf(m)),
              phoneNumberId,
            });
            continue;
          }
          out.messages.push({
            from: phi(`+${number}`),
            providerMessageId: m.id,
            receivedAt: m.timestamp,
            type: m.type,
            body: phi(textOf(m)),
            phoneNumberId,
          });
        }
      } else if (change.field === 'user_preferences') {
        const value = parseOr(PreferencesValue, change.value, 'a user_preferences change');
        const phoneNumberId = value.metadata?.phone_number_id ?? null;
        for (const p of value.user_preferences) {
          if (p.wa_id === undefined) {
            out.unidentified.push({
              kind: 'preference',
              userId: p.user_id === undefined ? null : phi(p.user_id),
              category: p.category,
              value: p.value,
              occurredAt: p.timestamp,
              phoneNumberId,
            });
            continue;
          }
          out.preferences.push({
            waId: phi(`+${p.wa_id}`),
            category: p.category,
            value: p.value,
            occurredAt: p.timestamp,
            phoneNumberId,
          });
        }
      }
    }
  }
  return out;
}
