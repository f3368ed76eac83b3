import { describe, expect, it } from 'vitest';
import { answerSecureLink, equalDigests, SECURE_LINK_POLICY, secureLinkStatus, type SecureLinkState } from './secure-link.ts';
import { THROTTLE_RULES, throttleVerdict } from './throttle.ts';
import { birthDatesMatch, formatCode, isWellFormedToken, parseBirthDateAnswer, parseCodeAnswer } from './verification.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const fresh = (over: Partial<SecureLinkState> = {}): SecureLinkState => ({
  expiresAt: at(72 * 3_600_000),
  revokedAt: null,
  lockedAt: null,
  failedAttempts: 0,
  code: null,
  codesSent: 0,
  lastCodeSentAt: null,
  ...over,
});
const dob = (matches: boolean, digest = 'd1') => ({ kind: 'birth-date' as const, matches, newCodeDigest: digest });

describe('secure link status', () => {
  it('is active until the instant it expires', () => {
    const link = fresh({ expiresAt: at(1000) });
    expect(secureLinkStatus(link, at(999))).toBe('active');
    expect(secureLinkStatus(link, at(1000))).toBe('expired');
  });

  it('says revoked before locked, and locked before expired', () => {
    expect(secureLinkStatus(fresh({ revokedAt: T0, lockedAt: T0, expiresAt: T0 }), at(1))).toBe('revoked');
    expect(secureLinkStatus(fresh({ lockedAt: T0, expiresAt: T0 }), at(1))).toBe('locked');
    expect(secureLinkStatus(fresh({ failedAttempts: 5 }), T0)).toBe('locked');
  });
});

describe('answering a secure link', () => {
  it('issues a code for the right date of birth', () => {
    const { link, outcome } = answerSecureLink(fresh(), dob(true, 'abc'), T0);
    expect(outcome).toEqual({ kind: 'code-issued', expiresAt: at(SECURE_LINK_POLICY.codeTtlMs) });
    expect(link).toMatchObject({ code: { digest: 'abc' }, codesSent: 1, lastCodeSentAt: T0, failedAttempts: 0 });
  });

  it('locks at exactly the fifth wrong answer, counting dates of birth and codes alike', () => {
    let link = answerSecureLink(fresh(), dob(true, 'abc'), T0).link;
    const answers = [dob(false), { kind: 'code' as const, digest: 'nope' }, dob(false), { kind: 'code' as const, digest: 'nope' }];
    for (const [i, answer] of answers.entries()) {
      const r = answerSecureLink(link, answer, at(i));
      expect(r.outcome).toEqual({ kind: 'wrong', failedAttempts: i + 1, locked: false });
      link = r.link;
    }
    const last = answerSecureLink(link, dob(false), at(10));
    expect(last.outcome).toEqual({ kind: 'wrong', failedAttempts: 5, locked: true });
    expect(last.link.lockedAt).toEqual(at(10));
    expect(last.link.code).toBeNull();
  });

  it('refuses every answer after the lock, even the right ones, and changes nothing', () => {
    const locked = fresh({ failedAttempts: 5, lockedAt: T0, code: { digest: 'abc', expiresAt: at(60_000) } });
    for (const answer of [dob(true), { kind: 'code' as const, digest: 'abc' }]) {
      const r = answerSecureLink(locked, answer, at(1));
      expect(r.outcome).toEqual({ kind: 'refused', status: 'locked' });
      expect(r.link).toBe(locked);
    }
  });

  it('does not reset the counter on a right answer', () => {
    const r = answerSecureLink(fresh({ failedAttempts: 4 }), dob(true), T0);
    expect(r.outcome.kind).toBe('code-issued');
    expect(r.link.failedAttempts).toBe(4);
    expect(answerSecureLink(r.link, { kind: 'code', digest: 'x' }, at(1)).outcome).toEqual({ kind: 'wrong', failedAttempts: 5, locked: true });
  });

  it('accepts the pending code once, before it expires', () => {
    const issued = answerSecureLink(fresh(), dob(true, 'abc'), T0).link;
    const ok = answerSecureLink(issued, { kind: 'code', digest: 'abc' }, at(SECURE_LINK_POLICY.codeTtlMs - 1));
    expect(ok.outcome).toEqual({ kind: 'verified' });
    expect(ok.link.code).toBeNull();
    expect(answerSecureLink(ok.link, { kind: 'code', digest: 'abc' }, at(SECURE_LINK_POLICY.codeTtlMs - 1)).outcome).toEqual({ kind: 'no-code' });
  });

  it('does not count a code entered after it expired, or when none was sent', () => {
    const issued = answerSecureLink(fresh(), dob(true, 'abc'), T0).link;
    const late = answerSecureLink(issued, { kind: 'code', digest: 'zzz' }, at(SECURE_LINK_POLICY.codeTtlMs));
    expect(late.outcome).toEqual({ kind: 'code-expired' });
    expect(late.link.failedAttempts).toBe(0);
    expect(answerSecureLink(fresh(), { kind: 'code', digest: 'zzz' }, T0)).toMatchObject({ outcome: { kind: 'no-code' }, link: { failedAttempts: 0 } });
  });

  it('spaces codes out and stops after the last one allowed', () => {
    const first = answerSecureLink(fresh(), dob(true), T0).link;
    expect(answerSecureLink(first, dob(true), at(1_000)).outcome).toEqual({ kind: 'code-limit', retryAfterMs: SECURE_LINK_POLICY.codeResendIntervalMs - 1_000 });
    const again = answerSecureLink(first, dob(true, 'd2'), at(SECURE_LINK_POLICY.codeResendIntervalMs));
    expect(again.outcome.kind).toBe('code-issued');
    const spent = fresh({ codesSent: SECURE_LINK_POLICY.maxCodes, lastCodeSentAt: T0 });
    expect(answerSecureLink(spent, dob(true), at(3_600_000)).outcome).toEqual({ kind: 'code-limit', retryAfterMs: null });
  });

  it('refuses answers on an expired or revoked link', () => {
    expect(answerSecureLink(fresh({ expiresAt: T0 }), dob(true), T0).outcome).toEqual({ kind: 'refused', status: 'expired' });
    expect(answerSecureLink(fresh({ revokedAt: T0 }), dob(true), T0).outcome).toEqual({ kind: 'refused', status: 'revoked' });
  });

  it('compares digests exactly', () => {
    expect(equalDigests('abc', 'abc')).toBe(true);
    expect(equalDigests('abc', 'abd')).toBe(false);
    expect(equalDigests('abc', 'abcd')).toBe(false);
    expect(equalDigests('', 'a')).toBe(false);
    expect(equalDigests('', '')).toBe(true);
  });
});

describe('answers as typed', () => {
  it('accepts a real date as YYYY-MM-DD, surrounding spaces ignored', () => {
    expect(parseBirthDateAnswer(' 1980-12-10 ')).toBe('1980-12-10');
    for (const bad of ['', '12/10/1980', '1980-2-1', '1980-02-30', '19801210', '1980-12-10T00:00', 'CANARY']) expect(parseBirthDateAnswer(bad)).toBeNull();
  });

  it('matches the same date only', () => {
    expect(birthDatesMatch('1980-12-10', '1980-12-10')).toBe(true);
    expect(birthDatesMatch('1980-12-11', '1980-12-10')).toBe(false);
  });

  it('reads a six-digit code, ignoring spaces and hyphens', () => {
    expect(parseCodeAnswer('123 456')).toBe('123456');
    expect(parseCodeAnswer('123-456')).toBe('123456');
    for (const bad of ['12345', '1234567', 'abcdef', '']) expect(parseCodeAnswer(bad)).toBeNull();
  });

  it('formats codes with leading zeros and refuses anything out of range', () => {
    expect(formatCode(42)).toBe('000042');
    expect(formatCode(999_999)).toBe('999999');
    expect(() => formatCode(1_000_000)).toThrow(RangeError);
    expect(() => formatCode(-1)).toThrow(RangeError);
    expect(() => formatCode(1.5)).toThrow(RangeError);
  });

  it('knows a token shape from anything else', () => {
    expect(isWellFormedToken('A'.repeat(24))).toBe(true);
    expect(isWellFormedToken('abc')).toBe(false);
    expect(isWellFormedToken(`${'A'.repeat(24)}/`)).toBe(false);
    expect(isWellFormedToken('A'.repeat(129))).toBe(false);
  });
});

describe('throttle verdicts', () => {
  const rule = THROTTLE_RULES.address;
  it('allows until the window holds the limit, then until the window ends', () => {
    expect(throttleVerdict(null, rule, T0)).toEqual({ allowed: true });
    expect(throttleVerdict({ startedAt: T0, count: rule.limit - 1 }, rule, at(1))).toEqual({ allowed: true });
    expect(throttleVerdict({ startedAt: T0, count: rule.limit }, rule, at(1_000))).toEqual({ allowed: false, retryAfterMs: rule.windowMs - 1_000 });
    expect(throttleVerdict({ startedAt: T0, count: rule.limit }, rule, at(rule.windowMs))).toEqual({ allowed: true });
  });
});
