import { auditActorOf, canAccessPatient, hasPermission, visibilityFilter } from '../core/access/actor.ts';
import { viewPermission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId, PrincipalId } from '../core/ids.ts';
import { CATEGORIES } from '../core/messaging/channel.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { redactSecureLinks } from '../core/secure-link/secure-link.ts';
import { admitMessage, loadAccessiblePatient, requirePermission } from './access.ts';
import type { AppDeps, RequestContext } from './context.ts';
import type { MessageRecord, StatusEventRecord } from './ports.ts';

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
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: id, patientId: message.patientId, reason: null, requestId: ctx.requestId, details: { via: ctx.via } });
  if (body === null) throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  // The link in a secure notice is the patient's key to the content: staff see that a link was sent, never the link.
  return { message, body: message.delivery === 'secure' ? phi(redactSecureLinks(reveal(body))) : body, content, timeline, senderName: sender?.displayName ?? null };
}

/** The first line of defence, in code: the category's view permission and record-level sharing. */
function mayView(ctx: RequestContext, message: MessageRecord): boolean {
  return hasPermission(ctx.actor, viewPermission(message.category)) && canAccessPatient(ctx.actor, { id: message.patientId, wardId: message.wardId });
}

/**
 * The regulator's query: messages of a patient (or all visible) in a period, filtered by the caller's
 * categories and wards — never just the detail page.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param q - filters and page size
 */
export async function listMessages(
  deps: AppDeps,
  ctx: RequestContext,
  q: { patientId?: PatientId | undefined; from?: Date | undefined; to?: Date | undefined; limit: number; before?: { createdAt: Date; id: MessageId } | undefined },
): Promise<MessageRecord[]> {
  await requirePermission(deps.store, ctx, CATEGORIES.map(viewPermission));
  const categories = CATEGORIES.filter((c) => hasPermission(ctx.actor, viewPermission(c)));
  // Another patient's messages by filter answer as for an unknown id, audited, exactly as the patient by id.
  if (q.patientId !== undefined) await loadAccessiblePatient(deps.store, ctx, q.patientId);
  const visibility = visibilityFilter(ctx.actor);
  // Filtered in SQL (the first line of defence) and under row-level security (the second).
  const rows = await deps.store.asViewer(visibility, (viewer) =>
    viewer.messages.list({
      visibility,
      categories,
      limit: q.limit,
      ...(q.patientId === undefined ? {} : { patientId: q.patientId }),
      ...(q.from === undefined ? {} : { from: q.from }),
      ...(q.to === undefined ? {} : { to: q.to }),
      ...(q.before === undefined ? {} : { before: q.before }),
    }),
  );
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'message.listed', outcome: 'success', targetType: 'patient', targetId: q.patientId ?? null, patientId: q.patientId ?? null, reason: null, requestId: ctx.requestId, details: { count: rows.length, via: ctx.via } });
  return rows;
}
