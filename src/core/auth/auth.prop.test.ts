import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { LOCKOUT_RULES, lockedUntil, recordFailure, type FailureWindow } from './lockout.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { sessionState } from './session-lifetime.ts';
import { totpCode, totpStep, verifyTotp } from './totp.ts';

const T0 = new Date('2026-03-01T10:00:00Z').getTime();
const base32 = fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.split('')), { minLength: 32, maxLength: 32 }).map((c) => c.join(''));

describe('sign-in rules (properties)', () => {
  test.prop([fc.string({ maxLength: 40 }), fc.stringMatching(/^[a-z0-9._-]{3,20}$/)])('a password containing the username is always refused', (extra, username) => {
    const verdict = checkPasswordPolicy(`${extra}${username.toUpperCase()}${extra}`, username);
    expect(verdict.ok).toBe(false);
  });

  test.prop([base32, fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: -1, max: 1 })])('a code within one step is accepted once, then refused as replayed', (secret, ms, drift) => {
    const now = new Date(ms);
    const code = totpCode(secret, new Date(ms + drift * 30_000));
    const first = verifyTotp(secret, code, now, null);
    expect(first.ok).toBe(true);
    if (first.ok) {
      expect(Math.abs(first.step - totpStep(now))).toBeLessThanOrEqual(1);
      expect(verifyTotp(secret, code, now, first.step)).toEqual({ ok: false, reason: 'replayed' });
    }
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 30 })])('no more than maxFailures - 1 failures pass without a lock inside one window', (gaps) => {
    const rule = LOCKOUT_RULES.username;
    let state: FailureWindow | null = null;
    let t = T0;
    let unlockedFailuresInWindow = 0;
    for (const gap of gaps) {
      t += gap;
      const next = recordFailure(state, rule, new Date(t));
      if (next.state.failures === 1) unlockedFailuresInWindow = 0;
      if (lockedUntil(next.state, new Date(t)) === null) unlockedFailuresInWindow += 1;
      expect(unlockedFailuresInWindow).toBeLessThan(rule.maxFailures);
      state = next.state;
    }
  });

  test.prop([fc.integer({ min: 0, max: 10 * 3_600_000 }), fc.integer({ min: 60_000, max: 3_600_000 }), fc.integer({ min: 0, max: 24 * 3_600_000 })])('a session is never active past its idle limit or its absolute expiry', (lastSeen, idleMs, elapsed) => {
    const s = { lastSeenAt: new Date(T0 + lastSeen), idleMs, expiresAt: new Date(T0 + 12 * 3_600_000), endedAt: null };
    const now = new Date(T0 + lastSeen + elapsed);
    if (sessionState(s, now) === 'active') {
      expect(elapsed).toBeLessThan(idleMs);
      expect(now.getTime()).toBeLessThan(s.expiresAt.getTime());
    }
  });
});
