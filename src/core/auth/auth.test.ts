import { describe, expect, it } from 'vitest';
import { LOCKOUT_RULES, lockedUntil, recordFailure, type FailureWindow } from './lockout.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { sessionDeadline, sessionState } from './session-lifetime.ts';
import { totpCode, totpStep, verifyTotp } from './totp.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
// RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (base32), last 6 digits of the 8-digit vectors.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('password policy', () => {
  it('accepts a long passphrase', () => {
    expect(checkPasswordPolicy('correct horse battery staple', 'dr.hale')).toEqual({ ok: true });
  });
  it('names every rule broken, never the password', () => {
    expect(checkPasswordPolicy('short', 'dr.hale')).toEqual({ ok: false, problems: ['too-short'] });
    expect(checkPasswordPolicy('DR.HALE-is-the-best', 'dr.hale')).toEqual({ ok: false, problems: ['contains-username'] });
    expect(checkPasswordPolicy('aaaaaaaaaaaaaaa', 'x.y')).toEqual({ ok: false, problems: ['repetitive'] });
    expect(checkPasswordPolicy('Password1234', 'x.y')).toEqual({ ok: false, problems: ['common'] });
    expect(checkPasswordPolicy('x'.repeat(257) + 'y', 'a.b')).toEqual({ ok: false, problems: ['too-long'] });
  });
  it('counts characters, not bytes', () => {
    expect(checkPasswordPolicy('ñandú-ñandú-', 'x.y')).toEqual({ ok: true });
    expect(checkPasswordPolicy('ñandú-ñandú', 'x.y').ok).toBe(false);
  });
});

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC test vectors', () => {
    expect(totpCode(RFC_SECRET, new Date(59_000))).toBe('287082');
    expect(totpCode(RFC_SECRET, new Date(1_111_111_109_000))).toBe('081804');
    expect(totpCode(RFC_SECRET, new Date(1_234_567_890_000))).toBe('005924');
  });
  it('accepts the current step and one either side, and nothing further', () => {
    const now = at(0);
    for (const offset of [-30_000, 0, 30_000]) {
      expect(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, at(offset)), now, null)).toEqual({ ok: true, step: totpStep(at(offset)) });
    }
    for (const offset of [-90_000, 90_000]) {
      const code = totpCode(RFC_SECRET, at(offset));
      const near = [-30_000, 0, 30_000].map((o) => totpCode(RFC_SECRET, at(o)));
      if (!near.includes(code)) expect(verifyTotp(RFC_SECRET, code, now, null)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
  it('refuses a code whose step was already used, or an older one', () => {
    const code = totpCode(RFC_SECRET, at(0));
    const step = totpStep(at(0));
    expect(verifyTotp(RFC_SECRET, code, at(0), step)).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, at(-30_000)), at(0), step)).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, at(30_000)), at(0), step)).toEqual({ ok: true, step: step + 1 });
  });
  it('refuses malformed codes', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(verifyTotp(RFC_SECRET, code, at(0), null).ok).toBe(false);
  });
});

describe('lockout', () => {
  const rule = LOCKOUT_RULES.username;
  it('locks at the fifth failure within the window, for 15 minutes', () => {
    let state: FailureWindow | null = null;
    for (let i = 1; i <= 5; i++) {
      const next = recordFailure(state, rule, at(i * 60_000));
      state = next.state;
      expect(next.lockedNow).toBe(i === 5);
    }
    expect(lockedUntil(state, at(5 * 60_000))).toEqual(at(20 * 60_000));
    expect(lockedUntil(state, at(20 * 60_000))).toBeNull();
  });
  it('starts counting again once the window has passed', () => {
    let state: FailureWindow | null = null;
    for (let i = 0; i < 4; i++) state = recordFailure(state, rule, at(0)).state;
    const later = recordFailure(state, rule, at(rule.windowMs));
    expect(later).toEqual({ state: { startedAt: at(rule.windowMs), failures: 1, lockedUntil: null }, lockedNow: false });
  });
});

describe('session lifetime', () => {
  const s = { lastSeenAt: at(0), idleMs: 15 * 60_000, expiresAt: at(12 * 3_600_000), endedAt: null };
  it('is active until idle or expired, whichever first', () => {
    expect(sessionState(s, at(15 * 60_000 - 1))).toBe('active');
    expect(sessionState(s, at(15 * 60_000))).toBe('idle');
    expect(sessionState({ ...s, lastSeenAt: at(12 * 3_600_000 - 1) }, at(12 * 3_600_000))).toBe('expired');
    expect(sessionState({ ...s, endedAt: at(1) }, at(2))).toBe('ended');
    expect(sessionDeadline(s, at(12 * 3_600_000 - 60_000))).toEqual(at(12 * 3_600_000));
  });
});
