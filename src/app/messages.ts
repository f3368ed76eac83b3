import { auditActorOf, canAccessPatient, hasPermission, visibilityFilter } from '../core/access/actor.ts';
import { viewPermission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId, PrincipalId } from '../core/ids.ts';
import { CATEGORIES } from '../core/messaging/channel.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { redactSecureLinks } from '../core/secure-link/secure-link.ts';
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
  const message = await deps.store.messages.get(id);
  const visible =
    message !== null &&
    hasPermission(ctx.actor, viewPermission(message.category)) &&
    canAccessPatient(ctx.actor, { id: message.patientId, wardId: message.wardId });
  if (message === null || !visible) {
    if (message !== null) {
      await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'access.denied', outcome: 'denied', targetType: 'message', targetId: id, patientId: message.patientId, reason: 'message not visible to the actor', requestId: ctx.requestId });
    }
    throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  }
  const [body, timeline, content, sender] = await Promise.all([
    deps.store.messages.body(id),
    deps.store.messages.timeline(id),
    message.delivery === 'secure' ? deps.store.secureLinks.content(id) : Promise.resolve(null),
    // Who sent it, by name: a person, an integration or an AI agent (labelled as such by its kind).
    message.sender.type === 'system' || message.sender.type === 'patient' ? Promise.resolve(null) : deps.store.principals.get(message.sender.id as PrincipalId),
  ]);
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: id, patientId: message.patientId, reason: null, requestId: ctx.requestId, details: { via: ctx.via } });
  if (body === null) throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  // The link in a secure notice is the patient's key to the content: staff see that a link was sent, never the link.
  return { message, body: message.delivery === 'secure' ? phi(redactSecureLinks(reveal(body))) : body, content, timeline, senderName: sender?.displayName ?? null };
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
  const categories = CATEGORIES.filter((c) => hasPermission(ctx.actor, viewPermission(c)));
  if (categories.length === 0) throw new DomainError('ACCESS_DENIED', 'Listing messages needs a message.view permission.');
  const rows = await deps.store.messages.list({
    visibility: visibilityFilter(ctx.actor),
    categories,
    limit: q.limit,
    ...(q.patientId === undefined ? {} : { patientId: q.patientId }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.before === undefined ? {} : { before: q.before }),
  });
  await deps.store.audit.append({ actor: auditActorOf(ctx.actor), action: 'message.listed', outcome: 'success', targetType: 'patient', targetId: q.patientId ?? null, patientId: q.patientId ?? null, reason: null, requestId: ctx.requestId, details: { count: rows.length, via: ctx.via } });
  return rows;
}
