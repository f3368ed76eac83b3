import twilio from 'twilio';
import { z } from 'zod';
import type { CarrierStatus } from '../../../core/messaging/delivery-status.ts';
import { phi, type Phi } from '../../../core/phi/phi.ts';
import type { Secret } from '../../../secret.ts';

/**
 * Twilio's webhooks (reference §4.3–4.5): the `X-Twilio-Signature` check, status callbacks and inbound messages.
 * Parameters arrive form-encoded; Twilio adds parameters without notice, so unknown ones are ignored (never rejected)
 * and the signature always covers every parameter received.
 */

/** A webhook whose parameters are not Twilio's format. Its message names fields, never their values (PHI). */
export class TwilioPayloadError extends Error {
  constructor(reason: string) {
    super(`Twilio webhook payload invalid: ${reason}`);
    this.name = 'TwilioPayloadError';
  }
}

/** What Wardline answers Twilio's inbound webhook: TwiML with no reply (keyword replies are sent by Wardline). */
export const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

type FormParams = Readonly<Record<string, string | readonly string[]>>;

/**
 * Checks `X-Twilio-Signature` with the SDK's `validateRequest`: HMAC-SHA1 (key: the auth token) over the full URL
 * Twilio called, query included, followed by every POST parameter sorted by name; tried with and without the port
 * (Twilio is inconsistent about `:443`), compared in constant time.
 * @param authToken - the account's auth token (Twilio signs with it even when an API key sends)
 * @param signature - the `X-Twilio-Signature` header; missing or empty is never valid
 * @param url - the public URL Twilio called (scheme, host, path and query as Twilio saw them)
 * @param params - every form parameter received (repeated names as arrays)
 */
export function verifyTwilioSignature(
  authToken: Secret,
  signature: string | undefined,
  url: string,
  params: FormParams,
): boolean {
  if (signature === undefined || signature === '') return false;
  try {
    return twilio.validateRequest(authToken.expose(), signature, url, params);
  } catch {
    return false; // e.g. a URL `new URL()` cannot parse
  }
}

function single(params: FormParams, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || typeof value === 'string') return value;
  if (value.length === 1) return value[0];
  throw new TwilioPayloadError(`${name} is repeated`);
}

/** Runs a zod schema; the error lists field names only (zod issues can quote the input). */
function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
  throw new TwilioPayloadError(`bad or missing ${fields.join(', ')}`);
}

/** A Message SID: `SM` (SMS, WhatsApp, RCS) or `MM` (MMS) and 32 hex digits. */
const SID = /^(?:SM|MM)[0-9a-fA-F]{32}$/;

/**
 * Twilio's message statuses (`MessageEnumStatus`, reference §4.2) and what each means for Wardline. Only changes
 * Wardline tracks map to a status; the rest are `null` (acknowledged, nothing recorded):
 * - `accepted`: a Messaging Service took the request and is choosing a sender — Wardline's `sending` already says so.
 * - `scheduled`: held by Twilio for a `SendAt` time; Wardline does not schedule through Twilio.
 * - `queued`: waiting in Twilio's queue for the carrier — still `sending` for Wardline.
 * - `sending`: being handed to the carrier — still `sending`.
 * - `sent` → sent: the carrier accepted it (final for carriers without delivery receipts).
 * - `delivered` → delivered: the handset got it (when the carrier reports receipts).
 * - `read` → read: read receipt (WhatsApp, RCS).
 * - `undelivered` → failed: the carrier reported a failure (`ErrorCode` says why, e.g. 30003, 30005).
 * - `failed` → failed: Twilio could not send it to the carrier (e.g. 30036 validity period expired).
 * - `canceled` → failed: a scheduled or queued message was cancelled at Twilio; it will never go out.
 * - `partially_delivered`: some parts of a multi-part or group message arrived; a final status follows.
 * - `receiving`, `received`: inbound statuses, not about a message Wardline sent.
 */
const STATUS_MAP = {
  accepted: null,
  scheduled: null,
  queued: null,
  sending: null,
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
  partially_delivered: null,
  receiving: null,
  received: null,
} as const satisfies Record<string, CarrierStatus | null>;

type TwilioMessageStatus = keyof typeof STATUS_MAP;
const STATUSES = Object.keys(STATUS_MAP) as [TwilioMessageStatus, ...TwilioMessageStatus[]];

const statusSchema = z.object({
  MessageSid: z.string().regex(SID),
  MessageStatus: z.enum(STATUSES),
  ErrorCode: z.string().optional(),
  EventType: z.string().optional(),
});

export interface TwilioStatusCallback {
  readonly providerMessageId: string;
  /** The change Wardline tracks, or null for statuses it does not (see STATUS_MAP). */
  readonly status: CarrierStatus | null;
  readonly rawStatus: string;
  readonly errorCode: string | null;
}

/**
 * Parses a status callback (`MessageSid`, `MessageStatus`, `ErrorCode`; unknown parameters ignored). A read receipt
 * may also come as `EventType=READ` ("If the channel supports read receipts … this property's value is READ after the
 * recipient has read the message", https://www.twilio.com/docs/messaging/guides/track-outbound-message-status).
 * @param params - the form parameters (already signature-checked)
 * @throws TwilioPayloadError when MessageSid or MessageStatus is missing or MessageStatus is not one of Twilio's
 */
export function parseTwilioStatusCallback(params: FormParams): TwilioStatusCallback {
  const parsed = parseWith(statusSchema, {
    MessageSid: single(params, 'MessageSid'),
    MessageStatus: single(params, 'MessageStatus'),
    ErrorCode: single(params, 'ErrorCode'),
    EventType: single(params, 'EventType'),
  });
  const read = parsed.EventType?.toUpperCase() === 'READ';
  const errorCode =
    parsed.ErrorCode === undefined || parsed.ErrorCode.trim() === '' ? null : parsed.ErrorCode.trim();
  return {
    providerMessageId: parsed.MessageSid,
    status: read ? 'read' : STATUS_MAP[parsed.MessageStatus],
    rawStatus: parsed.MessageStatus,
    errorCode,
  };
}

const inboundSchema = z.object({
  MessageSid: z.string().regex(SID),
  From: z.string().min(1),
  Body: z.string().default(''),
  NumMedia: z
    .string()
    .regex(/^\d{1,3}$/)
    .default('0'),
  OptOutType: z.string().optional(),
});

export interface TwilioInbound {
  /** The sender's address without its channel prefix (`whatsapp:`, `rcs:`). */
  readonly from: Phi<string>;
  readonly channel: 'sms' | 'text' | 'whatsapp';
  readonly body: Phi<string>;
  readonly providerMessageId: string;
  /** The keyword Twilio's Advanced Opt-Out matched (and already answered), if any (reference §2.5). */
  readonly optOutType: 'STOP' | 'START' | 'HELP' | null;
  readonly mediaCount: number;
}

/**
 * Parses an inbound message webhook (reference §4.4). `whatsapp:+1…` is WhatsApp (prefix stripped); `rcs:+1…` is rich
 * text (prefix stripped); a message with media (`NumMedia` > 0) is rich text (MMS); anything else is SMS. WhatsApp's
 * extra parameters (`ProfileName`, `WaId`, buttons …) are ignored: the number identifies the patient.
 * @param params - the form parameters (already signature-checked)
 * @throws TwilioPayloadError when MessageSid or From is missing or malformed
 */
export function parseTwilioInbound(params: FormParams): TwilioInbound {
  const parsed = parseWith(inboundSchema, {
    MessageSid: single(params, 'MessageSid'),
    From: single(params, 'From'),
    Body: single(params, 'Body'),
    NumMedia: single(params, 'NumMedia'),
    OptOutType: single(params, 'OptOutType'),
  });
  const mediaCount = Number(parsed.NumMedia);
  const prefix = /^([a-z]+):/i.exec(parsed.From)?.[1]?.toLowerCase();
  let channel: TwilioInbound['channel'];
  let address = parsed.From;
  if (prefix === 'whatsapp') {
    channel = 'whatsapp';
    address = parsed.From.slice('whatsapp:'.length);
  } else if (prefix === 'rcs') {
    channel = 'text';
    address = parsed.From.slice('rcs:'.length);
  } else if (prefix !== undefined) {
    throw new TwilioPayloadError('From has a channel this adapter does not handle');
  } else {
    channel = mediaCount > 0 ? 'text' : 'sms';
  }
  if (address === '') throw new TwilioPayloadError('bad or missing From');
  const keyword = parsed.OptOutType?.trim().toUpperCase();
  const optOutType = keyword === 'STOP' || keyword === 'START' || keyword === 'HELP' ? keyword : null;
  return {
    from: phi(address),
    channel,
    body: phi(parsed.Body),
    providerMessageId: parsed.MessageSid,
    optOutType,
    mediaCount,
  };
}
