import { createHash } from 'node:crypto';
import { auditActorOf, hasPermission } from '../core/access/actor.ts';
import { sendPermission } from '../core/access/permissions.ts';
import { decideConsent, type ConsentDecision, type Purpose } from '../core/consent/consent.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { DomainError } from '../core/errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import type { Category, Channel } from '../core/messaging/channel.ts';
import type { MessageStatus } from '../core/messaging/delivery-status.ts';
import { reveal, type Phi } from '../core/phi/phi.ts';
import { loadPatientConsentView, requirePermission } from './access.ts';
import type { AppDeps, RequestContext } from './context.ts';
import type { PatientConsentView } from './ports.ts';

export interface SendMessageCommand {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly category: Category;
  readonly purpose?: Purpose | undefined;
  readonly body?: Phi<string> | undefined;
  readonly template?: { readonly id: string; readonly params: Phi<Record<string, string>> } | undefined;
  readonly relatedRecord?: { readonly type: string; readonly id: string } | undefined;
  readonly override?: { readonly justification: Phi<string> } | undefined;
  readonly idempotencyKey?: string | undefined;
}

/** The purpose a category is sent under unless the sender says otherwise. */
const DEFAULT_PURPOSE: Record<Category, Purpose> = { clinical: 'care', administrative: 'care', billing: 'billing' };

const REFUSAL: Record<Exclude<ConsentDecision, { allowed: true }>['reason'], { code: 'CONSENT_REQUIRED' | 'CONSENT_REVOKED' | 'CONSENT_OVERRIDE_FORBIDDEN'; detail: string }> = {
  'never-granted': {
    code: 'CONSENT_REQUIRED',
    detail: 'The patient has not consented to messages on this channel for this purpose. Record consent first; a holder of consent.override may send an urgent message with a written justification.',
  },
  revoked: {
    code: 'CONSENT_REVOKED',
    detail: 'The patient opted out of this channel. No one can override a patient\'s opt-out; only the patient can opt back in (e.g. by replying START).',
  },
  'override-not-permitted': {
    code: 'CONSENT_OVERRIDE_FORBIDDEN',
    detail: 'Sending without recorded consent needs the consent.override permission.',
  },
};

interface Prepared {
  readonly patient: PatientConsentView;
  readonly purpose: Purpose;
  readonly decision: ConsentDecision;
}

async function prepare(deps: AppDeps, ctx: RequestContext, cmd: SendMessageCommand): Promise<Prepared> {
  await requirePermission(deps.store, ctx, sendPermission(cmd.category));
  const { patient, ledger } = await loadPatientConsentView(deps.store, ctx, cmd.patientId);
  if (cmd.template !== undefined) {
    throw new DomainError('TEMPLATE_NOT_FOUND', 'No approved template has this id.');
  }
  if (cmd.channel === 'whatsapp' && !patient.hasWhatsapp) {
    throw new DomainError('NO_CONTACT_POINT', 'The patient has no WhatsApp number on record.');
  }
  const purpose = cmd.purpose ?? DEFAULT_PURPOSE[cmd.category];
  const decision = decideConsent(ledger, {
    channel: cmd.channel,
    purpose,
    overrideRequested: cmd.override !== undefined,
    mayOverride: hasPermission(ctx.actor, 'consent.override'),
  });
  return { patient, purpose, decision };
}

/** The canonical request fingerprint an Idempotency-Key is bound to (PHI only ever hashed, never stored). */
function fingerprint(cmd: SendMessageCommand): string {
  const canonical = JSON.stringify([
    cmd.patientId,
    cmd.channel,
    cmd.category,
    cmd.purpose ?? null,
    cmd.body === undefined ? null : reveal(cmd.body),
    cmd.template === undefined ? null : [cmd.template.id, reveal(cmd.template.params)],
    cmd.relatedRecord ?? null,
    cmd.override === undefined ? null : reveal(cmd.override.justification),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

async function replay(
  deps: AppDeps,
  ctx: RequestContext,
  key: string,
  hash: string,
): Promise<{ id: MessageId; status: MessageStatus } | null> {
  const existing = await deps.store.messages.findByIdempotencyKey(ctx.actor.id, key);
  if (existing === null) return null;
  if (existing.requestHash !== hash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different message.');
  }
  return { id: existing.id, status: existing.status };
}

/**
 * Queues a message: authorise, check consent, then write message + outbox row + audit event in one
 * transaction. A refusal is audited too. The same Idempotency-Key returns the same message and never sends twice.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `message.send.<category>`
 * @param cmd - the message
 */
export async function sendMessage(
  deps: AppDeps,
  ctx: RequestContext,
  cmd: SendMessageCommand,
): Promise<{ id: MessageId; status: MessageStatus; replayed: boolean }> {
  const hash = cmd.idempotencyKey === undefined ? null : fingerprint(cmd);
  if (cmd.idempotencyKey !== undefined && hash !== null) {
    const previous = await replay(deps, ctx, cmd.idempotencyKey, hash);
    if (previous !== null) return { ...previous, replayed: true };
  }
  const { patient, purpose, decision } = await prepare(deps, ctx, cmd);
  const actor = auditActorOf(ctx.actor);
  if (!decision.allowed) {
    await deps.store.audit.append({
      actor,
      action: 'message.blocked',
      outcome: 'denied',
      targetType: 'patient',
      targetId: patient.id,
      patientId: patient.id,
      reason: REFUSAL[decision.reason].code,
      requestId: ctx.requestId,
      details: { channel: cmd.channel, category: cmd.category, purpose },
    });
    const refusal = REFUSAL[decision.reason];
    throw new DomainError(refusal.code, refusal.detail);
  }
  if (cmd.body === undefined) throw new DomainError('VALIDATION_FAILED', 'A message needs a body or a template.');
  const id = deps.ids.uuid() as MessageId;
  const details = { channel: cmd.channel, category: cmd.category, purpose, consentBasis: decision.basis };
  const target = { targetType: 'message', targetId: id, patientId: patient.id, requestId: ctx.requestId } as const;
  const audits: AuditEventInput[] = [{ actor, action: 'message.queued', outcome: 'success', reason: null, details, ...target }];
  if (decision.basis === 'override') {
    // Flagged to the security officer: high severity; the justification is kept encrypted on the message.
    audits.push({ actor, action: 'consent.overridden', outcome: 'success', reason: 'CONSENT_REQUIRED', details: { ...details, severity: 'high' }, ...target });
  }
  try {
    await deps.store.messages.queue(
      {
        id,
        patientId: patient.id,
        wardId: patient.wardId,
        channel: cmd.channel,
        category: cmd.category,
        purpose,
        body: cmd.body,
        templateId: null,
        relatedRecord: cmd.relatedRecord ?? null,
        consentBasis: decision.basis,
        overrideJustification: decision.basis === 'override' ? (cmd.override?.justification ?? null) : null,
        inReplyTo: null,
        sender: actor,
        idempotencyKey: cmd.idempotencyKey ?? null,
        requestHash: hash,
      },
      audits,
      deps.clock.now(),
    );
  } catch (error) {
    // Two requests with one Idempotency-Key raced: the loser answers with the winner's message.
    if (cmd.idempotencyKey !== undefined && hash !== null) {
      const previous = await replay(deps, ctx, cmd.idempotencyKey, hash);
      if (previous !== null) return { ...previous, replayed: true };
    }
    throw error;
  }
  deps.wakeDispatcher();
  return { id, status: 'queued', replayed: false };
}

/**
 * The dry run of `sendMessage`: the same checks, nothing written but the audit of the check itself.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param cmd - the would-be message
 */
export async function checkMessage(
  deps: AppDeps,
  ctx: RequestContext,
  cmd: SendMessageCommand,
): Promise<{ allowed: boolean; code: string | null; basis: string | null; purpose: Purpose }> {
  const { purpose, decision } = await prepare(deps, ctx, cmd);
  return decision.allowed
    ? { allowed: true, code: null, basis: decision.basis, purpose }
    : { allowed: false, code: REFUSAL[decision.reason].code, basis: null, purpose };
}
