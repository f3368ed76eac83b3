import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import {
  EMPTY_PROGRESS,
  allowedCommands,
  applyBulkSendCommand,
  approvalRequired,
  canarySize,
  canaryVerdict,
  newBulkSend,
  progressTotal,
  reduceProgress,
  type BulkSendCommand,
  type BulkSendState,
} from './bulk-send.ts';
import { domainErrorOf } from '../testing/domain-error.ts';

const at = new Date('2026-12-04T12:00:00Z');

function run(state: BulkSendState, ...commands: BulkSendCommand[]): BulkSendState {
  return commands.reduce(applyBulkSendCommand, state);
}

const big = (): BulkSendState => newBulkSend({ requestedBy: 'alice', recipientCount: 1000, templateCategory: 'appointment' });
const approve = (by: string, previewVersion = 1, previewDigest = 'd1', hasPermission = true): BulkSendCommand => ({ kind: 'approve', by, hasPermission, previewVersion, previewDigest, at });

describe('two-person rule', () => {
  it('applies above the threshold or for clinical templates', () => {
    expect(approvalRequired(50, 'appointment')).toBe(false);
    expect(approvalRequired(51, 'appointment')).toBe(true);
    expect(approvalRequired(1, 'clinical')).toBe(true);
    expect(approvalRequired(10, 'appointment', 5)).toBe(true);
  });

  it('a large send goes draft → previewed → awaiting-approval → approved → running', () => {
    let s = run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' });
    expect(s.status).toBe('awaiting-approval');
    expect(allowedCommands(s)).toContain('approve');
    s = run(s, approve('bob'), { kind: 'start' });
    expect(s).toMatchObject({ status: 'running', phase: 'canary', approval: { by: 'bob', previewVersion: 1 } });
  });

  it('refuses the requester approving their own send', () => {
    const s = run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' });
    const e = domainErrorOf(() => applyBulkSendCommand(s, approve('alice')));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.extensions).toEqual({ rule: 'two-person' });
  });

  it('refuses an approver without the permission', () => {
    const s = run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' });
    expect(domainErrorOf(() => applyBulkSendCommand(s, approve('bob', 1, 'd1', false))).code).toBe('ACCESS_DENIED');
  });

  it('refuses approving a stale preview', () => {
    const s = run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' });
    // the requester re-previews (the list changed) and submits again: the approver still holds version 1
    const s2 = run(s, { kind: 'preview', digest: 'd2', toSend: 980 }, { kind: 'submit' });
    expect(domainErrorOf(() => applyBulkSendCommand(s2, approve('bob', 1, 'd1'))).code).toBe('CONFLICT');
    expect(domainErrorOf(() => applyBulkSendCommand(s2, approve('bob', 2, 'd1'))).code).toBe('CONFLICT');
    expect(applyBulkSendCommand(s2, approve('bob', 2, 'd2')).status).toBe('approved');
  });

  it('a small non-clinical send needs no second person', () => {
    const s = run(newBulkSend({ requestedBy: 'alice', recipientCount: 20, templateCategory: 'appointment' }), { kind: 'preview', digest: 'd', toSend: 20 }, { kind: 'submit' });
    expect(s.status).toBe('approved');
    expect(s.approval).toBeNull();
    expect(run(s, { kind: 'start' }).status).toBe('running');
  });

  it('a rejected send goes back to previewed', () => {
    const s = run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' }, { kind: 'reject', by: 'bob', hasPermission: true, at });
    expect(s.status).toBe('previewed');
  });
});

describe('lifecycle', () => {
  const running = (): BulkSendState => run(big(), { kind: 'preview', digest: 'd1', toSend: 990 }, { kind: 'submit' }, approve('bob'), { kind: 'start' });

  it('refuses resuming a cancelled send', () => {
    const s = run(running(), { kind: 'pause', by: 'alice', at }, { kind: 'cancel', by: 'alice', at });
    expect(s.status).toBe('cancelled');
    expect(allowedCommands(s)).toEqual([]);
    const e = domainErrorOf(() => applyBulkSendCommand(s, { kind: 'resume' }));
    expect(e.code).toBe('CONFLICT');
  });

  it('refuses starting before approval and skipping steps', () => {
    expect(domainErrorOf(() => applyBulkSendCommand(big(), { kind: 'start' })).code).toBe('CONFLICT');
    expect(domainErrorOf(() => applyBulkSendCommand(big(), { kind: 'submit' })).code).toBe('CONFLICT');
  });

  it('the canary pauses with its reason, and a person resuming continues past it', () => {
    const paused = run(running(), { kind: 'canary-result', stats: { attempted: 10, failed: 1, wrongNumberReplies: 0 }, thresholds: { failureRate: 0.05, wrongNumberRate: 0.01 }, at });
    expect(paused).toMatchObject({ status: 'paused', pauseReason: { kind: 'canary-failure-rate', rate: 0.1, threshold: 0.05 } });
    const resumed = run(paused, { kind: 'resume' });
    expect(resumed).toMatchObject({ status: 'running', phase: 'full', pauseReason: null });
    expect(run(resumed, { kind: 'complete' }).status).toBe('completed');
  });

  it('a good canary continues to the full send; completing needs the canary done', () => {
    const s = running();
    expect(domainErrorOf(() => applyBulkSendCommand(s, { kind: 'complete' })).code).toBe('CONFLICT');
    const full = run(s, { kind: 'canary-result', stats: { attempted: 10, failed: 0, wrongNumberReplies: 0 }, thresholds: { failureRate: 0.05, wrongNumberRate: 0.01 }, at });
    expect(full).toMatchObject({ status: 'running', phase: 'full' });
  });

  it('refuses malformed commands with VALIDATION_FAILED', () => {
    expect(domainErrorOf(() => applyBulkSendCommand(big(), { kind: 'preview', digest: ' ', toSend: 1 })).code).toBe('VALIDATION_FAILED');
    expect(domainErrorOf(() => applyBulkSendCommand(big(), { kind: 'preview', digest: 'd', toSend: 1001 })).code).toBe('VALIDATION_FAILED');
    expect(domainErrorOf(() => applyBulkSendCommand(big(), { kind: 'cancel', by: '', at })).code).toBe('VALIDATION_FAILED');
    expect(domainErrorOf(() => newBulkSend({ requestedBy: 'a', recipientCount: -1, templateCategory: 'x' })).code).toBe('VALIDATION_FAILED');
  });
});

describe('canary', () => {
  it('is max(1%, 10) recipients, never more than the list', () => {
    expect(canarySize(5)).toBe(5);
    expect(canarySize(300)).toBe(10);
    expect(canarySize(100_000)).toBe(1000);
    expect(canarySize(1001)).toBe(11);
  });

  it('pauses only when a rate is strictly above its threshold', () => {
    const t = { failureRate: 0.05, wrongNumberRate: 0.01 };
    expect(canaryVerdict({ attempted: 100, failed: 5, wrongNumberReplies: 1 }, t)).toEqual({ action: 'continue' });
    expect(canaryVerdict({ attempted: 100, failed: 6, wrongNumberReplies: 0 }, t)).toMatchObject({ action: 'pause', reason: 'canary-failure-rate' });
    expect(canaryVerdict({ attempted: 100, failed: 0, wrongNumberReplies: 2 }, t)).toMatchObject({ action: 'pause', reason: 'canary-wrong-number-rate' });
    expect(canaryVerdict({ attempted: 0, failed: 0, wrongNumberReplies: 0 })).toEqual({ action: 'continue' });
  });

  it('refuses impossible statistics', () => {
    expect(() => canaryVerdict({ attempted: 1, failed: 2, wrongNumberReplies: 0 })).toThrow(DomainError);
    expect(() => canaryVerdict({ attempted: 1, failed: 0, wrongNumberReplies: 0 }, { failureRate: 2, wrongNumberRate: 0 })).toThrow(DomainError);
  });
});

describe('progress', () => {
  it('counts each message once in its current status, ignoring late callbacks', () => {
    let p = EMPTY_PROGRESS;
    p = reduceProgress(p, { from: null, to: 'queued' });
    p = reduceProgress(p, { from: null, to: 'queued' });
    p = reduceProgress(p, { from: null, to: 'skipped' });
    p = reduceProgress(p, { from: 'queued', to: 'sent' });
    p = reduceProgress(p, { from: 'sent', to: 'read' });
    const before = p;
    p = reduceProgress(p, { from: 'read', to: 'delivered' }); // late delivery receipt
    expect(p).toBe(before);
    p = reduceProgress(p, { from: 'queued', to: 'failed' });
    expect(p).toEqual({ queued: 0, sent: 0, delivered: 0, read: 1, failed: 1, skipped: 1 });
    expect(progressTotal(p)).toBe(3);
  });

  it('refuses moving a message out of an empty status', () => {
    expect(() => reduceProgress(EMPTY_PROGRESS, { from: 'queued', to: 'sent' })).toThrow(DomainError);
  });
});
