import { createHash } from 'node:crypto';
import { auditActorOf } from '../core/access/actor.ts';
import { sendPermission } from '../core/access/permissions.ts';
import { decideConsent, type ConsentDecision, type Purpose } from '../core/consent/consent.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { DomainError, type ErrorCode } from '../core/errors.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import { WHATSAPP_WINDOW_MS, type Category, type Channel } from '../core/messaging/channel.ts';
import type { MessageStatus } from '../core/messaging/delivery-status.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { blocksSending } from '../core/messaging/carrier-errors.ts';
import { checkHealthcareExemption } from '../core/messaging/exemption.ts';
import { measureSegments } from '../core/messaging/segments.ts';
import { decidePhiHandling, type PhiDecision } from '../core/phi/phi-policy.ts';
import { scanText, type PhiFinding } from '../core/phi/scanner.ts';
import type { ContentClass } from '../core/templates/fields.ts';
import { FREE_TEXT_CLASSES } from '../core/templates/kinds.ts';
import { findingsToJudge, type FieldSpan } from '../core/templates/template-text.ts';
import { loadPatientSendState, requirePermission } from './access.ts';
import { assertAgentMaySend, mayOverrideConsent, takeAgentSendSlot } from './agent-policy.ts';
import { auditOrigin, senderFor, type AppDeps, type RequestContext } from './context.ts';
import type { MessageDelivery, MessageSize, MessageTemplate, NewMessage, PatientSendState } from './ports.ts';
import { phiPreferenceStates } from './phi-preferences.ts';
import { mintSecureLink, secureLinkCreatedAudit, type MintedLink } from './secure-links.ts';
import { renderSecureNotice, renderTemplate, resolveTemplate } from './templates.ts';

export interface SendMessageCommand {
  readonly patientId: PatientId;
  readonly channel: Channel;
  /** Required for free text; a template's kind decides it (a different one is refused). */
  readonly category?: Category | undefined;
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
  readonly code: 'CONTACT_POINT_SUSPENDED' | 'CONTACT_POINT_UNDELIVERABLE' | 'WHATSAPP_WINDOW_CLOSED' | 'EXEMPT_LIMIT_REACHED' | 'EXEMPT_BODY_TOO_LONG';
  readonly detail: string;
}

/** What goes to the carrier: the content itself, or a notice with a secure link to it. */
interface Outgoing {
  readonly body: Phi<string>;
  readonly template: MessageTemplate | null;
  readonly delivery: MessageDelivery;
  /** Secure delivery: the content behind the link, and the link. */
  readonly secure: { readonly content: Phi<string>; readonly link: MintedLink } | null;
}

interface Prepared {
  readonly state: PatientSendState;
  readonly category: Category;
  readonly purpose: Purpose;
  readonly decision: ConsentDecision;
  /** Held to the TCPA healthcare-exemption limits (an automated sender in an exempt category). */
  readonly exempt: boolean;
  readonly refusal: PolicyRefusal | null;
  readonly findings: readonly PhiFinding[];
  readonly phi: PhiDecision;
  /** The content would have gone securely, but media cannot go behind a link. */
  readonly mediaKeptItOut: boolean;
  /** Null when the PHI decision blocks the send. */
  readonly outgoing: Outgoing | null;
  readonly size: MessageSize | null;
}

const EXEMPT_WINDOW_MS = 7 * 24 * 60 * 60_000;

/**
 * The sending policy beyond consent, checked up front so the caller hears why at once (dispatch checks again):
 * a number the carrier reported dead or a landline, the WhatsApp window, the healthcare-exemption limits.
 */
async function policyRefusal(deps: AppDeps, state: PatientSendState, cmd: SendMessageCommand, outgoing: Outgoing | null, exempt: boolean): Promise<PolicyRefusal | null> {
  const now = deps.clock.now();
  const kind = cmd.channel === 'whatsapp' ? 'whatsapp' : 'phone';
  // Incident response suspended the number (a wrong or reassigned number, issue 7) until the patient re-verifies it.
  if (state.suspendedKinds.includes(kind)) {
    return { code: 'CONTACT_POINT_SUSPENDED', detail: 'Incident response suspended this number: it may reach someone other than the patient. Re-verify the number with the patient to lift the suspension.' };
  }
  const blocked = state.contactPoints.find((c) => c.kind === kind && blocksSending(c.state));
  if (blocked !== undefined) {
    return { code: 'CONTACT_POINT_UNDELIVERABLE', detail: `The carrier reported this number as ${blocked.state} (${blocked.reason}). Update or re-verify the number; a reply from the patient clears it.` };
  }
  if (cmd.channel === 'whatsapp' && (outgoing?.template?.metaName ?? null) === null) {
    const last = (await deps.store.inbound.lastReceived([state.patient.id], 'whatsapp')).get(state.patient.id);
    if (last === undefined || now.getTime() - last.getTime() >= WHATSAPP_WINDOW_MS) {
      return { code: 'WHATSAPP_WINDOW_CLOSED', detail: 'The patient has not written on WhatsApp in the last 24 hours: only a template with an approved WhatsApp (Meta) variant may be sent.' };
    }
  }
  if (exempt && outgoing !== null) {
    const earlier = ((await deps.store.messages.exemptSends([state.patient.id], new Date(now.getTime() - EXEMPT_WINDOW_MS))).get(state.patient.id) ?? []).map((s) => s.at);
    const verdict = checkHealthcareExemption({ body: reveal(outgoing.body), now, previousSends: earlier });
    if (!verdict.ok) {
      return verdict.rule === 'body-too-long'
        ? { code: 'EXEMPT_BODY_TOO_LONG', detail: `Healthcare-exempt automated messages must be at most ${String(verdict.limit)} characters.` }
        : { code: 'EXEMPT_LIMIT_REACHED', detail: `Healthcare-exempt automated messages are limited to ${String(verdict.limit)} per ${verdict.rule === 'daily-limit' ? 'day' : 'week'} per patient.` };
    }
  }
  return null;
}

/** The content a send would carry, the classes its kind allows, and where template fields landed. */
interface Content {
  readonly text: string;
  readonly category: Category;
  readonly allowed: readonly ContentClass[];
  readonly template: (MessageTemplate & { readonly spans: readonly FieldSpan[] }) | null;
}

async function contentOf(deps: AppDeps, cmd: SendMessageCommand, state: PatientSendState): Promise<Content> {
  if (cmd.template === undefined) {
    if (cmd.body === undefined || cmd.category === undefined) throw new DomainError('VALIDATION_FAILED', 'A message needs a body and a category, or a template.');
    return { text: reveal(cmd.body), category: cmd.category, allowed: FREE_TEXT_CLASSES, template: null };
  }
  const resolved = await resolveTemplate(deps.store, cmd.template.id, cmd.channel, state.patient.language);
  if (cmd.category !== undefined && cmd.category !== resolved.kind.category) {
    throw new DomainError('TEMPLATE_CATEGORY_MISMATCH', `This template's kind (${resolved.kind.name}) is ${resolved.kind.category}; omit category or send ${resolved.kind.category}.`);
  }
  const { text, ...template } = renderTemplate(deps, resolved, state.patient, reveal(cmd.template.params), {});
  return { text, category: resolved.kind.category, allowed: resolved.kind.allowedClasses, template };
}

/** The secure delivery: the approved notice with a fresh link to the content. */
async function secureDelivery(deps: AppDeps, cmd: SendMessageCommand, state: PatientSendState, content: string): Promise<Outgoing> {
  const link = mintSecureLink(deps, deps.clock.now());
  const notice = await renderSecureNotice(deps, deps.store, state.patient, cmd.channel, link.url);
  return { ...notice, delivery: 'secure', secure: { content: phi(content), link } };
}

async function prepare(deps: AppDeps, ctx: RequestContext, cmd: SendMessageCommand): Promise<Prepared> {
  await assertAgentMaySend(deps, ctx, { patientId: cmd.patientId, channel: cmd.channel, hasFreeText: cmd.template === undefined, overrideRequested: cmd.override !== undefined });
  const named = { type: 'patient', id: cmd.patientId } as const;
  if (cmd.category !== undefined) await requirePermission(deps.store, ctx, sendPermission(cmd.category), named);
  const state = await loadPatientSendState(deps.store, ctx, cmd.patientId);
  const content = await contentOf(deps, cmd, state);
  if (cmd.category === undefined) await requirePermission(deps.store, ctx, sendPermission(content.category), named);
  if (cmd.channel === 'whatsapp' && !state.patient.hasWhatsapp) {
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
  const category = content.category;
  const purpose = cmd.purpose ?? DEFAULT_PURPOSE[category];
  const decision = decideConsent(state.ledger, {
    channel: cmd.channel,
    purpose,
    overrideRequested: cmd.override !== undefined,
    mayOverride: mayOverrideConsent(ctx.actor),
  });
  // Minimum necessary: scan what would be sent, with the recipient's own identifiers as identifiers by definition.
  const identity = reveal(state.patient.identity);
  const scanned = scanText(content.text, { names: [identity.givenName, identity.familyName], birthDate: identity.birthDate, identifiers: Object.values(identity.externalIds) });
  const findings = content.template === null ? scanned : findingsToJudge(scanned, content.template.spans);
  const decided = decidePhiHandling({ findings, allowed: content.allowed, policy: deps.settings.sendingPolicy.phi, riskAccepted: phiPreferenceStates(state).some((p) => p.channel === cmd.channel && p.accepted) });
  // Media would travel with the notice, outside the link: content that must go securely cannot carry any.
  const hasMedia = cmd.mediaUrls !== undefined && reveal(cmd.mediaUrls).length > 0;
  const mediaKeptItOut = decided.delivery === 'secure' && hasMedia;
  const phiDecision: PhiDecision = mediaKeptItOut ? { delivery: 'blocked', excess: decided.excess } : decided;
  const template = content.template === null ? null : (({ spans: _spans, ...rest }) => rest)(content.template);
  const outgoing: Outgoing | null =
    phiDecision.delivery === 'blocked'
      ? null
      : phiDecision.delivery === 'secure'
        ? await secureDelivery(deps, cmd, state, content.text)
        : { body: phi(content.text), template, delivery: 'direct', secure: null };
  const exempt = ctx.actor.kind !== 'user' && deps.settings.sendingPolicy.exemptCategories.includes(category);
  const refusal = decision.allowed ? await policyRefusal(deps, state, cmd, outgoing, exempt) : null;
  const size = outgoing === null ? null : measureSegments(reveal(outgoing.body));
  return { state, category, purpose, decision, exempt, refusal, findings, phi: phiDecision, mediaKeptItOut, outgoing, size };
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
): Promise<{ id: MessageId; status: MessageStatus; delivery: MessageDelivery } | null> {
  const existing = await deps.store.messages.findByIdempotencyKey(ctx.actor.id, key);
  if (existing === null) return null;
  if (existing.requestHash !== hash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different message.');
  }
  return { id: existing.id, status: existing.status, delivery: existing.delivery };
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
): Promise<{ id: MessageId; status: MessageStatus; delivery: MessageDelivery; replayed: boolean }> {
  const hash = cmd.idempotencyKey === undefined ? null : fingerprint(cmd);
  if (cmd.idempotencyKey !== undefined && hash !== null) {
    const previous = await replay(deps, ctx, cmd.idempotencyKey, hash);
    if (previous !== null) return { ...previous, replayed: true };
  }
  await takeAgentSendSlot(deps, ctx);
  const prepared = await prepare(deps, ctx, cmd);
  const { state, category, purpose, decision, exempt, refusal: policy, outgoing, size } = prepared;
  const patient = state.patient;
  const actor = auditActorOf(ctx.actor);
  const findingTypes = [...new Set(prepared.phi.excess.map((f) => f.type))].join(',');
  // Every refusal is audited before the caller hears it.
  const refuse = async (refusal: { code: ErrorCode; detail: string; extensions?: Record<string, unknown> }): Promise<never> => {
    await deps.store.audit.append({
      actor,
      action: 'message.blocked',
      outcome: 'denied',
      targetType: 'patient',
      targetId: patient.id,
      patientId: patient.id,
      reason: refusal.code,
      ...auditOrigin(ctx),
      details: { channel: cmd.channel, category, purpose, ...(refusal.code === 'PHI_NOT_ALLOWED' ? { findingTypes } : {}) },
    });
    throw new DomainError(refusal.code, refusal.detail, { extensions: refusal.extensions ?? {} });
  };
  if (!decision.allowed) return refuse(REFUSAL[decision.reason]);
  if (policy !== null) return refuse(policy);
  if (outgoing === null || size === null) {
    return refuse({
      code: 'PHI_NOT_ALLOWED',
      detail: prepared.mediaKeptItOut
        ? `The message carries content it may not carry (${findingTypes}); it would go behind a secure link, but media cannot. Send the media separately or remove it.`
        : `The message carries content it may not carry (${findingTypes}) and the organisation's policy blocks it. Remove it, use a template, or record the patient's acceptance of unencrypted PHI on this channel.`,
      extensions: { findings: prepared.phi.excess.map(publicFinding) },
    });
  }
  const id = deps.ids.uuid() as MessageId;
  const details = {
    channel: cmd.channel,
    category,
    purpose,
    consentBasis: decision.basis,
    delivery: outgoing.delivery,
    templateVersionId: outgoing.delivery === 'direct' ? (outgoing.template?.versionId ?? null) : null,
    ...(prepared.phi.excess.length > 0 ? { findingTypes, phiBasis: prepared.phi.delivery === 'direct' ? prepared.phi.basis : 'secure-link' } : {}),
  };
  const target = { targetType: 'message', targetId: id, patientId: patient.id, ...auditOrigin(ctx) } as const;
  const audits: AuditEventInput[] = [{ actor, action: 'message.queued', outcome: 'success', reason: null, details, ...target }];
  if (decision.basis === 'override') {
    // Flagged to the security officer: high severity; the justification is kept encrypted on the message.
    audits.push({ actor, action: 'consent.overridden', outcome: 'success', reason: 'CONSENT_REQUIRED', details: { ...details, severity: 'high' }, ...target });
  }
  if (outgoing.secure !== null) audits.push(secureLinkCreatedAudit(outgoing.secure.link, { id, patientId: patient.id, actor, ...auditOrigin(ctx) }));
  const now = deps.clock.now();
  const message: NewMessage = {
    id,
    patientId: patient.id,
    wardId: patient.wardId,
    channel: cmd.channel,
    category,
    purpose,
    body: outgoing.body,
    template: outgoing.template,
    delivery: outgoing.delivery,
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
    secure: outgoing.secure === null ? null : { content: outgoing.secure.content, link: { id: outgoing.secure.link.id, tokenHash: outgoing.secure.link.tokenHash, expiresAt: outgoing.secure.link.expiresAt } },
  };
  try {
    // One statement: the message (or notice), its outbox row, the secure content and its link, and the audit events.
    await deps.store.messages.queue(message, audits, now);
  } catch (error) {
    // Two requests with one Idempotency-Key raced: the loser answers with the winner's message.
    if (cmd.idempotencyKey !== undefined && hash !== null) {
      const previous = await replay(deps, ctx, cmd.idempotencyKey, hash);
      if (previous !== null) return { ...previous, replayed: true };
    }
    throw error;
  }
  deps.wakeDispatcher();
  return { id, status: 'queued', delivery: outgoing.delivery, replayed: false };
}

/** A finding as callers may see it: class, type and offsets, never the text. */
function publicFinding(f: PhiFinding): { class: string; type: string; start: number; end: number } {
  return { class: f.class, type: f.type, start: f.start, end: f.end };
}

/** The dry run's answer: the policy decision and the PHI findings, nothing sent. */
export interface CheckResult {
  readonly allowed: boolean;
  readonly code: ErrorCode | null;
  readonly basis: string | null;
  readonly category: Category;
  readonly purpose: Purpose;
  /** How it would go: as is, as a notice with a secure link, or not at all (PHI_NOT_ALLOWED). */
  readonly delivery: MessageDelivery | 'blocked';
  readonly size: MessageSize | null;
  readonly exempt: boolean;
  /** Findings in the content (for a template, in the rendered text), as types and offsets. */
  readonly findings: ReturnType<typeof publicFinding>[];
  /** The findings the message's kind does not allow (what made it secure or blocked). */
  readonly excess: ReturnType<typeof publicFinding>[];
  readonly template: { readonly versionId: string; readonly language: string } | null;
}

/**
 * The dry run of `sendMessage`: the same checks, nothing written but the audit of a refusal-free check.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param cmd - the would-be message
 */
export async function checkMessage(deps: AppDeps, ctx: RequestContext, cmd: SendMessageCommand): Promise<CheckResult> {
  const p = await prepare(deps, ctx, cmd);
  const common = {
    category: p.category,
    purpose: p.purpose,
    delivery: p.phi.delivery,
    size: p.size,
    exempt: p.exempt,
    findings: p.findings.map(publicFinding),
    excess: p.phi.excess.map(publicFinding),
    template: p.outgoing?.template === null || p.outgoing?.template === undefined ? null : { versionId: p.outgoing.template.versionId, language: p.outgoing.template.language },
  };
  if (!p.decision.allowed) return { allowed: false, code: REFUSAL[p.decision.reason].code, basis: null, ...common };
  if (p.refusal !== null) return { allowed: false, code: p.refusal.code, basis: null, ...common };
  if (p.outgoing === null) return { allowed: false, code: 'PHI_NOT_ALLOWED', basis: null, ...common };
  return { allowed: true, code: null, basis: p.decision.basis, ...common };
}
