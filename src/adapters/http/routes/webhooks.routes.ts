import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DomainError } from '../../../core/errors.ts';
import type { MessageId } from '../../../core/ids.ts';
import {
  applyWhatsAppMarketingPreference,
  recordUnidentifiedWhatsAppEvent,
  recordWebhookRejection,
  rememberDelivery,
  type WebhookRejection,
} from '../../../app/carrier-webhooks.ts';
import type { AppDeps } from '../../../app/context.ts';
import { handleInbound } from '../../../app/handle-inbound.ts';
import { ingestStatuses, type ReceiptEvent } from '../../../app/ingest-status.ts';
import type { Secret } from '../../../secret.ts';
import {
  parseTwilioInbound,
  parseTwilioStatusCallback,
  TWIML_EMPTY,
  TwilioPayloadError,
  verifyTwilioSignature,
} from '../../carriers/twilio/twilio.webhooks.ts';
import { MetaPayloadError, parseWhatsAppWebhook, verifyHandshake, verifyMetaSignature } from '../../carriers/whatsapp-cloud/whatsapp-cloud.webhooks.ts';
import { sendProblem } from '../plugins/problem.ts';

/** Carrier webhooks are small; anything larger is refused before it is read (413). */
const WEBHOOK_BODY_LIMIT = 256 * 1024;
/**
 * Meta retries a failed webhook delivery for up to 7 days; an event older than that (or from the future beyond clock
 * skew) is not a retry but a replay of captured traffic.
 */
const MAX_EVENT_AGE_MS = 7 * 24 * 60 * 60_000;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookSettings {
  /** The externally visible base URL: Twilio signs the URL it called, so the check rebuilds it from this. */
  readonly publicUrl: string;
  readonly twilio: { readonly authToken: Secret } | null;
  readonly whatsapp: { readonly appSecret: Secret; readonly verifyToken: Secret; readonly phoneNumberId: string } | null;
}

type FormParams = Record<string, string | string[]>;

function parseForm(body: string): FormParams {
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const previous = params[key];
    params[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return params;
}

function digestOf(signature: string, body: string | Buffer): string {
  return createHash('sha256').update(signature).update('\n').update(body).digest('base64url');
}

async function refuse(deps: AppDeps, request: FastifyRequest, reply: FastifyReply, provider: string, reason: WebhookRejection): Promise<FastifyReply> {
  await recordWebhookRejection(deps, { provider, reason, sourceIp: request.ip, requestId: request.id });
  if (reason === 'replayed') return sendProblem(reply, request, 'WEBHOOK_REPLAYED', 'This webhook delivery was already processed; nothing changed.');
  if (reason === 'stale') return sendProblem(reply, request, 'WEBHOOK_STALE', 'The event is older than any carrier retry; nothing changed.');
  return sendProblem(reply, request, 'WEBHOOK_SIGNATURE_INVALID', 'The webhook signature is missing or does not match.');
}

/** The request a carrier's callback came in, for the audit events it causes. */
function originOf(request: FastifyRequest): { requestId: string; sourceAddress: string } {
  return { requestId: request.id, sourceAddress: request.ip };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Carrier webhooks (PRODUCT.md API): Twilio status callbacks and inbound messages (form-encoded, `X-Twilio-Signature`
 * over the public URL and every parameter), Meta's verification handshake and events (`X-Hub-Signature-256` over the
 * raw body). Authentication comes first, before any parsing; a failure is a security event (audited) and 403; a
 * replayed delivery changes nothing (409); a body that is not the carrier's format is 400; nothing is half-applied.
 */
export function webhookRoutes(deps: AppDeps, settings: WebhookSettings): FastifyPluginAsyncZod {
  return async (app) => {
    // This plugin's own parsers: the raw text or bytes are kept, because signatures cover them.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });

    const twilio = settings.twilio;
    if (twilio !== null) {
      /** Verifies the signature and the replay log; returns the parameters, or null when it already answered. */
      const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<FormParams | null> => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const params = parseForm(raw);
        const signature = header(request, 'x-twilio-signature');
        const url = `${settings.publicUrl}${request.url}`;
        if (signature === undefined || signature === '') {
          await refuse(deps, request, reply, 'twilio', 'missing-signature');
          return null;
        }
        if (!verifyTwilioSignature(twilio.authToken, signature, url, params)) {
          await refuse(deps, request, reply, 'twilio', 'bad-signature');
          return null;
        }
        if (!(await rememberDelivery(deps, 'twilio', digestOf(signature, `${request.url}\n${raw}`)))) {
          await refuse(deps, request, reply, 'twilio', 'replayed');
          return null;
        }
        return params;
      };

      app.post('/v1/webhooks/twilio/status', { config: { public: true }, schema: { tags: ['webhooks'], hide: false } }, async (request, reply) => {
        const params = await authenticate(request, reply);
        if (params === null) return reply;
        const callback = parseOrReject(() => parseTwilioStatusCallback(params));
        if (callback.status === null) return reply.code(204).send();
        const wl = (request.query as Record<string, unknown>)['wl'];
        const event: ReceiptEvent = {
          provider: 'twilio',
          providerMessageId: callback.providerMessageId,
          status: callback.status,
          errorCode: callback.errorCode,
          occurredAt: deps.clock.now(),
          messageId: typeof wl === 'string' && UUID.test(wl) ? (wl as MessageId) : undefined,
        };
        const [outcome] = await ingestStatuses(deps, [event], originOf(request));
        if (outcome === 'unknown-message') throw new DomainError('UNKNOWN_PROVIDER_MESSAGE', 'No message has this MessageSid.');
        return reply.code(204).send();
      });

      app.post('/v1/webhooks/twilio/inbound', { config: { public: true }, schema: { tags: ['webhooks'] } }, async (request, reply) => {
        const params = await authenticate(request, reply);
        if (params === null) return reply;
        const inbound = parseOrReject(() => parseTwilioInbound(params));
        await handleInbound(deps, {
          from: inbound.from,
          channel: inbound.channel,
          body: inbound.body,
          providerMessageId: inbound.providerMessageId,
          carrierKeyword: inbound.optOutType,
          origin: originOf(request),
        });
        return reply.code(200).type('text/xml').send(TWIML_EMPTY);
      });
    }

    const whatsapp = settings.whatsapp;
    if (whatsapp !== null) {
      app.get('/v1/webhooks/whatsapp', { config: { public: true }, schema: { tags: ['webhooks'] } }, async (request, reply) => {
        const challenge = verifyHandshake(request.query as Record<string, unknown>, whatsapp.verifyToken);
        if (challenge === null) return refuse(deps, request, reply, 'whatsapp-cloud', 'bad-verify-token');
        return reply.code(200).type('text/plain').send(challenge);
      });

      app.post('/v1/webhooks/whatsapp', { config: { public: true }, schema: { tags: ['webhooks'] } }, async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = header(request, 'x-hub-signature-256');
        if (signature === undefined || signature === '') return refuse(deps, request, reply, 'whatsapp-cloud', 'missing-signature');
        if (!verifyMetaSignature(whatsapp.appSecret, signature, raw)) return refuse(deps, request, reply, 'whatsapp-cloud', 'bad-signature');
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new DomainError('WEBHOOK_PAYLOAD_INVALID', 'The body is not JSON.');
        }
        const parsed = parseOrReject(() => parseWhatsAppWebhook(json));
        const now = deps.clock.now().getTime();
        const times = [...parsed.statuses.map((s) => s.occurredAt), ...parsed.messages.map((m) => m.receivedAt), ...parsed.preferences.map((p) => p.occurredAt)];
        if (times.some((t) => now - t.getTime() > MAX_EVENT_AGE_MS || t.getTime() - now > MAX_CLOCK_SKEW_MS)) {
          return refuse(deps, request, reply, 'whatsapp-cloud', 'stale');
        }
        if (!(await rememberDelivery(deps, 'whatsapp-cloud', digestOf(signature, raw)))) return refuse(deps, request, reply, 'whatsapp-cloud', 'replayed');
        // Events for another phone number of the same business account are not ours to apply.
        const statuses = parsed.statuses.filter((s) => s.phoneNumberId === whatsapp.phoneNumberId);
        const messages = parsed.messages.filter((m) => m.phoneNumberId === whatsapp.phoneNumberId);
        const outcomes = await ingestStatuses(
          deps,
          statuses.map((s) => ({
            provider: 'whatsapp-cloud',
            providerMessageId: s.providerMessageId,
            status: s.status,
            errorCode: s.errorCode,
            occurredAt: s.occurredAt,
            messageId: s.messageId !== null && UUID.test(s.messageId) ? (s.messageId as MessageId) : undefined,
          })),
          originOf(request),
        );
        for (const m of messages) {
          await handleInbound(deps, { from: m.from, channel: 'whatsapp', body: m.body, providerMessageId: m.providerMessageId, origin: originOf(request) });
        }
        // Users who hide their number behind a WhatsApp username arrive with a business-scoped id only: nothing to
        // match a patient by. Each is audited for staff follow-up (a STOP from them cannot be applied automatically).
        for (const u of parsed.unidentified) await recordUnidentifiedWhatsAppEvent(deps, { kind: u.kind, requestId: request.id });
        for (const p of parsed.preferences) {
          if (p.category === 'marketing_messages') await applyWhatsAppMarketingPreference(deps, { waNumber: p.waId, value: p.value, occurredAt: p.occurredAt });
        }
        const handled = messages.length + parsed.preferences.length + parsed.unidentified.length + outcomes.filter((o) => o !== 'unknown-message').length;
        if (handled === 0 && outcomes.length > 0) throw new DomainError('UNKNOWN_PROVIDER_MESSAGE', 'No message has these WhatsApp message ids.');
        return reply.code(200).send({ received: true });
      });
    }
  };
}

/** Runs a carrier payload parser; a body that is not the carrier's format is a 400, never a 500. */
function parseOrReject<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TwilioPayloadError || error instanceof MetaPayloadError) {
      throw new DomainError('WEBHOOK_PAYLOAD_INVALID', "The body is not in the carrier's webhook format.", { cause: error });
    }
    throw error;
  }
}
