/**
 * When a staff session ends (HIPAA 164.312(a)(2)(iii) automatic logoff): after `idleMs` without a request, at its
 * absolute expiry, or when it was ended explicitly (sign-out, deactivation). Pure: the caller passes the time.
 */
export interface SessionTimes {
  readonly lastSeenAt: Date;
  readonly idleMs: number;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
}

export type SessionState = 'active' | 'idle' | 'expired' | 'ended';

/** @param s - the session's times @param now - the current time @returns whether it is usable, and if not why */
export function sessionState(s: SessionTimes, now: Date): SessionState {
  if (s.endedAt !== null) return 'ended';
  if (now.getTime() >= s.expiresAt.getTime()) return 'expired';
  if (now.getTime() - s.lastSeenAt.getTime() >= s.idleMs) return 'idle';
  return 'active';
}

/** @param s - the session's times @param now - the time of the request that just used it @returns when it ends if nothing else happens */
export function sessionDeadline(s: Pick<SessionTimes, 'idleMs' | 'expiresAt'>, now: Date): Date {
  return new Date(Math.min(now.getTime() + s.idleMs, s.expiresAt.getTime()));
}
