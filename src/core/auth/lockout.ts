/**
 * Failed sign-ins, counted per subject (a username, whether or not it exists, and a client address) in fixed
 * windows. A username that reaches `maxFailures` within `windowMs` is locked for `lockMs`; an address that reaches
 * its limit is throttled until its window ends. The store keeps the counters; this decides.
 */
export const LOCKOUT_RULES = {
  username: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  address: { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const satisfies Record<string, LockoutRule>;

export interface LockoutRule {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

/** One subject's counter as stored. */
export interface FailureWindow {
  readonly startedAt: Date;
  readonly failures: number;
  readonly lockedUntil: Date | null;
}

/**
 * @param state - the counter (null when it never counted)
 * @param now - the current time
 * @returns the time the lock ends, or null when the subject may try
 */
export function lockedUntil(state: FailureWindow | null, now: Date): Date | null {
  return state?.lockedUntil !== null && state?.lockedUntil !== undefined && state.lockedUntil.getTime() > now.getTime() ? state.lockedUntil : null;
}

/**
 * Counts one failure.
 * @param state - the counter before it
 * @param rule - the subject's rule
 * @param now - the current time
 * @returns the new counter, and whether this failure is the one that locked the subject
 */
export function recordFailure(state: FailureWindow | null, rule: LockoutRule, now: Date): { readonly state: FailureWindow; readonly lockedNow: boolean } {
  const fresh = state === null || now.getTime() - state.startedAt.getTime() >= rule.windowMs || (state.lockedUntil !== null && state.lockedUntil.getTime() <= now.getTime());
  const failures = fresh ? 1 : state.failures + 1;
  const startedAt = fresh ? now : state.startedAt;
  const alreadyLocked = lockedUntil(state, now) !== null;
  if (failures >= rule.maxFailures && !alreadyLocked) {
    return { state: { startedAt, failures, lockedUntil: new Date(now.getTime() + rule.lockMs) }, lockedNow: true };
  }
  return { state: { startedAt, failures, lockedUntil: fresh ? null : (state.lockedUntil ?? null) }, lockedNow: false };
}
