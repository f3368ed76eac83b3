import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { DomainError } from '../errors.ts';
import {
  EMPTY_PROGRESS,
  MESSAGE_PROGRESS_STATUSES,
  allowedCommands,
  applyBulkSendCommand,
  canaryVerdict,
  newBulkSend,
  progressTotal,
  reduceProgress,
  type BulkSendCommand,
  type BulkSendState,
} from './bulk-send.ts';
import { SKIP_REASONS, summarisePreview, type RecipientVerdict } from './preview.ts';

// Property tests of the bulk send (issue 8): the two-person rule, terminal states, the canary, the preview's sums.

const REQUESTER = 'alice';
const actorArb = fc.constantFrom(REQUESTER, 'bob', 'carol', '', ' ');
const dateArb = fc.oneof({ weight: 9, arbitrary: fc.constant(new Date('2026-12-04T12:00:00Z')) }, { weight: 1, arbitrary: fc.constant(new Date(Number.NaN)) });
const digestArb = fc.constantFrom('d1', 'd2', 'd3', '');
const rateArb = fc.oneof(fc.constantFrom(0, 0.01, 0.05, 0.1, 1), fc.double({ min: 0, max: 1, noNaN: true }));
const statsArb = fc.integer({ min: 0, max: 200 }).chain((attempted) =>
  fc.record({ attempted: fc.constant(attempted), failed: fc.integer({ min: 0, max: attempted }), wrongNumberReplies: fc.integer({ min: 0, max: attempted }) }),
);

const commandArb: fc.Arbitrary<BulkSendCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('preview' as const), digest: digestArb, toSend: fc.integer({ min: -1, max: 120 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'submit' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('approve' as const), by: actorArb, hasPermission: fc.boolean(), previewVersion: fc.integer({ min: 0, max: 4 }), previewDigest: digestArb, at: dateArb }),
  },
  fc.record({ kind: fc.constant('reject' as const), by: actorArb, hasPermission: fc.boolean(), at: dateArb }),
  { weight: 3, arbitrary: fc.constant({ kind: 'start' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('canary-result' as const), stats: statsArb, thresholds: fc.record({ failureRate: rateArb, wrongNumberRate: rateArb }), at: dateArb }) },
  fc.record({ kind: fc.constant('pause' as const), by: actorArb, at: dateArb }),
  { weight: 2, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'complete' as const }) },
  fc.record({ kind: fc.constant('cancel' as const), by: actorArb, at: dateArb }),
);

const sendArb = fc.record({
  recipientCount: fc.constantFrom(0, 1, 10, 50, 51, 100),
  templateCategory: fc.constantFrom('appointment', 'clinical', 'billing'),
  approvalThreshold: fc.constantFrom(undefined, 0, 50),
});

const at = new Date('2026-12-04T12:00:00Z');
/** The right procedure: preview, submit, approval by a second person, start, a clean canary, complete. */
const HAPPY: readonly BulkSendCommand[] = [
  { kind: 'preview', digest: 'd1', toSend: 0 },
  { kind: 'submit' },
  { kind: 'approve', by: 'bob', hasPermission: true, previewVersion: 1, previewDigest: 'd1', at },
  { kind: 'start' },
  { kind: 'canary-result', stats: { attempted: 10, failed: 0, wrongNumberReplies: 0 }, thresholds: { failureRate: 0.05, wrongNumberRate: 0.01 }, at },
  { kind: 'complete' },
];
/** A prefix of the procedure, then random commands: random interference at every stage. */
const commandsArb = fc.tuple(fc.integer({ min: 0, max: HAPPY.length }), fc.array(commandArb, { maxLength: 40 })).map(([k, noise]) => [...HAPPY.slice(0, k), ...noise]);

describe('bulk send state machine properties', () => {
  test.prop([sendArb, commandsArb], { numRuns: 1000 })(
    'never lets the requester approve, never leaves a terminal state, never runs unapproved when approval is required',
    (input, commands) => {
      const { approvalThreshold, ...rest } = input;
      let state: BulkSendState = newBulkSend(approvalThreshold === undefined ? { requestedBy: REQUESTER, ...rest } : { requestedBy: REQUESTER, approvalThreshold, ...rest });
      for (const command of commands) {
        const before = state;
        const snapshot = structuredClone(before);
        const allowed = allowedCommands(before);
        let next: BulkSendState;
        try {
          next = applyBulkSendCommand(before, command);
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
          expect(before).toEqual(snapshot);
          continue;
        }
        expect(before).toEqual(snapshot);
        expect(allowed).toContain(command.kind);
        // completed and cancelled are terminal
        expect(['completed', 'cancelled']).not.toContain(before.status);
        // the two-person rule
        if (next.approval !== null) {
          expect(next.approval.by).not.toBe(REQUESTER);
          expect(next.approval.by.trim()).not.toBe('');
        }
        if (command.kind === 'approve') {
          expect(command.hasPermission).toBe(true);
          expect(command.previewVersion).toBe(before.preview?.version);
          expect(command.previewDigest).toBe(before.preview?.digest);
        }
        if (['approved', 'running', 'paused', 'completed'].includes(next.status)) {
          if (next.approvalRequired) {
            expect(next.approval).not.toBeNull();
            // what was approved is what goes out: the preview cannot change after approval
            expect(next.approval?.previewVersion).toBe(next.preview?.version);
          }
          expect(next.preview).not.toBeNull();
        }
        if (next.status === 'running' || next.status === 'paused') expect(next.phase).not.toBeNull();
        if (next.status === 'paused') expect(next.pauseReason).not.toBeNull();
        state = next;
      }
    },
  );
});

describe('canary verdict properties', () => {
  test.prop([statsArb, fc.record({ failureRate: rateArb, wrongNumberRate: rateArb })], { numRuns: 1000 })('pauses exactly when a rate crosses its threshold', (stats, thresholds) => {
    const verdict = canaryVerdict(stats, thresholds);
    const crosses =
      stats.attempted > 0 && (stats.failed / stats.attempted > thresholds.failureRate || stats.wrongNumberReplies / stats.attempted > thresholds.wrongNumberRate);
    expect(verdict.action === 'pause').toBe(crosses);
    if (verdict.action === 'pause') expect(verdict.rate).toBeGreaterThan(verdict.threshold);
  });
});

describe('preview properties', () => {
  const verdictArb: fc.Arbitrary<RecipientVerdict> = fc.oneof(
    fc.record({ recipientId: fc.uuid(), verdict: fc.constant('send' as const) }),
    fc.record({ recipientId: fc.uuid(), verdict: fc.constant('skip' as const), reason: fc.constantFrom(...SKIP_REASONS) }),
  );
  test.prop([fc.array(verdictArb, { maxLength: 300 }), fc.integer({ min: 0, max: 50 })], { numRuns: 500 })('counts always add up; the sample is drawn from recipients to send to', (verdicts, k) => {
    const s = summarisePreview(verdicts, k);
    expect(s.total).toBe(verdicts.length);
    expect(s.toSend + s.skipped).toBe(s.total);
    expect(Object.values(s.skippedByReason).reduce((a, b) => a + b, 0)).toBe(s.skipped);
    for (const reason of SKIP_REASONS) {
      expect(s.skippedByReason[reason]).toBe(verdicts.filter((v) => v.verdict === 'skip' && v.reason === reason).length);
    }
    const sendIds = new Set(verdicts.filter((v) => v.verdict === 'send').map((v) => v.recipientId));
    expect(s.sampleRecipientIds).toHaveLength(Math.min(k, s.toSend));
    for (const id of s.sampleRecipientIds) expect(sendIds.has(id)).toBe(true);
    expect(summarisePreview(verdicts, k)).toEqual(s);
  });
});

describe('progress properties', () => {
  const changeArb = fc.record({ from: fc.option(fc.constantFrom(...MESSAGE_PROGRESS_STATUSES), { nil: null }), to: fc.constantFrom(...MESSAGE_PROGRESS_STATUSES) });
  test.prop([fc.array(changeArb, { maxLength: 100 })], { numRuns: 500 })('counts never go negative and each message is counted once', (changes) => {
    let p = EMPTY_PROGRESS;
    let entered = 0;
    for (const change of changes) {
      try {
        const next = reduceProgress(p, change);
        if (next !== p && change.from === null) entered += 1;
        p = next;
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
      }
      for (const s of MESSAGE_PROGRESS_STATUSES) expect(p[s]).toBeGreaterThanOrEqual(0);
      expect(progressTotal(p)).toBe(entered);
    }
  });
});
