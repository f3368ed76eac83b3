import { createHash } from 'node:crypto';
import { auditActorOf, hasPermission } from '../core/access/actor.ts';
import { sendPermission } from '../core/access/permissions.ts';
import { decideConsent, type ConsentDecision, type Purpose } from '../core/consent/consent.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { DomainError, type ErrorCode } from '../core/errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { WHATSAPP_WINDOW_MS, type Category, type Channel } from '../core/messaging/channel.ts';
import type { MessageStatus } from '../core/messaging/delivery-status.ts';
import { reveal, type Phi } from '../core/phi/phi.ts';
import { blocksSending } from '../core/messaging/carrier-errors.ts';
import { checkHealthcareExemption } from '../core/messaging/exemption.ts';
import { measureSegments } from '../core/messaging/segments.ts';
import { scanText, type PhiFinding } from '../core/phi/scanner.ts';
import { loadAccessiblePatient, loadPatientConsentView, requirePermission } from './access.ts';
import { senderFor, type AppDeps, type RequestContext } from './context.ts';
import type { MessageSize, PatientConsentView } from './ports.ts';

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
  /** `text` only: MMS media (https URLs). */
  readonly mediaUrls?: Phi<readonly string[]> | undefined;
  /** Urgent: may go during quiet hours where the policy lets this category bypass them. */
  readonly urgent?: boolean | undefined;
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

/** A send refused by the sending policy (after consent allowed it), with the reviewed reason. */
interface PolicyRefusal {
  readonly code: 'CONTACT_POINT_UNDELIVERABLE' | 'WHATSAPP_WINDOW_CLOSED' | 'EXEMPT_LIMIT_REACHED' | 'EXEMPT_BODY_TOO_LONG';
  readonly detail: string;
}

interface Prepared {
  readonly patient: PatientConsentView;
  readonly purpose: Purpose;
  readonly decision: ConsentDecision;
  /** Held to the TCPA healthcare-exemption limits (an automated sender in an exempt category). */
  readonly exempt: boolean;
  readonly refusal: PolicyRefusal | null;
  readonly size: MessageSize | null;
}

const EXEMPT_WINDOW_MS = 7 * 24 * 60 * 60_000;

/**
 * The sending policy beyond consent, checked up front so the caller hears why at once (dispatch checks again):
 * a number the carrier reported dead or a landline, the WhatsApp window, the healthcare-exemption limits.
 */
async function policyRefusal(deps: AppDeps, patient: PatientConsentView, cmd: SendMessageCommand, exempt: boolean): Promise<PolicyRefusal | null> {
  const now = deps.clock.now();
  const kind = cmd.channel === 'whatsapp' ? 'whatsapp' : 'phone';
  const states = (await deps.store.contactPoints.get([patient.id])).get(patient.id) ?? [];
  const blocked = states.find((c) => c.kind === kind && blocksSending(c.state));
  if (blocked !== undefined) {
    return { code: 'CONTACT_POINT_UNDELIVERABLE', detail: `The carrier reported this number as ${blocked.state} (${blocked.reason}). Update or re-verify the number; a reply from the patient clears it.` };
  }
  if (cmd.channel === 'whatsapp') {
    const last = (await deps.store.inbound.lastReceived([patient.id], 'whatsapp')).get(patient.id);
    if (last === undefined || now.getTime() - last.getTime() >= WHATSAPP_WINDOW_MS) {
      return { code: 'WHATSAPP_WINDOW_CLOSED', detail: 'The patient has not written on WhatsApp in the last 24 hours: only an approved WhatsApp template may be sent.' };
    }
  }
  if (exempt && cmd.body !== undefined) {
    const earlier = ((await deps.store.messages.exemptSends([patient.id], new Date(now.getTime() - EXEMPT_WINDOW_MS))).get(patient.id) ?? []).map((s) => s.at);
    const verdict = checkHealthcareExemption({ body: reveal(cmd.body), now, previousSends: earlier });
    if (!verdict.ok) {
      return verdict.rule === 'body-too-long'
        ? { code: 'EXEMPT_BODY_TOO_LONG', detail: `Healthcare-exempt automated messages must be at most ${String(verdict.limit)} characters.` }
        : { code: 'EXEMPT_LIMIT_REACHED', detail: `Healthcare-exempt automated messages are limited to ${String(verdict.limit)} per ${verdict.rule === 'daily-limit' ? 'day' : 'week'} per patient.` };
    }
  }
  return null;
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
  if (cmd.mediaUrls !== undefined && reveal(cmd.mediaUrls).length > 0 && cmd.channel !== 'text') {
    throw new DomainError('VALIDATION_FAILED', 'Media can only be sent on the text channel (MMS).', {
      issues: [{ pointer: '/body/mediaUrls', message: 'only allowed when channel is text' }],
    });
  }
  if (senderFor(deps, cmd.channel) === null) {
    throw new DomainError('CHANNEL_NOT_CONFIGURED', `No carrier is configured to send ${cmd.channel} messages.`);
  }
  const purpose = cmd.purpose ?? DEFAULT_PURPOSE[cmd.category];
  const decision = decideConsent(ledger, {
    channel: cmd.channel,
    purpose,
    overrideRequested: cmd.override !== undefined,
    mayOverride: hasPermission(ctx.actor, 'consent.override'),
  });
  const exempt = ctx.actor.kind !== 'user' && deps.settings.sendingPolicy.exemptCategories.includes(cmd.category);
  const refusal = decision.allowed ? await policyRefusal(deps, patient, cmd, exempt) : null;
  const size = cmd.body === undefined ? null : measureSegments(reveal(cmd.body));
  return { patient, purpose, decision, exempt, refusal, size };
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
    cmd.mediaUrls === undefined ? null : reveal(cmd.mediaUrls),
    cmd.urgent ?? false,
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
  const { patient, purpose, decision, exempt, refusal: policy, size } = await prepare(deps, ctx, cmd);
  const actor = auditActorOf(ctx.actor);
  // Every refusal is audited before the caller hears it.
  const refuse = async (refusal: { code: ErrorCode; detail: string }): Promise<never> => {
    await deps.store.audit.append({
      actor,
      action: 'message.blocked',
      outcome: 'denied',
      targetType: 'patient',
      targetId: patient.id,
      patientId: patient.id,
      reason: refusal.code,
      requestId: ctx.requestId,
      details: { channel: cmd.channel, category: cmd.category, purpose },
    });
    throw new DomainError(refusal.code, refusal.detail);
  };
  if (!decision.allowed) return refuse(REFUSAL[decision.reason]);
  if (policy !== null) return refuse(policy);
  if (cmd.body === undefined || size === null) throw new DomainError('VALIDATION_FAILED', 'A message needs a body or a template.');
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
        template: null,
        delivery: 'direct',
        relatedRecord: cmd.relatedRecord ?? null,
        consentBasis: decision.basis,
        overrideJustification: decision.basis === 'override' ? (cmd.override?.justification ?? null) : null,
        inReplyTo: null,
        sender: actor,
        idempotencyKey: cmd.idempotencyKey ?? null,
        requestHash: hash,
        mediaUrls: cmd.mediaUrls ?? null,
        urgent: cmd.urgent ?? false,
        exempt,
        size,
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
): Promise<{ allowed: boolean; code: string | null; basis: string | null; purpose: Purpose; size: MessageSize | null; exempt: boolean; findings: PhiFinding[] }> {
  const { purpose, decision, refusal, size, exempt } = await prepare(deps, ctx, cmd);
  const findings = cmd.body === undefined ? [] : await scanForRecipient(deps, ctx, cmd.patientId, cmd.body);
  if (!decision.allowed) return { allowed: false, code: REFUSAL[decision.reason].code, basis: null, purpose, size, exempt, findings };
  if (refusal !== null) return { allowed: false, code: refusal.code, basis: null, purpose, size, exempt, findings };
  return { allowed: true, code: null, basis: decision.basis, purpose, size, exempt, findings };
}

/**
 * Runs the PHI scanner over a would-be body, with the recipient's own name, birth date and record numbers as
 * identifiers. Findings are types and offsets only.
 */
async function scanForRecipient(deps: AppDeps, ctx: RequestContext, patientId: PatientId, body: Phi<string>): Promise<PhiFinding[]> {
  const patient = await loadAccessiblePatient(deps.store, ctx, patientId);
  return scanText(reveal(body), {
    names: [reveal(patient.givenName), reveal(patient.familyName)],
    birthDate: reveal(patient.birthDate),
    identifiers: patient.externalIds === null ? [] : Object.values(reveal(patient.externalIds)),
  });
}
