import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { answerSecureLink, SECURE_LINK_POLICY, secureLinkStatus, type AnswerOutcome, type SecureLinkState } from './secure-link.ts';
import { THROTTLE_RULES, throttleVerdict, type ThrottleWindow } from './throttle.ts';
import { birthDatesMatch, isWellFormedToken, parseBirthDateAnswer } from './verification.ts';

const T0 = new Date('2026-03-01T10:00:00Z').getTime();
const TTL = 72 * 3_600_000;

/** What a visitor (the patient or not) does next, after some time passes. */
type Action = 'dob-right' | 'dob-wrong' | 'code-right' | 'code-wrong' | 'code-stale' | 'revoke';
const weighted = (action: Action, weight: number) => ({ arbitrary: fc.constant(action), weight });
const stepArb = fc.record({
  // Right answers are likelier than wrong ones, so many runs get as far as the content.
  action: fc.oneof(weighted('dob-right', 6), weighted('code-right', 6), weighted('dob-wrong', 2), weighted('code-wrong', 2), weighted('code-stale', 2), weighted('revoke', 1)),
  // Mostly seconds, sometimes long enough for a code (10 min) or the link (72 h) to expire.
  advanceMs: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 120_000 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 24 * 3_600_000 }), weight: 1 }),
});

interface Trace {
  readonly outcome: AnswerOutcome | null;
  readonly before: SecureLinkState;
  readonly now: number;
  readonly submitted: string | null;
  readonly issued: ReadonlyMap<string, { at: number; expiresAt: number }>;
}

/** Runs a visit: codes issued get fresh digests; `code-right` submits the latest one, `code-stale` an older one. */
function run(steps: readonly { action: Action; advanceMs: number }[]): Trace[] {
  let link: SecureLinkState = { expiresAt: new Date(T0 + TTL), revokedAt: null, lockedAt: null, failedAttempts: 0, code: null, codesSent: 0, lastCodeSentAt: null };
  let now = T0;
  const issued = new Map<string, { at: number; expiresAt: number }>();
  const digests: string[] = [];
  const traces: Trace[] = [];
  for (const [i, step] of steps.entries()) {
    now += step.advanceMs;
    const before = link;
    if (step.action === 'revoke') {
      link = { ...link, revokedAt: link.revokedAt ?? new Date(now) };
      traces.push({ outcome: null, before, now, submitted: null, issued: new Map(issued) });
      continue;
    }
    let submitted: string | null = null;
    const answer = (() => {
      switch (step.action) {
        case 'dob-right':
        case 'dob-wrong':
          return { kind: 'birth-date' as const, matches: step.action === 'dob-right', newCodeDigest: `code-${String(i)}` };
        case 'code-right':
          submitted = digests.at(-1) ?? 'never-issued';
          return { kind: 'code' as const, digest: submitted };
        case 'code-stale':
          submitted = digests.at(-2) ?? 'never-issued';
          return { kind: 'code' as const, digest: submitted };
        case 'code-wrong':
          submitted = `guess-${String(i)}`;
          return { kind: 'code' as const, digest: submitted };
      }
    })();
    const r = answerSecureLink(link, answer, new Date(now));
    if (r.outcome.kind === 'code-issued') {
      issued.set(`code-${String(i)}`, { at: now, expiresAt: r.outcome.expiresAt.getTime() });
      digests.push(`code-${String(i)}`);
    }
    link = r.link;
    traces.push({ outcome: r.outcome, before, now, submitted, issued: new Map(issued) });
  }
  return traces;
}

describe('secure link properties', () => {
  test.prop([fc.array(stepArb, { maxLength: 60 })])(
    'never reveals content unless a right date of birth issued a code that matched, before expiry, revocation or lock',
    (steps) => {
      for (const t of run(steps)) {
        if (t.outcome?.kind !== 'verified') continue;
        expect(secureLinkStatus(t.before, new Date(t.now))).toBe('active');
        expect(t.before.revokedAt).toBeNull();
        expect(t.before.failedAttempts).toBeLessThan(SECURE_LINK_POLICY.maxFailedAttempts);
        expect(t.now).toBeLessThan(T0 + TTL);
        const code = t.submitted === null ? undefined : t.issued.get(t.submitted);
        expect(code).toBeDefined();
        expect(t.now).toBeLessThan(code!.expiresAt);
        // Only the latest code counts: an older one was replaced when a new one was issued.
        expect(t.submitted).toBe(t.before.code?.digest);
      }
    },
  );

  test.prop([fc.array(stepArb, { maxLength: 60 })])('after 5 failures every answer is refused, even right ones', (steps) => {
    let failures = 0;
    for (const t of run(steps)) {
      if (t.outcome === null) continue;
      if (failures >= SECURE_LINK_POLICY.maxFailedAttempts) expect(t.outcome.kind).toBe('refused');
      if (t.outcome.kind === 'wrong') failures += 1;
    }
  });

  test.prop([fc.array(stepArb, { maxLength: 60 })])('the failure count never goes down and stops at 5', (steps) => {
    let previous = 0;
    for (const t of run(steps)) {
      expect(t.before.failedAttempts).toBeGreaterThanOrEqual(previous);
      expect(t.before.failedAttempts).toBeLessThanOrEqual(SECURE_LINK_POLICY.maxFailedAttempts);
      previous = t.before.failedAttempts;
    }
  });

  test.prop([fc.array(stepArb, { maxLength: 60 })])('never sends more codes than allowed, nor two within the resend interval', (steps) => {
    const sends = run(steps).filter((t) => t.outcome?.kind === 'code-issued').map((t) => t.now);
    expect(sends.length).toBeLessThanOrEqual(SECURE_LINK_POLICY.maxCodes);
    for (let i = 1; i < sends.length; i++) expect(sends[i]! - sends[i - 1]!).toBeGreaterThanOrEqual(SECURE_LINK_POLICY.codeResendIntervalMs);
  });

  test.prop([fc.uint8Array({ minLength: 16, maxLength: 64 })])('every base64url token of at least 128 bits is well formed', (bytes) => {
    expect(isWellFormedToken(Buffer.from(bytes).toString('base64url'))).toBe(true);
  });

  test.prop([fc.string({ maxLength: 21 })])('anything shorter than a 128-bit token is refused without a look-up', (s) => {
    expect(isWellFormedToken(s)).toBe(false);
  });

  const dateArb = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  test.prop([dateArb, dateArb])('a date of birth matches itself and no other date', (a, b) => {
    expect(parseBirthDateAnswer(a)).toBe(a);
    expect(birthDatesMatch(a, a)).toBe(true);
    expect(birthDatesMatch(a, b)).toBe(a === b);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 200 })])('a throttle lets at most its limit through per window (twice that in any sliding window)', (gaps) => {
    const rule = THROTTLE_RULES.address;
    let window: ThrottleWindow | null = null;
    let now = T0;
    const allowed: number[] = [];
    for (const gap of gaps) {
      now += gap;
      if (!throttleVerdict(window, rule, new Date(now)).allowed) continue;
      allowed.push(now);
      window = window === null || now >= window.startedAt.getTime() + rule.windowMs ? { startedAt: new Date(now), count: 1 } : { startedAt: window.startedAt, count: window.count + 1 };
      expect(window.count).toBeLessThanOrEqual(rule.limit);
    }
    let start = 0;
    for (let i = 0; i < allowed.length; i++) {
      while (allowed[i]! - allowed[start]! >= rule.windowMs) start++;
      expect(i - start + 1).toBeLessThanOrEqual(rule.limit * 2);
    }
  });
});
