/**
 * Sender pacing with the generic cell rate algorithm (GCRA): each sender has a theoretical arrival time (`next`),
 * the earliest instant its next message may go. Messages are given slots one interval apart, so no window of one
 * second ever holds more than the configured rate (slot times round up to the millisecond, so rounding never
 * brings two slots closer). Slots are handed out only up to `horizonMs` ahead: the rest of a
 * batch waits in the queue instead of holding the dispatcher, so other senders keep moving (issue 3, item 6).
 */
export interface PacePlan {
  /** Send times, one per message that got a slot, in order. */
  readonly slots: readonly Date[];
  /** The sender's next free slot after these. */
  readonly next: Date;
}

export interface PaceOptions {
  /** Messages per second; the interval between slots is 1000 / rate ms. */
  readonly ratePerSecond: number;
  /** Slots start at least this far after `now`, so the reservation's commit never makes the first slot late. */
  readonly leadMs: number;
  /** No slot is handed out this far or further ahead of `now` (at least one slot always is, when due). */
  readonly horizonMs: number;
}

/**
 * @param next - the sender's stored next free slot (null when it has never sent)
 * @param now - the current time
 * @param wanted - how many messages want to go
 * @param options - rate, lead and horizon
 */
export function planSlots(next: Date | null, now: Date, wanted: number, options: PaceOptions): PacePlan {
  const interval = 1000 / options.ratePerSecond;
  let at = Math.max(next?.getTime() ?? 0, now.getTime() + options.leadMs);
  const limit = now.getTime() + Math.max(options.horizonMs, options.leadMs + 1);
  const slots: Date[] = [];
  while (slots.length < wanted && Math.ceil(at) < limit) {
    slots.push(new Date(Math.ceil(at)));
    at += interval;
  }
  return { slots, next: new Date(Math.ceil(at)) };
}
