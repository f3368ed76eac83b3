/**
 * Fixed-window throttles for the patient pages (issue 4 "Bad input": token guessing is throttled per link and per
 * address). The store counts; this decides.
 * - `address`: failures from one client address (unknown tokens, wrong answers), whatever link they aim at. Guessing
 *   a 144-bit token is hopeless anyway; this keeps a scanner from trying.
 * - `link`: every answer posted to one link, right or wrong or malformed. The lock after five wrong answers bounds
 *   guessing; this bounds the load and the codes a link can be made to send.
 */
export const THROTTLE_RULES = {
  address: { limit: 20, windowMs: 15 * 60_000 },
  link: { limit: 10, windowMs: 15 * 60_000 },
} as const satisfies Record<string, ThrottleRule>;

export interface ThrottleRule {
  readonly limit: number;
  readonly windowMs: number;
}

/** A counter's current window: when it started and how many hits it holds. */
export interface ThrottleWindow {
  readonly startedAt: Date;
  readonly count: number;
}

export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * @param window - the counter as stored (null when it never counted)
 * @param rule - its limit and window
 * @param now - the current time
 * @returns whether one more request may go, and otherwise how long until the window ends
 */
export function throttleVerdict(window: ThrottleWindow | null, rule: ThrottleRule, now: Date): ThrottleVerdict {
  if (window === null) return { allowed: true };
  const endsAt = window.startedAt.getTime() + rule.windowMs;
  if (now.getTime() >= endsAt || window.count < rule.limit) return { allowed: true };
  return { allowed: false, retryAfterMs: endsAt - now.getTime() };
}

