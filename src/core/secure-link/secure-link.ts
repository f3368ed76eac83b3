/**
 * The secure patient link (issue 4 item 5): a random token that leads to content stored encrypted, shown only after
 * the patient proves who they are with their date of birth and a one-time code sent to the same contact point.
 * This module is the link's state machine; it decides, the app carries the decision out (STYLE.md §2.1).
 *
 * Rules, and why:
 * - A link is `revoked`, `locked`, `expired` or `active`, checked in that order: a deliberate revocation is the
 *   most useful thing to tell, a lock next (staff must reissue), then expiry.
 * - Every wrong answer counts, date of birth and code alike; at exactly {@link SECURE_LINK_POLICY.maxFailedAttempts}
 *   the link locks and every later answer is refused, even a correct one.
 * - A correct answer never resets the counter. Otherwise someone who knows the patient's date of birth could
 *   alternate four wrong codes with one right date of birth forever and brute-force the six-digit code.
 * - A code is issued only after a correct date of birth, is single-use, expires after `codeTtlMs`, and at most
 *   `maxCodes` are sent per link, at least `codeResendIntervalMs` apart (the patient's phone is not a spam target).
 */
export const SECURE_LINK_POLICY = {
  maxFailedAttempts: 5,
  codeTtlMs: 10 * 60_000,
  maxCodes: 5,
  codeResendIntervalMs: 60_000,
  /** How long a verified browser may show the content again without answering again. */
  sessionTtlMs: 15 * 60_000,
} as const;

/** A one-time code waiting to be entered: only a keyed digest of it is ever stored. */
export interface PendingCode {
  readonly digest: string;
  readonly expiresAt: Date;
}

/** What the state machine needs to know about a link. */
export interface SecureLinkState {
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly lockedAt: Date | null;
  readonly failedAttempts: number;
  readonly code: PendingCode | null;
  readonly codesSent: number;
  readonly lastCodeSentAt: Date | null;
}

export const SECURE_LINK_STATUSES = ['active', 'expired', 'revoked', 'locked'] as const;
export type SecureLinkStatus = (typeof SECURE_LINK_STATUSES)[number];

/**
 * @param link - the link
 * @param now - the current time
 * @returns the link's status; only `active` links accept answers or show content
 */
export function secureLinkStatus(link: SecureLinkState, now: Date): SecureLinkStatus {
  if (link.revokedAt !== null) return 'revoked';
  if (link.lockedAt !== null || link.failedAttempts >= SECURE_LINK_POLICY.maxFailedAttempts) return 'locked';
  if (now.getTime() >= link.expiresAt.getTime()) return 'expired';
  return 'active';
}

/**
 * An answer submitted on the link's page.
 * - `birth-date`: whether it matched the record (comparison in `verification.ts`), and the digest of the code to
 *   issue if it did (made by the caller, who owns randomness and the key; discarded otherwise).
 * - `code`: the keyed digest of the code as entered.
 */
export type SecureLinkAnswer =
  | { readonly kind: 'birth-date'; readonly matches: boolean; readonly newCodeDigest: string }
  | { readonly kind: 'code'; readonly digest: string };

export type AnswerOutcome =
  /** The link is not active: nothing changed. */
  | { readonly kind: 'refused'; readonly status: Exclude<SecureLinkStatus, 'active'> }
  /** A wrong answer, counted; `locked` when it was the last one allowed. */
  | { readonly kind: 'wrong'; readonly failedAttempts: number; readonly locked: boolean }
  /** The date of birth matched: send the new code. */
  | { readonly kind: 'code-issued'; readonly expiresAt: Date }
  /** The date of birth matched but no code may be sent now: retry later, or never (null) on this link. */
  | { readonly kind: 'code-limit'; readonly retryAfterMs: number | null }
  /** A code was entered but none is pending (not counted: no code can match). */
  | { readonly kind: 'no-code' }
  /** The pending code has expired (not counted: it can no longer match). */
  | { readonly kind: 'code-expired' }
  /** The code matched: show the content. */
  | { readonly kind: 'verified' };

/**
 * Applies one answer to a link.
 * @param link - the link as stored (read under a row lock by the caller)
 * @param answer - what was submitted
 * @param now - the current time
 * @returns the link to store and what happened
 */
export function answerSecureLink(link: SecureLinkState, answer: SecureLinkAnswer, now: Date): { link: SecureLinkState; outcome: AnswerOutcome } {
  const status = secureLinkStatus(link, now);
  if (status !== 'active') return { link, outcome: { kind: 'refused', status } };
  if (answer.kind === 'birth-date') {
    if (!answer.matches) return wrong(link, now);
    return issueCode(link, answer.newCodeDigest, now);
  }
  if (link.code === null) return { link, outcome: { kind: 'no-code' } };
  if (now.getTime() >= link.code.expiresAt.getTime()) return { link, outcome: { kind: 'code-expired' } };
  if (!equalDigests(answer.digest, link.code.digest)) return wrong(link, now);
  return { link: { ...link, code: null }, outcome: { kind: 'verified' } };
}

function wrong(link: SecureLinkState, now: Date): { link: SecureLinkState; outcome: AnswerOutcome } {
  const failedAttempts = link.failedAttempts + 1;
  const locked = failedAttempts >= SECURE_LINK_POLICY.maxFailedAttempts;
  // A lock also voids the pending code: nothing may be verified on a locked link.
  const next = { ...link, failedAttempts, lockedAt: locked ? now : link.lockedAt, code: locked ? null : link.code };
  return { link: next, outcome: { kind: 'wrong', failedAttempts, locked } };
}

function issueCode(link: SecureLinkState, digest: string, now: Date): { link: SecureLinkState; outcome: AnswerOutcome } {
  if (link.codesSent >= SECURE_LINK_POLICY.maxCodes) return { link, outcome: { kind: 'code-limit', retryAfterMs: null } };
  if (link.lastCodeSentAt !== null) {
    const wait = link.lastCodeSentAt.getTime() + SECURE_LINK_POLICY.codeResendIntervalMs - now.getTime();
    if (wait > 0) return { link, outcome: { kind: 'code-limit', retryAfterMs: wait } };
  }
  const expiresAt = new Date(now.getTime() + SECURE_LINK_POLICY.codeTtlMs);
  const next = { ...link, code: { digest, expiresAt }, codesSent: link.codesSent + 1, lastCodeSentAt: now };
  return { link: next, outcome: { kind: 'code-issued', expiresAt } };
}

/**
 * Compares two digests in time that depends only on their length (no early exit on the first difference).
 * @param a - a digest
 * @param b - another digest
 */
export function equalDigests(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(b.length, 1));
  return diff === 0;
}

/**
 * The `relatedRecord.type` of a message that carries a one-time code for a link: a reply to the patient's own
 * request of a moment ago, due at once (dispatch does not hold it for quiet hours; consent is still re-checked).
 */
export const SECURE_LINK_CODE_RECORD = 'secure-link-code';

/**
 * @param text - a notice's text
 * @returns the text with every secure-link token replaced (`/s/[link]`), for anyone but the patient
 */
export function redactSecureLinks(text: string): string {
  return text.replace(/\/s\/[A-Za-z0-9_-]{16,}/g, '/s/[link]');
}
