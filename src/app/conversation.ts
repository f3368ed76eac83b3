import { auditActorOf, hasPermission, visibilityFilter } from '../core/access/actor.ts';
import { viewPermission } from '../core/access/permissions.ts';
import type { InboundMessageId, PatientId, PrincipalId } from '../core/ids.ts';
import { CATEGORIES } from '../core/messaging/channel.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { redactSecureLinks } from '../core/secure-link/secure-link.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { InboundRecord, MessageRecord } from './ports.ts';

/** One entry of a conversation: a message Wardline sent, or a reply the patient wrote. */
export type ConversationEntry =
  | { readonly direction: 'outbound'; readonly at: Date; readonly message: MessageRecord; readonly body: Phi<string>; readonly senderName: string | null }
  | { readonly direction: 'inbound'; readonly at: Date; readonly reply: InboundRecord & { readonly id: InboundMessageId }; readonly body: Phi<string> };

/**
 * The messages to and the replies from one patient, newest first: only a patient the caller may see (404 otherwise,
 * like an unknown id), only message categories it may view, secure links redacted as on `GET /v1/messages/{id}`.
 * Every message shown is audited as `message.viewed`, and the read as a whole as `conversation.viewed`.
 * @param deps - app dependencies
 * @param ctx - the caller; needs at least one `message.view.<category>`
 * @param patientId - the patient
 * @param limit - at most this many messages and this many replies are read; the newest `limit` entries are returned
 */
export async function readConversation(deps: AppDeps, ctx: RequestContext, patientId: PatientId, limit: number): Promise<ConversationEntry[]> {
  await requirePermission(deps.store, ctx, CATEGORIES.map(viewPermission));
  const categories = CATEGORIES.filter((c) => hasPermission(ctx.actor, viewPermission(c)));
  await loadAccessiblePatient(deps.store, ctx, patientId);
  const visibility = visibilityFilter(ctx.actor);
  // Read under row-level security (the second line of defence behind the checks above and the SQL filter).
  const { messages, replies, bodies } = await deps.store.asViewer(visibility, async (viewer) => {
    const [listed, inbound] = await Promise.all([viewer.messages.list({ visibility, categories, limit, patientId }), viewer.inbound.ofPatient(patientId, limit)]);
    return { messages: listed, replies: inbound, bodies: await Promise.all(listed.map((m) => viewer.messages.body(m.id))) };
  });
  const actor = auditActorOf(ctx.actor);
  // Who sent each message, by display name (a person or an AI agent; staff names are not PHI).
  const senderIds = [...new Set(messages.flatMap((m) => (m.sender.type === 'user' || m.sender.type === 'agent' || m.sender.type === 'integration' ? [m.sender.id as PrincipalId] : [])))];
  const names = new Map((await Promise.all(senderIds.map((id) => deps.store.principals.get(id)))).flatMap((p) => (p === null ? [] : [[p.id as string, p.displayName] as const])));
  const outbound: ConversationEntry[] = [];
  for (const [i, message] of messages.entries()) {
    const body = bodies[i] ?? null;
    if (body === null) continue;
    await deps.store.audit.append({ actor, action: 'message.viewed', outcome: 'success', targetType: 'message', targetId: message.id, patientId, reason: null, ...auditOrigin(ctx), details: { via: ctx.via } });
    // The link in a secure notice is the patient's key to the content: never shown to staff or agents.
    outbound.push({ direction: 'outbound', at: message.createdAt, message, body: message.delivery === 'secure' ? phi(redactSecureLinks(reveal(body))) : body, senderName: names.get(message.sender.id) ?? null });
  }
  const inbound: ConversationEntry[] = replies.map(({ body, ...reply }) => ({ direction: 'inbound', at: reply.receivedAt, reply, body }));
  const entries = [...outbound, ...inbound].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
  await deps.store.audit.append({
    actor,
    action: 'conversation.viewed',
    outcome: 'success',
    targetType: 'patient',
    targetId: patientId,
    patientId,
    reason: null,
    ...auditOrigin(ctx),
    details: { via: ctx.via, messages: outbound.length, replies: inbound.length },
  });
  return entries;
}
