import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MessageId, PatientId } from '../../../core/ids.ts';
import { phi, reveal } from '../../../core/phi/phi.ts';
import { FIELDS, type FieldName } from '../../../core/templates/fields.ts';
import type { AppDeps } from '../../../app/context.ts';
import { getMessage, listMessages, type ListCursor } from '../../../app/messages.ts';
import { messageReportView, messageSummary } from '../../../app/regulator-report.ts';
import { DomainError } from '../../../core/errors.ts';
import { checkMessage, sendMessage, type SendMessageCommand } from '../../../app/send-message.ts';
import { contextOf } from '../plugins/auth.ts';
import { Category, Channel, IdParams, MessageBody, Purpose, Uuid } from './schemas.ts';

/** Template parameters are named by field (GET /v1/template-fields); any other key is refused without being echoed. */
const FIELD_NAMES = Object.keys(FIELDS) as [FieldName, ...FieldName[]];

const NewMessage = z
  .object({
    patientId: Uuid,
    channel: Channel,
    category: Category.optional(),
    purpose: Purpose.optional(),
    body: MessageBody.optional(),
    template: z
      .object({ id: z.string().min(1).max(100), params: z.partialRecord(z.enum(FIELD_NAMES), z.string().max(500)).default({}) })
      .strict()
      .optional(),
    relatedRecord: z.object({ type: z.string().min(1).max(60), id: z.string().min(1).max(100) }).strict().optional(),
    override: z
      .object({ justification: z.string().trim().min(20, 'must be at least 20 characters: say why this cannot wait for consent').max(2000) })
      .strict()
      .optional(),
    mediaUrls: z
      .array(z.url({ protocol: /^https$/, message: 'must be an https URL' }).max(2000))
      .max(10, 'at most 10 media URLs (MMS)')
      .optional(),
    urgent: z.boolean().optional(),
  })
  .strict()
  .refine((m) => (m.body === undefined) !== (m.template === undefined), {
    message: 'give either body or template, not both',
    path: ['body'],
  })
  .refine((m) => m.template !== undefined || m.category !== undefined, {
    message: 'is required for free text (a template takes its kind\'s category)',
    path: ['category'],
  });

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII').optional(),
});

const ListQuery = z
  .object({
    patientId: Uuid.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** The `next` of the previous page: pages through every message in the range. */
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();

/** A page cursor: the position of a page's last message, opaque to clients (base64url of its time and id). */
function encodeCursor(c: ListCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url');
}

function decodeCursor(raw: string): ListCursor {
  const [at, id, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (rest.length > 0 || id === undefined || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new DomainError('VALIDATION_FAILED', 'The cursor is not one this API returned.', { issues: [{ pointer: '/querystring/cursor', message: 'must be the next value of a previous page' }] });
  }
  return { createdAt, id: id as MessageId };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toCommand(b: z.infer<typeof NewMessage>, key: string | undefined): SendMessageCommand {
  return {
    patientId: b.patientId as PatientId,
    channel: b.channel,
    category: b.category,
    purpose: b.purpose,
    body: b.body === undefined ? undefined : phi(b.body),
    template: b.template === undefined ? undefined : { id: b.template.id, params: phi(b.template.params) },
    relatedRecord: b.relatedRecord,
    override: b.override === undefined ? undefined : { justification: phi(b.override.justification) },
    idempotencyKey: key,
    mediaUrls: b.mediaUrls === undefined ? undefined : phi(b.mediaUrls),
    urgent: b.urgent,
  };
}

/** Sending, the dry run, one message and the regulator's list. */
export function messageRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/messages', { schema: { tags: ['messages'], body: NewMessage, headers: IdempotencyHeaders } }, async (request, reply) => {
      const result = await sendMessage(deps, contextOf(request), toCommand(request.body, request.headers['idempotency-key']));
      return reply.code(202).send({ id: result.id, status: result.status, replayed: result.replayed });
    });

    app.post('/v1/messages/check', { schema: { tags: ['messages'], body: NewMessage } }, async (request) => {
      return checkMessage(deps, contextOf(request), toCommand(request.body, undefined));
    });

    app.get('/v1/messages/:id', { schema: { tags: ['messages'], params: IdParams } }, async (request) => {
      const { message, body, content, timeline, senderName } = await getMessage(deps, contextOf(request), request.params.id as MessageId);
      return {
        ...messageSummary(message),
        sender: { ...message.sender, displayName: senderName },
        body: reveal(body),
        // A secure message: what the patient reads behind the link (the body is the notice, its link redacted).
        ...(content === null ? {} : { secureContent: reveal(content) }),
        timeline: timeline.map((t) => ({ status: t.status, reason: t.reason, source: t.source, at: t.occurredAt.toISOString() })),
      };
    });

    app.get('/v1/messages', { schema: { tags: ['messages'], querystring: ListQuery } }, async (request) => {
      const q = request.query;
      const page = await listMessages(deps, contextOf(request), {
        patientId: q.patientId as PatientId | undefined,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
        before: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
      });
      return { items: page.items.map(messageReportView), next: page.next === null ? null : encodeCursor(page.next), contentIncluded: page.withContent };
    });
  };
}
