import type { AuditActor } from '../core/access/actor.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { MessageId } from '../core/ids.ts';
import { canTransition } from '../core/messaging/delivery-status.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import {
  answerSecureLink,
  equalDigests,
  SECURE_LINK_CODE_RECORD,
  SECURE_LINK_POLICY,
  secureLinkStatus,
  type AnswerOutcome,
  type SecureLinkState,
} from '../core/secure-link/secure-link.ts';
import { THROTTLE_RULES, throttleVerdict } from '../core/secure-link/throttle.ts';
import { birthDatesMatch, isWellFormedToken, parseBirthDateAnswer, parseCodeAnswer } from '../core/secure-link/verification.ts';
import type { AppDeps } from './context.ts';
import type { SecureLinkChanges, SecureLinkRecord, StoreSession, ThrottleSubject } from './ports.ts';
import { drawCode, hashSecret, linkLanguage, newSessionSecret, verificationCodeText, type LinkLanguage } from './secure-links.ts';
import { toStatusChangeBatch } from './status-changes.ts';
import { composedMessage } from './composed-message.ts';

/**
 * The patient's side of a secure link (issue 4 item 5; docs/secure-links.md): open it, prove who you are with the
 * date of birth and a one-time code sent to the same contact point, read the content. Expected refusals are values
 * (STYLE.md §5); the HTTP adapter renders them as a page or as problem+json.
 */

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };

/** One request from the patient's browser. */
export interface PatientRequest {
  /** The path segment after `/s/`. */
  readonly token: string;
  /** The client address: throttled by (as a keyed digest) and audited, never logged. */
  readonly sourceIp: string;
  readonly requestId: string;
  /** The view-session cookie, when the browser sent one. */
  readonly session: string | null;
}

/** What to show: a form, or the content. `verified`: a view session was opened; open the link again to read. */
export type SecureLinkPage =
  | { readonly step: 'date-of-birth' }
  | { readonly step: 'code'; readonly codeExpiresAt: Date }
  | { readonly step: 'verified' }
  | { readonly step: 'content'; readonly content: Phi<string> };

export type PatientOutcome =
  | { readonly ok: true; readonly language: LinkLanguage; readonly page: SecureLinkPage; readonly session?: { readonly secret: string; readonly expiresAt: Date } }
  /** `page`: the form to show again with the error, or null when the link is of no further use. */
  | { readonly ok: false; readonly language: LinkLanguage | null; readonly code: ErrorCode; readonly retryAfterMs: number | null; readonly page: SecureLinkPage | null };

const REFUSAL: Record<Exclude<ReturnType<typeof secureLinkStatus>, 'active'>, ErrorCode> = {
  expired: 'SECURE_LINK_EXPIRED',
  revoked: 'SECURE_LINK_REVOKED',
  locked: 'SECURE_LINK_LOCKED',
};

function refusal(language: LinkLanguage | null, code: ErrorCode, page: SecureLinkPage | null = null, retryAfterMs: number | null = null): PatientOutcome {
  return { ok: false, language, code, retryAfterMs, page };
}

function linkAudit(req: PatientRequest, link: SecureLinkRecord | null, e: Pick<AuditEventInput, 'actor' | 'action' | 'outcome' | 'reason'> & { details?: Record<string, string | number | boolean | null> }): AuditEventInput {
  return {
    ...e,
    targetType: 'secure-link',
    targetId: link?.id ?? null,
    patientId: link?.patientId ?? null,
    requestId: req.requestId,
    sourceAddress: req.sourceIp,
    details: { ...(link === null ? {} : { messageId: link.messageId }), ...e.details, sourceIp: req.sourceIp },
  };
}

/** Counts a failure against the client address; audits the moment the throttle engages. */
async function countAddressFailure(session: StoreSession, req: PatientRequest, now: Date): Promise<void> {
  const rule = THROTTLE_RULES.address;
  const window = await session.throttles.hit({ kind: 'address', address: phi(req.sourceIp) }, now, rule.windowMs);
  if (window.count === rule.limit) {
    await session.audit.append(linkAudit(req, null, { actor: SYSTEM, action: 'secure-link.throttled', outcome: 'denied', reason: 'RATE_LIMITED', details: { subject: 'address', severity: 'medium' } }));
  }
}

/**
 * The checks every request passes first, none of which changes the link: the address throttle, the token, the
 * link's status. Unknown and dead tokens count against the address.
 */
async function admit(session: StoreSession, req: PatientRequest, now: Date, forUpdate: boolean): Promise<{ link: SecureLinkRecord } | { refused: PatientOutcome }> {
  const verdict = throttleVerdict(await session.throttles.get({ kind: 'address', address: phi(req.sourceIp) }), THROTTLE_RULES.address, now);
  if (!verdict.allowed) return { refused: refusal(null, 'RATE_LIMITED', null, verdict.retryAfterMs) };
  const link = isWellFormedToken(req.token) ? await session.secureLinks.findByTokenHash(hashSecret(req.token), { forUpdate }) : null;
  const status = link === null ? null : secureLinkStatus(link, now);
  if (link !== null && status === 'active') return { link };
  const code = status === null || status === 'active' ? 'SECURE_LINK_NOT_FOUND' : REFUSAL[status];
  await session.audit.append(linkAudit(req, link, { actor: SYSTEM, action: 'secure-link.rejected', outcome: 'denied', reason: code }));
  await countAddressFailure(session, req, now);
  return { refused: refusal(link === null ? null : linkLanguage(link.language), code) };
}

/** The per-link throttle on answers: counts this one, refuses it when the window is full. */
async function admitAnswer(session: StoreSession, req: PatientRequest, link: SecureLinkRecord, now: Date): Promise<number | null> {
  const subject: ThrottleSubject = { kind: 'link', linkId: link.id };
  const rule = THROTTLE_RULES.link;
  const verdict = throttleVerdict(await session.throttles.get(subject), rule, now);
  if (!verdict.allowed) return verdict.retryAfterMs;
  const window = await session.throttles.hit(subject, now, rule.windowMs);
  if (window.count === rule.limit) {
    await session.audit.append(linkAudit(req, link, { actor: SYSTEM, action: 'secure-link.throttled', outcome: 'denied', reason: 'RATE_LIMITED', details: { subject: 'link', severity: 'medium' } }));
  }
  return null;
}

/**
 * Everything an answer passes before it is judged: the address throttle, the token and its status (the link row
 * locked), then the per-link answer throttle.
 */
async function admitAnswerToLink(session: StoreSession, req: PatientRequest, now: Date): Promise<{ link: SecureLinkRecord; language: LinkLanguage } | { refused: PatientOutcome }> {
  const admitted = await admit(session, req, now, true);
  if ('refused' in admitted) return admitted;
  const { link } = admitted;
  const language = linkLanguage(link.language);
  const wait = await admitAnswer(session, req, link, now);
  if (wait !== null) return { refused: refusal(language, 'RATE_LIMITED', pendingPage(link, now), wait) };
  return { link, language };
}

function changesOf(before: SecureLinkState, after: SecureLinkState): SecureLinkChanges {
  return {
    ...(after.failedAttempts === before.failedAttempts ? {} : { failedAttempts: after.failedAttempts }),
    ...(after.lockedAt === before.lockedAt ? {} : { lockedAt: after.lockedAt }),
    ...(after.code === before.code ? {} : { code: after.code }),
    ...(after.codesSent === before.codesSent ? {} : { codesSent: after.codesSent }),
    ...(after.lastCodeSentAt === before.lastCodeSentAt ? {} : { lastCodeSentAt: after.lastCodeSentAt }),
  };
}

function pendingPage(link: SecureLinkState, now: Date): SecureLinkPage {
  return link.code !== null && now.getTime() < link.code.expiresAt.getTime() ? { step: 'code', codeExpiresAt: link.code.expiresAt } : { step: 'date-of-birth' };
}

/** Audits a wrong answer (and the lock it may cause) and counts it against the address. */
async function recordWrong(session: StoreSession, req: PatientRequest, link: SecureLinkRecord, step: 'date-of-birth' | 'code', outcome: Extract<AnswerOutcome, { kind: 'wrong' }>, now: Date): Promise<PatientOutcome> {
  const patient: AuditActor = { type: 'patient', id: link.patientId };
  await session.audit.append(linkAudit(req, link, { actor: patient, action: 'secure-link.verification-failed', outcome: 'denied', reason: 'VERIFICATION_FAILED', details: { step, failedAttempts: outcome.failedAttempts } }));
  if (outcome.locked) {
    await session.audit.append(linkAudit(req, link, { actor: SYSTEM, action: 'secure-link.locked', outcome: 'success', reason: 'too-many-failed-attempts', details: { failedAttempts: outcome.failedAttempts, severity: 'high' } }));
  }
  await countAddressFailure(session, req, now);
  const language = linkLanguage(link.language);
  return outcome.locked ? refusal(language, 'SECURE_LINK_LOCKED') : refusal(language, 'VERIFICATION_FAILED', step === 'code' ? { step: 'code', codeExpiresAt: link.code?.expiresAt ?? now } : { step: 'date-of-birth' });
}

/**
 * Shows the content: records the view on the link, the `read` status of the content's message and of the notice
 * that carried the link (monotonic: only where `read` is still a step forward), and the audit event.
 */
async function showContent(deps: AppDeps, session: StoreSession, req: PatientRequest, link: SecureLinkRecord, now: Date): Promise<PatientOutcome> {
  const content = await session.secureLinks.content(link.messageId);
  if (content === null) return refusal(linkLanguage(link.language), 'SECURE_LINK_NOT_FOUND');
  await session.secureLinks.recordView(link.id, now);
  const patient: AuditActor = { type: 'patient', id: link.patientId };
  const ids: MessageId[] = [...new Set([link.messageId, link.noticeMessageId])];
  const changes = (await session.messages.getManyForUpdate(ids))
    .filter((m) => canTransition(m.status, 'read'))
    .map((m) => ({ messageId: m.id, patientId: m.patientId, status: 'read' as const, reason: 'secure-link-viewed', source: 'wardline' as const, at: now, actor: patient, requestId: req.requestId }));
  const batch = toStatusChangeBatch(changes);
  const viewed = linkAudit(req, link, { actor: patient, action: 'secure-message.viewed', outcome: 'success', reason: null });
  await session.messages.recordStatusChanges({ ...batch, audits: [...batch.audits, { ...viewed, targetType: 'message', targetId: link.messageId, details: { ...viewed.details, linkId: link.id } }] });
  deps.logger.info({ requestId: req.requestId, linkId: link.id, messageId: link.messageId }, 'secure message viewed');
  return { ok: true, language: linkLanguage(link.language), page: { step: 'content', content } };
}

function hasValidSession(link: SecureLinkRecord, secret: string | null, now: Date): boolean {
  if (secret === null || link.session === null || now.getTime() >= link.session.expiresAt.getTime()) return false;
  return equalDigests(hashSecret(secret), link.session.digest);
}

/**
 * Opening the link (GET): the content when the browser holds a live view session, otherwise the next form. Opening
 * consumes nothing, so link-preview fetches are harmless; each opening is audited.
 * @param deps - app dependencies
 * @param req - the request
 */
export async function openSecureLink(deps: AppDeps, req: PatientRequest): Promise<PatientOutcome> {
  const now = deps.clock.now();
  const admitted = await admit(deps.store, req, now, false);
  if ('refused' in admitted) return admitted.refused;
  const { link } = admitted;
  if (hasValidSession(link, req.session, now)) {
    return deps.store.transaction(async (tx) => {
      const locked = await admit(tx, req, now, true);
      if ('refused' in locked) return locked.refused;
      return showContent(deps, tx, req, locked.link, now);
    });
  }
  await deps.store.audit.append(linkAudit(req, link, { actor: { type: 'patient', id: link.patientId }, action: 'secure-link.opened', outcome: 'success', reason: null }));
  return { ok: true, language: linkLanguage(link.language), page: pendingPage(link, now) };
}

/**
 * The date of birth. Right: a one-time code goes to the same contact point (an ordinary message through the outbox,
 * so an opt-out still wins at dispatch). Wrong: counted; the fifth wrong answer locks the link. Malformed: a 400
 * that counts nothing on the link.
 * @param deps - app dependencies
 * @param req - the request
 * @param input - the date as typed
 */
export async function answerBirthDate(deps: AppDeps, req: PatientRequest, input: Phi<string>): Promise<PatientOutcome> {
  const now = deps.clock.now();
  const code = drawCode();
  const result = await deps.store.transaction(async (tx): Promise<PatientOutcome> => {
    const admitted = await admitAnswerToLink(tx, req, now);
    if ('refused' in admitted) return admitted.refused;
    const { link, language } = admitted;
    const answer = parseBirthDateAnswer(reveal(input));
    if (answer === null) return refusal(language, 'VALIDATION_FAILED', { step: 'date-of-birth' });
    const patient = await tx.patients.get(link.patientId);
    const matches = patient !== null && birthDatesMatch(answer, reveal(patient.birthDate));
    const { link: next, outcome } = answerSecureLink(link, { kind: 'birth-date', matches, newCodeDigest: tx.secureLinks.digestCode(link.id, phi(code)) }, now);
    await tx.secureLinks.update(link.id, changesOf(link, next));
    switch (outcome.kind) {
      case 'wrong':
        return recordWrong(tx, req, link, 'date-of-birth', outcome, now);
      case 'code-limit':
        return refusal(language, 'RATE_LIMITED', pendingPage(link, now), outcome.retryAfterMs);
      case 'code-issued':
        await queueCode(deps, tx, req, link, language, code, now);
        return { ok: true, language, page: { step: 'code', codeExpiresAt: outcome.expiresAt } };
      case 'refused':
        return refusal(language, REFUSAL[outcome.status]);
      case 'no-code':
      case 'code-expired':
      case 'verified':
        throw new Error(`a date of birth cannot lead to ${outcome.kind}`);
    }
  });
  if (result.ok) deps.wakeDispatcher();
  return result;
}

/** Queues the code to the notice's channel and number, as an administrative message of the notice's purpose. */
async function queueCode(deps: AppDeps, tx: StoreSession, req: PatientRequest, link: SecureLinkRecord, language: LinkLanguage, code: string, now: Date): Promise<void> {
  const notice = await tx.messages.get(link.noticeMessageId);
  if (notice === null) throw new Error('secure link without its notice message');
  const id = deps.ids.uuid() as MessageId;
  const body = verificationCodeText(language, deps.settings.organisation.name, code);
  const target = { targetType: 'message', targetId: id, patientId: link.patientId, requestId: req.requestId } as const;
  // Dispatch re-checks consent: an opt-out that arrives meanwhile wins. A notice sent on an override may carry its
  // code the same way (never over an opt-out).
  const consentBasis = notice.consentBasis === 'override' ? 'override' : 'consent';
  await tx.messages.queue(
    composedMessage({
      id,
      patientId: link.patientId,
      wardId: notice.wardId,
      channel: notice.channel,
      category: 'administrative',
      purpose: notice.purpose,
      body: phi(body),
      relatedRecord: { type: SECURE_LINK_CODE_RECORD, id: link.id },
      consentBasis,
      sender: SYSTEM,
    }),
    [
      { actor: SYSTEM, action: 'message.queued', outcome: 'success', reason: null, details: { channel: notice.channel, category: 'administrative', purpose: notice.purpose, consentBasis }, ...target },
      linkAudit(req, link, { actor: SYSTEM, action: 'secure-link.code-sent', outcome: 'success', reason: null, details: { codeMessageId: id } }),
    ],
    now,
  );
}

/**
 * The one-time code. Right: a view session opens (its secret goes to the browser as a cookie; only its hash is
 * stored) and, when `show`, the content is shown and the view recorded. Wrong: counted like a wrong date of birth.
 * @param deps - app dependencies
 * @param req - the request
 * @param input - the code as typed
 * @param show - show the content in this response (JSON clients); browsers are redirected to the link instead
 */
export async function answerCode(deps: AppDeps, req: PatientRequest, input: Phi<string>, show: boolean): Promise<PatientOutcome> {
  const now = deps.clock.now();
  const secret = newSessionSecret();
  return deps.store.transaction(async (tx): Promise<PatientOutcome> => {
    const admitted = await admitAnswerToLink(tx, req, now);
    if ('refused' in admitted) return admitted.refused;
    const { link, language } = admitted;
    const answer = parseCodeAnswer(reveal(input));
    if (answer === null) return refusal(language, 'VALIDATION_FAILED', pendingPage(link, now));
    const { link: next, outcome } = answerSecureLink(link, { kind: 'code', digest: tx.secureLinks.digestCode(link.id, phi(answer)) }, now);
    switch (outcome.kind) {
      case 'wrong':
        await tx.secureLinks.update(link.id, changesOf(link, next));
        return recordWrong(tx, req, link, 'code', outcome, now);
      case 'no-code':
      case 'code-expired':
        return refusal(language, 'VERIFICATION_CODE_EXPIRED', { step: 'date-of-birth' });
      case 'verified': {
        const session = { secret, expiresAt: new Date(now.getTime() + SECURE_LINK_POLICY.sessionTtlMs) };
        await tx.secureLinks.update(link.id, { ...changesOf(link, next), session: { digest: hashSecret(secret), expiresAt: session.expiresAt } });
        if (!show) return { ok: true, language, page: { step: 'verified' }, session };
        const shown = await showContent(deps, tx, req, link, now);
        return shown.ok ? { ...shown, session } : shown;
      }
      case 'refused':
        return refusal(language, REFUSAL[outcome.status]);
      case 'code-issued':
      case 'code-limit':
        throw new Error(`a code cannot lead to ${outcome.kind}`);
    }
  });
}
