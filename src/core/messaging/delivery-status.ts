/**
 * Delivery status of an outbound message. The order of the progress states is their rank: an event may only
 * move a message forward, so late or duplicated carrier receipts never move it back (reference §8 item 9).
 */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses a carrier can report. */
export type CarrierStatus = 'sent' | 'delivered' | 'read' | 'failed';

const PROGRESS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  cancelled: 5,
};

/**
 * @param status - a message status
 * @returns true when nothing can change it any more
 */
export function isTerminal(status: MessageStatus): boolean {
  return status === 'read' || status === 'failed' || status === 'cancelled';
}

/**
 * Whether a message in `current` may move to `next`.
 * - terminal states never change;
 * - progress only moves forward (sent → delivered → read); a receipt that arrives late is ignored;
 * - `failed` can follow any state before `delivered`; `cancelled` only follows `queued` or `sending`
 *   (a message the carrier has accepted cannot be recalled).
 * @param current - the message's status now
 * @param next - the proposed status
 */
export function canTransition(current: MessageStatus, next: MessageStatus): boolean {
  if (isTerminal(current) || current === next) return false;
  switch (next) {
    case 'cancelled':
      return current === 'queued' || current === 'sending';
    case 'failed':
      return PROGRESS_RANK[current] < PROGRESS_RANK.delivered;
    case 'queued':
      return false;
    case 'sending':
    case 'sent':
    case 'delivered':
    case 'read':
      return PROGRESS_RANK[next] > PROGRESS_RANK[current];
  }
}

/**
 * Applies carrier or Wardline status events to a message in arrival order, each only if `canTransition` allows it
 * from the status reached so far (so sent, delivered and read arriving together all apply, in order).
 * @param current - the message's status now
 * @param proposed - the statuses to apply, in arrival order
 * @returns the final status and, for each proposed status, whether it applied
 */
export function foldStatuses(
  current: MessageStatus,
  proposed: readonly MessageStatus[],
): { status: MessageStatus; applied: boolean[] } {
  let status = current;
  const applied = proposed.map((next) => {
    if (!canTransition(status, next)) return false;
    status = next;
    return true;
  });
  return { status, applied };
}
