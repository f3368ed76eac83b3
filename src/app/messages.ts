import { auditActorOf, canAccessPatient, hasPermission, visibilityFilter } from '../core/access/actor.ts';
import { viewPermission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId, PrincipalId } from '../core/ids.ts';
import { CATEGORIES } from '../core/messaging/channel.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { redactSecureLinks } from '../core/secure-link/secure-link.ts';
import { checkDateRange } from './date-range.ts';
import { admitMessage, admitPatient, loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { MessageRecord, ReportedMessage, StatusEventRecord } from './ports.ts';

/**
 * One message with its body and status timeline; viewing content is audited (HIPAA §164.312(b)).
 * Another ward's message, or a category the caller may not view, answers 404 like an unknown id.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `message.view.<category>` and access to the patient's ward
 * @param id - the message
 */
export async function getMessage(
  deps: AppDeps,
  ctx: RequestContext,
  id: MessageId,
): Promise<{ message: MessageRecord; body: Phi<string>; content: Phi<string> | null; timeline: StatusEventRecord[]; senderName: string | null }> {
  // Two lines of defence: row-level security admits the rows (issue 5 item 3), then the code check decides.
  const read = await deps.store.asViewer(visibilityFilter(ctx.actor), async (viewer) => {
    const message = await viewer.messages.get(id);
    if (message === null || !mayView(ctx, message)) return { visible: false as const, message };
    const [body, timeline, content] = await Promise.all([
      viewer.messages.body(id),
      viewer.messages.timeline(id),
      message.delivery === 'secure' ? viewer.secureLinks.content(id) : Promise.resolve(null),
    ]);
    return { visible: true as const, message, body, timeline, content };
  });
  if (!read.visible) {
    // Hidden by row security, or not viewable: the connecting role's read only tells an audited denial from an unknown id.
    await admitMessage(deps.store, ctx, id, read.message ?? (await deps.store.messages.get(id)));
    throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  }
  const { message, body, timeline, content } = read;
  await admitMessage(deps.store, ctx, id, message); // flags a break-glass use
  // Who sent it, by name: a person, an integration or an AI agent (labelled by its kind); staff names are not PHI.
  const sender = message.sender.type === 'system' || message.sender.type === 'patient' ? null : await deps.store.principals.get(message.sender.id as PrincipalId);
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: id, patientId: message.patientId, reason: null, ...auditOrigin(ctx), details: { via: ctx.via } });
  if (body === null) throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  // The link in a secure notice is the patient's key to the content: staff see that a link was sent, never the link.
  return { message, body: message.delivery === 'secure' ? phi(redactSecureLinks(reveal(body))) : body, content, timeline, senderName: sender?.displayName ?? null };
}

/** The first line of defence, in code: the category's view permission and record-level sharing. */
function mayView(ctx: RequestContext, message: MessageRecord): boolean {
  return hasPermission(ctx.actor, viewPermission(message.category)) && canAccessPatient(ctx.actor, { id: message.patientId, wardId: message.wardId });
}

/**
 * A keyset position in the list: the last message of a page (newest first). A `Date` holds milliseconds, which is
 * exact here: messages are written with the application clock's time (`messages.queue`), never the database's
 * microsecond `now()`. A writer that used `now()` would need a microsecond cursor, as the audit export's has.
 */
export interface ListCursor {
  readonly createdAt: Date;
  readonly id: MessageId;
}

/**
 * The regulator's query (issue 6 item 3): messages of a patient (or all visible) in a period, filtered by the
 * caller's categories and wards — never just the detail page — each with its sender, template approval, carrier,
 * and delivery and read times. A holder of `audit.read` also gets the content (decrypted body, secure content,
 * override justification), and that disclosure is itself audited (`message.content-viewed`, HIPAA §164.312(b)).
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param q - filters, page size, and the cursor of the previous page
 * @returns a page, newest first, and the cursor of the next page (null on the last)
 */
export async function listMessages(
  deps: AppDeps,
  ctx: RequestContext,
  q: { patientId?: PatientId | undefined; from?: Date | undefined; to?: Date | undefined; limit: number; before?: ListCursor | undefined },
): Promise<{ items: ReportedMessage[]; next: ListCursor | null; withContent: boolean }> {
  await requirePermission(deps.store, ctx, CATEGORIES.map(viewPermission));
  checkDateRange(q, deps.clock.now(), false);
  const categories = CATEGORIES.filter((c) => hasPermission(ctx.actor, viewPermission(c)));
  const visibility = visibilityFilter(ctx.actor);
  const withContent = hasPermission(ctx.actor, 'audit.read');
  const patientId = q.patientId;
  // Filtered in SQL (the first line of defence) and under row-level security (the second), in one scope with the
  // patient's own read; one row more than the page says whether another page follows.
  const read = await deps.store.asViewer(visibility, async (viewer) => {
    const patient = patientId === undefined ? null : await viewer.patients.get(patientId);
    if (patientId !== undefined && patient === null) return null;
    const filter = { visibility, categories, limit: q.limit + 1, ...(patientId === undefined ? {} : { patientId }), ...(q.from === undefined ? {} : { from: q.from }), ...(q.to === undefined ? {} : { to: q.to }), ...(q.before === undefined ? {} : { before: q.before }) };
    return { patient, rows: await viewer.messages.report(filter, { content: withContent }) };
  });
  // Another patient's messages by filter answer as for an unknown id, audited, exactly as the patient by id: hidden
  // by row security (or unknown) goes the patient-by-id way; admitted, the code check decides (and flags break-glass).
  if (read === null) {
    await loadAccessiblePatient(deps.store, ctx, patientId as PatientId);
    throw new DomainError('NOT_FOUND', 'No patient with this id is visible to you.');
  }
  if (read.patient !== null) await admitPatient(deps.store, ctx, read.patient, { type: 'patient', id: read.patient.id });
  const items = read.rows.slice(0, q.limit).map(withoutLink);
  const last = items.at(-1);
  const next = read.rows.length > q.limit && last !== undefined ? { createdAt: last.createdAt, id: last.id } : null;
  const origin = { actor: auditActorOf(ctx.actor), outcome: 'success' as const, targetType: 'patient' as const, targetId: patientId ?? null, patientId: patientId ?? null, reason: null, ...auditOrigin(ctx) };
  // The disclosure of content is audited before the content leaves (which messages, to whom, through which
  // interface); the two events are independent rows, written side by side.
  await Promise.all([
    deps.store.audit.append({ ...origin, action: 'message.listed', details: { count: items.length, via: ctx.via } }),
    withContent && items.length > 0
      ? deps.store.audit.append({ ...origin, action: 'message.content-viewed', details: { count: items.length, via: ctx.via, messageIds: items.map((m) => m.id).join(',') } })
      : Promise.resolve(),
  ]);
  return { items, next, withContent };
}

/** The link in a secure notice is the patient's key to the content: staff see that a link was sent, never the link. */
function withoutLink(m: ReportedMessage): ReportedMessage {
  if (m.content === null || m.delivery !== 'secure') return m;
  return { ...m, content: { ...m.content, body: phi(redactSecureLinks(reveal(m.content.body))) } };
}
