/**
 * The preview of a bulk send (issue 8 item 2): how many recipients, how many will be skipped and why, and a sample of
 * recipients whose messages the console renders. The requester and the approver look at the same preview before
 * anything goes out, so it must account for every recipient: sent + skipped = total, never a silent partial send.
 *
 * Each skip reason stands for a safeguard that still runs per message when the send is dispatched: consent and opt-out
 * (TCPA, reference §2), quiet hours, carrier deliverability, the minimum-necessary / sharing rules (45 CFR 164.502(b))
 * and the uploaded list's own problems. Only ids travel here, never names, numbers or message bodies (PHI).
 *
 * Pure: no I/O, no clock, no randomness.
 */
import { DomainError } from '../errors.ts';

/** Why a recipient is not sent to, in the order the console lists them. */
export const SKIP_REASONS = [
  'no-consent',
  'opted-out',
  'quiet-hours',
  'undeliverable-number',
  'outside-sharing',
  'duplicate',
  'no-matching-patient',
  'malformed-row',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The per-message verdict for one recipient (the safeguards ran without sending). */
export type RecipientVerdict =
  | { readonly recipientId: string; readonly verdict: 'send' }
  | { readonly recipientId: string; readonly verdict: 'skip'; readonly reason: SkipReason };

export interface PreviewSummary {
  readonly total: number;
  readonly toSend: number;
  readonly skipped: number;
  /** every reason, zero included, so the console shows a stable table */
  readonly skippedByReason: Readonly<Record<SkipReason, number>>;
  /** ids of recipients to send to whose rendered messages are shown; spread evenly over the list */
  readonly sampleRecipientIds: readonly string[];
}

/** The most recipients a sample may show; rendering is for a human to read, not for a census. */
export const MAX_SAMPLE_SIZE = 50;

/**
 * Summarises the verdicts of a bulk send's recipients.
 * The sample is deterministic (same verdicts, same sample: the approver sees what the requester saw) and spread over
 * the whole list rather than its head, which is where a wrong selection is least likely to show.
 * @param verdicts - one per recipient, in list order
 * @param sampleSize - how many recipients to sample among those to send to (0 … 50)
 * @throws DomainError VALIDATION_FAILED on an unknown verdict or reason, or a sample size out of range
 */
export function summarisePreview(verdicts: readonly RecipientVerdict[], sampleSize: number): PreviewSummary {
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 0 || sampleSize > MAX_SAMPLE_SIZE) {
    throw new DomainError('VALIDATION_FAILED', `The sample size must be a whole number from 0 to ${MAX_SAMPLE_SIZE}.`, {
      issues: [{ pointer: '/sampleSize', message: `must be an integer from 0 to ${MAX_SAMPLE_SIZE}` }],
    });
  }
  const byReason = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
  const sendIds: string[] = [];
  verdicts.forEach((v, i) => {
    if (v.verdict === 'send') {
      sendIds.push(v.recipientId);
    } else if ((v.verdict as string) === 'skip' && (SKIP_REASONS as readonly string[]).includes(v.reason)) {
      byReason[v.reason] += 1;
    } else {
      // Refuse rather than drop: a recipient that is neither sent nor counted would be a silent partial send.
      throw new DomainError('VALIDATION_FAILED', 'A recipient verdict is neither send nor a known skip reason.', {
        issues: [{ pointer: `/verdicts/${i}`, message: `must be send or skip with one of ${SKIP_REASONS.join(', ')}` }],
      });
    }
  });
  const skipped = verdicts.length - sendIds.length;
  return Object.freeze({
    total: verdicts.length,
    toSend: sendIds.length,
    skipped,
    skippedByReason: Object.freeze(byReason),
    sampleRecipientIds: Object.freeze(evenSample(sendIds, sampleSize)),
  });
}

/** Up to k items at evenly spaced positions (the first always included). */
function evenSample<T>(items: readonly T[], k: number): T[] {
  const n = items.length;
  if (k >= n) return [...items];
  const out: T[] = [];
  for (let i = 0; i < k; i += 1) out.push(items[Math.floor((i * n) / k)] as T);
  return out;
}
