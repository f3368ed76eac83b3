import { auditActorOf, type AuditActor } from '../core/access/actor.ts';
import { sendPermission } from '../core/access/permissions.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { decideConsent } from '../core/consent/consent.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { secureLinkStatus, type SecureLinkStatus } from '../core/secure-link/secure-link.ts';
import { admitMessage, requirePermission } from './access.ts';
import { auditOrigin, senderFor, type AppDeps, type RequestContext } from './context.ts';
import type { MessageRecord, SecureLinkRecord, StoreSession } from './ports.ts';
import { mintSecureLink } from './secure-links.ts';
import { renderSecureNotice } from './templates.ts';
import { composedMessage } from './composed-message.ts';

/**
 * Staff operations on secure links (issue 4 item 5; docs/secure-links.md): see a link's state (never its token or
 * the content), revoke it at once, reissue it. Also `revokeSecureLinks`, which incident response calls.
 */

/** Why a link was revoked: stable codes, never free text (the audit trail must stay free of PHI). */
export const REVOCATION_REASONS = ['misdirected', 'patient-request', 'sent-in-error', 'incident', 'other'] as const;
/** `reissued`: replaced by a new link. */
export type RevocationReason = (typeof REVOCATION_REASONS)[number] | 'reissued';

/** A link's state as staff see it. */
export interface SecureLinkSummary {
  readonly linkId: string;
  readonly status: SecureLinkStatus;
  readonly noticeMessageId: MessageId;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly revokedReason: string | null;
  readonly lockedAt: Date | null;
  readonly failedAttempts: number;
  readonly codesSent: number;
  readonly firstViewedAt: Date | null;
  readonly lastViewedAt: Date | null;
  readonly viewCount: number;
}

function summary(link: SecureLinkRecord, now: Date): SecureLinkSummary {
  return {
    linkId: link.id,
    status: secureLinkStatus(link, now),
    noticeMessageId: link.noticeMessageId,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    revokedAt: link.revokedAt,
    revokedReason: link.revokedReason,
    lockedAt: link.lockedAt,
    failedAttempts: link.failedAttempts,
    codesSent: link.codesSent,
    firstViewedAt: link.firstViewedAt,
    lastViewedAt: link.lastViewedAt,
    viewCount: link.viewCount,
  };
}

/**
 * The message if the caller may view it (`admitMessage`, the check `getMessage` makes), with its secure links, newest
 * first. Another ward's message answers 404 like an unknown id (audited, a security event).
 */
async function loadLinks(deps: AppDeps, ctx: RequestContext, id: MessageId): Promise<{ message: MessageRecord; links: SecureLinkRecord[] }> {
  const message = await admitMessage(deps.store, ctx, id, await deps.store.messages.get(id));
  const links = await deps.store.secureLinks.forMessage(id);
  if (links.length === 0) throw new DomainError('NOT_FOUND', 'This message was not sent with a secure link.');
  return { message, links };
}

/**
 * The secure links of a message (its content's message, or a notice that carried one), newest first.
 * @param deps - app dependencies
 * @param ctx - the caller; needs to be able to view the message
 * @param id - the message
 */
export async function getSecureLinks(deps: AppDeps, ctx: RequestContext, id: MessageId): Promise<{ messageId: MessageId; links: SecureLinkSummary[] }> {
  const { links } = await loadLinks(deps, ctx, id);
  const now = deps.clock.now();
  return { messageId: links[0]?.messageId ?? id, links: links.map((l) => summary(l, now)) };
}

function revokedAudit(by: { actor: AuditActor; requestId: string | null; sourceAddress?: string | null; onBehalfOf?: string | null }, link: { id: string; messageId: MessageId; patientId: PatientId }, reason: RevocationReason): AuditEventInput {
  return { actor: by.actor, action: 'secure-link.revoked', outcome: 'success', targetType: 'secure-link', targetId: link.id, patientId: link.patientId, reason, requestId: by.requestId, sourceAddress: by.sourceAddress ?? null, onBehalfOf: by.onBehalfOf ?? null, details: { messageId: link.messageId } };
}

/**
 * Revokes at once every link not yet revoked of some messages or of a patient (incident response: a misdirected
 * message, a reassigned number), ending their view sessions and pending codes; each revocation is audited. It does
 * no access check of its own: the caller (a staff route, an incident) has authorised the action.
 * @param deps - app dependencies
 * @param by - who revokes, and the request, for the audit trail
 * @param target - message ids (content or notice) or a patient
 * @param reason - a revocation reason code
 * @returns the links revoked
 */
export async function revokeSecureLinks(
  deps: AppDeps,
  by: { readonly actor: AuditActor; readonly requestId: string | null; readonly sourceAddress?: string | null; readonly onBehalfOf?: string | null },
  target: { readonly messageIds: readonly MessageId[] } | { readonly patientId: PatientId },
  reason: RevocationReason,
): Promise<{ id: string; messageId: MessageId; patientId: PatientId }[]> {
  const now = deps.clock.now();
  const revoked = await deps.store.transaction((tx) => revokeSecureLinksIn(tx, by, target, reason, now));
  deps.logger.info({ requestId: by.requestId, count: revoked.length, reason }, 'secure links revoked');
  return revoked;
}

/**
 * `revokeSecureLinks` in the caller's transaction (an incident's mitigation is recorded with the revocations it
 * made, all or nothing).
 * @param tx - a store session inside a transaction
 * @param by - who revokes, and the request, for the audit trail
 * @param target - message ids (content or notice) or a patient
 * @param reason - a revocation reason code
 * @param at - when
 * @returns the links revoked
 */
export async function revokeSecureLinksIn(
  tx: StoreSession,
  by: { readonly actor: AuditActor; readonly requestId: string | null; readonly sourceAddress?: string | null; readonly onBehalfOf?: string | null },
  target: { readonly messageIds: readonly MessageId[] } | { readonly patientId: PatientId },
  reason: RevocationReason,
  at: Date,
): Promise<{ id: string; messageId: MessageId; patientId: PatientId }[]> {
  if ('messageIds' in target && target.messageIds.length === 0) return [];
  const rows = await tx.secureLinks.revoke(target, { at, by: by.actor, reason });
  for (const link of rows) await tx.audit.append(revokedAudit(by, link, reason));
  return rows;
}

/**
 * Revokes a message's secure links (staff, `POST /v1/messages/{id}/secure-link/revoke`).
 * @param deps - app dependencies
 * @param ctx - the caller; needs to be able to view the message
 * @param id - the message
 * @param reason - why
 */
export async function revokeMessageSecureLinks(deps: AppDeps, ctx: RequestContext, id: MessageId, reason: RevocationReason): Promise<{ messageId: MessageId; revoked: number; links: SecureLinkSummary[] }> {
  const { links } = await loadLinks(deps, ctx, id);
  const contentId = links[0]?.messageId ?? id;
  const revoked = await revokeSecureLinks(deps, { actor: auditActorOf(ctx.actor), ...auditOrigin(ctx) }, { messageIds: [contentId] }, reason);
  return { ...(await getSecureLinks(deps, ctx, contentId)), revoked: revoked.length };
}

/**
 * Reissues a message's secure link: revokes the links it has, mints a new one and queues a new notice with its URL
 * to the patient on the same channel (consent checked now and again at dispatch), all in one transaction.
 * @param deps - app dependencies
 * @param ctx - the caller; needs to view the message and `message.send.<category>`
 * @param id - the message
 */
export async function reissueSecureLink(deps: AppDeps, ctx: RequestContext, id: MessageId): Promise<{ messageId: MessageId; noticeMessageId: MessageId; linkId: string; expiresAt: Date }> {
  const { message, links } = await loadLinks(deps, ctx, id);
  await requirePermission(deps.store, ctx, sendPermission(message.category));
  const actor = auditActorOf(ctx.actor);
  const contentId = links[0]?.messageId ?? id;
  const details = { channel: message.channel, category: message.category, purpose: message.purpose };
  const decision = decideConsent(await deps.store.consents.ledger(message.patientId), { channel: message.channel, purpose: message.purpose, overrideRequested: false, mayOverride: false });
  if (!decision.allowed) {
    const code = decision.reason === 'revoked' ? 'CONSENT_REVOKED' : 'CONSENT_REQUIRED';
    await deps.store.audit.append({ actor, action: 'message.blocked', outcome: 'denied', targetType: 'patient', targetId: message.patientId, patientId: message.patientId, reason: code, ...auditOrigin(ctx), details });
    throw new DomainError(code, code === 'CONSENT_REVOKED' ? 'The patient opted out of this channel; a new link cannot be sent.' : 'The patient has no recorded consent for this channel and purpose; record consent before reissuing.');
  }
  if (senderFor(deps, message.channel) === null) throw new DomainError('CHANNEL_NOT_CONFIGURED', `No carrier is configured to send ${message.channel} messages.`);
  const state = await deps.store.patients.getSendState(message.patientId);
  if (state === null) throw new DomainError('NOT_FOUND', 'No message with this id is visible to you.');
  const now = deps.clock.now();
  const minted = mintSecureLink(deps, now);
  const notice = await renderSecureNotice(deps, deps.store, state.patient, message.channel, minted.url);
  const noticeId = deps.ids.uuid() as MessageId;
  const target = { targetType: 'message', targetId: noticeId, patientId: message.patientId, ...auditOrigin(ctx) } as const;
  await deps.store.transaction(async (tx) => {
    const revoked = await tx.secureLinks.revoke({ messageIds: [contentId] }, { at: now, by: actor, reason: 'reissued' });
    await tx.messages.queue(
      composedMessage({
        id: noticeId,
        patientId: message.patientId,
        wardId: message.wardId,
        channel: message.channel,
        category: message.category,
        purpose: message.purpose,
        body: notice.body,
        template: notice.template,
        delivery: 'secure',
        relatedRecord: message.relatedRecord,
        consentBasis: 'consent',
        sender: actor,
      }),
      [
        { actor, action: 'message.queued', outcome: 'success', reason: null, details: { ...details, consentBasis: 'consent' }, ...target },
        ...revoked.map((l) => revokedAudit({ actor, ...auditOrigin(ctx) }, l, 'reissued')),
        { ...target, actor, action: 'secure-link.reissued', outcome: 'success', reason: null, targetType: 'secure-link', targetId: minted.id, details: { messageId: contentId, noticeMessageId: noticeId, revoked: revoked.length, expiresAt: minted.expiresAt.toISOString() } },
      ],
      now,
    );
    await tx.secureLinks.addLink({ messageId: contentId, noticeMessageId: noticeId, link: { id: minted.id, tokenHash: minted.tokenHash, expiresAt: minted.expiresAt }, createdBy: actor, at: now });
  });
  deps.wakeDispatcher();
  return { messageId: contentId, noticeMessageId: noticeId, linkId: minted.id, expiresAt: minted.expiresAt };
}
