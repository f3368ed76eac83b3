/**
 * The bulk send and its state machine (issue 8 items 2 and 3), with the two-person rule.
 *
 * Bulk sends are where the worst misdirected-message incidents happen (one hospital texted 78,000 numbers from a wrong
 * selection), and each misdirected message is a presumed breach (45 CFR 164.402(2)). So a large or clinical send needs
 * a second person, with the permission to approve, who looks at the same preview the requester saw; the requester can
 * never approve their own send (a safeguard in the sense of 45 CFR 164.530(c): reasonable safeguards against
 * impermissible disclosures). A started send goes out as a canary batch first and pauses by itself when failures or
 * wrong-number replies show the list is wrong, before the rest of it is sent.
 *
 * draft → previewed → (awaiting-approval →) approved → running ⇄ paused → completed; cancelled from any state before
 * completed. completed and cancelled are terminal.
 *
 * Pure: no I/O, no clock, no randomness. Times come in with the commands.
 */
import { DomainError } from '../errors.ts';

export const BULK_SEND_STATUSES = ['draft', 'previewed', 'awaiting-approval', 'approved', 'running', 'paused', 'completed', 'cancelled'] as const;
export type BulkSendStatus = (typeof BULK_SEND_STATUSES)[number];

/** Statuses nothing leaves. */
export const TERMINAL_STATUSES: readonly BulkSendStatus[] = ['completed', 'cancelled'];

/** Above this many recipients a send needs a second person's approval (issue 8: "default 50 recipients"). */
export const DEFAULT_APPROVAL_THRESHOLD = 50;

/** Template categories whose sends always need approval, whatever their size (issue 8 item 2). */
export const APPROVAL_CATEGORIES: readonly string[] = ['clinical'];

/** The canary batch is this share of the recipients … */
export const CANARY_SHARE = 0.01;
/** … but at least this many (a 1% of 300 is too small to show anything). */
export const CANARY_MINIMUM = 10;

/**
 * Default canary thresholds: pause when more than 5% of the canary's messages fail (a stale or wrong list shows as
 * carrier failures) or more than 1% draw a wrong-number reply (each of those is a misdirected message, a presumed
 * breach under 45 CFR 164.402(2), so the bar is low).
 */
export const DEFAULT_CANARY_THRESHOLDS: CanaryThresholds = Object.freeze({ failureRate: 0.05, wrongNumberRate: 0.01 });

export interface CanaryThresholds {
  /** pause when failed / attempted is strictly greater than this (0 … 1) */
  readonly failureRate: number;
  /** pause when wrong-number replies / attempted is strictly greater than this (0 … 1) */
  readonly wrongNumberRate: number;
}

/** What the canary batch showed so far. */
export interface CanaryStats {
  /** messages handed to the carrier (or refused by it) */
  readonly attempted: number;
  readonly failed: number;
  readonly wrongNumberReplies: number;
}

export type PauseReason =
  | { readonly kind: 'manual'; readonly by: string; readonly at: Date }
  | { readonly kind: 'canary-failure-rate' | 'canary-wrong-number-rate'; readonly rate: number; readonly threshold: number; readonly at: Date };

export type CanaryVerdict =
  | { readonly action: 'continue' }
  | { readonly action: 'pause'; readonly reason: 'canary-failure-rate' | 'canary-wrong-number-rate'; readonly rate: number; readonly threshold: number };

/** The preview both people look at: a version that changes with every new preview, and a digest of its content. */
export interface PreviewRef {
  readonly version: number;
  readonly digest: string;
  readonly toSend: number;
}

export interface Approval {
  readonly by: string;
  readonly at: Date;
  readonly previewVersion: number;
}

export interface BulkSendState {
  readonly status: BulkSendStatus;
  readonly requestedBy: string;
  readonly recipientCount: number;
  readonly templateCategory: string;
  readonly approvalThreshold: number;
  /** true when the two-person rule applies (more recipients than the threshold, or a clinical template) */
  readonly approvalRequired: boolean;
  readonly preview: PreviewRef | null;
  readonly approval: Approval | null;
  /** while running or paused: still in the canary batch, or past it */
  readonly phase: 'canary' | 'full' | null;
  readonly canarySize: number;
  readonly pauseReason: PauseReason | null;
  readonly cancelled: { readonly by: string; readonly at: Date } | null;
}

export type BulkSendCommand =
  | { readonly kind: 'preview'; readonly digest: string; readonly toSend: number } // draft|previewed|awaiting-approval -> previewed
  | { readonly kind: 'submit' } // previewed -> awaiting-approval (approval required) | approved
  | { readonly kind: 'approve'; readonly by: string; readonly hasPermission: boolean; readonly previewVersion: number; readonly previewDigest: string; readonly at: Date } // awaiting-approval -> approved
  | { readonly kind: 'reject'; readonly by: string; readonly hasPermission: boolean; readonly at: Date } // awaiting-approval -> previewed
  | { readonly kind: 'start' } // approved -> running (canary)
  | { readonly kind: 'canary-result'; readonly stats: CanaryStats; readonly thresholds: CanaryThresholds; readonly at: Date } // running canary -> running full | paused
  | { readonly kind: 'pause'; readonly by: string; readonly at: Date } // running -> paused
  | { readonly kind: 'resume' } // paused -> running
  | { readonly kind: 'complete' } // running (full) -> completed
  | { readonly kind: 'cancel'; readonly by: string; readonly at: Date }; // any but completed/cancelled -> cancelled

export const BULK_SEND_COMMAND_KINDS = ['preview', 'submit', 'approve', 'reject', 'start', 'canary-result', 'pause', 'resume', 'complete', 'cancel'] as const satisfies readonly BulkSendCommand['kind'][];

export interface NewBulkSend {
  readonly requestedBy: string;
  readonly recipientCount: number;
  readonly templateCategory: string;
  /** defaults to 50 */
  readonly approvalThreshold?: number;
}

/**
 * Whether the two-person rule applies: more recipients than the threshold, or a template category that always needs it.
 * @param recipientCount - recipients selected (before skips: a wrong selection is what the rule is for)
 */
export function approvalRequired(recipientCount: number, templateCategory: string, threshold: number = DEFAULT_APPROVAL_THRESHOLD): boolean {
  return recipientCount > threshold || APPROVAL_CATEGORIES.includes(templateCategory);
}

/** The canary batch's size: max(1% rounded up, 10), never more than the recipients. */
export function canarySize(recipientCount: number): number {
  return Math.min(recipientCount, Math.max(Math.ceil(recipientCount * CANARY_SHARE), CANARY_MINIMUM));
}

/**
 * Whether the canary batch shows a wrong list: pause exactly when a rate is strictly greater than its threshold; the
 * failure rate is checked first. With nothing attempted yet there is no evidence and the send continues.
 * @throws DomainError VALIDATION_FAILED on negative or non-integer counts, counts above `attempted`, or thresholds outside 0 … 1
 */
export function canaryVerdict(stats: CanaryStats, thresholds: CanaryThresholds = DEFAULT_CANARY_THRESHOLDS): CanaryVerdict {
  const issues: { pointer: string; message: string }[] = [];
  for (const key of ['attempted', 'failed', 'wrongNumberReplies'] as const) {
    const n = stats[key];
    if (!Number.isSafeInteger(n) || n < 0) issues.push({ pointer: `/stats/${key}`, message: 'must be a non-negative integer' });
  }
  if (issues.length === 0 && (stats.failed > stats.attempted || stats.wrongNumberReplies > stats.attempted)) {
    issues.push({ pointer: '/stats', message: 'failures and wrong-number replies cannot exceed the messages attempted' });
  }
  for (const key of ['failureRate', 'wrongNumberRate'] as const) {
    const t = thresholds[key];
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) issues.push({ pointer: `/thresholds/${key}`, message: 'must be a rate from 0 to 1' });
  }
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The canary statistics or thresholds are not valid.', { issues });
  if (stats.attempted === 0) return { action: 'continue' };
  const failureRate = stats.failed / stats.attempted;
  if (failureRate > thresholds.failureRate) return { action: 'pause', reason: 'canary-failure-rate', rate: failureRate, threshold: thresholds.failureRate };
  const wrongRate = stats.wrongNumberReplies / stats.attempted;
  if (wrongRate > thresholds.wrongNumberRate) return { action: 'pause', reason: 'canary-wrong-number-rate', rate: wrongRate, threshold: thresholds.wrongNumberRate };
  return { action: 'continue' };
}

/**
 * A new bulk send in status `draft`: recipients and template chosen, nothing previewed yet.
 * @throws DomainError VALIDATION_FAILED on a blank requester or category, or counts that are not non-negative integers
 */
export function newBulkSend(input: NewBulkSend): BulkSendState {
  const threshold = input.approvalThreshold ?? DEFAULT_APPROVAL_THRESHOLD;
  const issues: { pointer: string; message: string }[] = [];
  if (isBlank(input.requestedBy)) issues.push({ pointer: '/requestedBy', message: 'must name the requester' });
  if (isBlank(input.templateCategory)) issues.push({ pointer: '/templateCategory', message: 'must name the template category' });
  if (!isCount(input.recipientCount)) issues.push({ pointer: '/recipientCount', message: 'must be a non-negative integer' });
  if (!isCount(threshold)) issues.push({ pointer: '/approvalThreshold', message: 'must be a non-negative integer' });
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The bulk send is not valid.', { issues });
  return Object.freeze({
    status: 'draft',
    requestedBy: input.requestedBy,
    recipientCount: input.recipientCount,
    templateCategory: input.templateCategory,
    approvalThreshold: threshold,
    approvalRequired: approvalRequired(input.recipientCount, input.templateCategory, threshold),
    preview: null,
    approval: null,
    phase: null,
    canarySize: canarySize(input.recipientCount),
    pauseReason: null,
    cancelled: null,
  });
}

/**
 * The command kinds allowed now (for the console's buttons and the API's `allowedActions`). A listed kind can still
 * be refused for its content (an approval by the requester, of a stale preview); an unlisted kind is always refused.
 */
export function allowedCommands(state: BulkSendState): readonly BulkSendCommand['kind'][] {
  switch (state.status) {
    case 'draft':
      return ['preview', 'cancel'];
    case 'previewed':
      return ['preview', 'submit', 'cancel'];
    case 'awaiting-approval':
      return ['preview', 'approve', 'reject', 'cancel'];
    case 'approved':
      return ['start', 'cancel'];
    case 'running':
      return state.phase === 'canary' ? ['canary-result', 'pause', 'cancel'] : ['pause', 'complete', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    case 'completed':
    case 'cancelled':
      return [];
  }
}

/**
 * Applies one command and returns the new state; the input is never modified, and a refused command changes nothing.
 * - CONFLICT (409): the status does not allow the command (completed and cancelled are terminal: a cancelled send is
 *   never resumed), or the approver approves a preview other than the current one.
 * - ACCESS_DENIED (403): the approver lacks the permission, or is the requester (the two-person rule).
 * - VALIDATION_FAILED (400): a malformed command (blank names, invalid times, counts or digests).
 * Details name the rule, never submitted values.
 */
export function applyBulkSendCommand(state: BulkSendState, command: BulkSendCommand): BulkSendState {
  if (!allowedCommands(state).includes(command.kind)) {
    throw new DomainError('CONFLICT', `'${command.kind}' is not allowed on a bulk send in status ${state.status}.`, {
      extensions: { status: state.status, allowedActions: allowedCommands(state) },
    });
  }
  switch (command.kind) {
    case 'preview': {
      const issues: { pointer: string; message: string }[] = [];
      if (isBlank(command.digest)) issues.push({ pointer: '/digest', message: 'must identify the preview' });
      if (!isCount(command.toSend) || command.toSend > state.recipientCount) issues.push({ pointer: '/toSend', message: 'must be an integer from 0 to the recipient count' });
      if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The preview is not valid.', { issues });
      // A new preview replaces the old one: any approval request on the old one lapses and must be asked again.
      const version = (state.preview?.version ?? 0) + 1;
      return freeze({ ...state, status: 'previewed', preview: { version, digest: command.digest, toSend: command.toSend } });
    }
    case 'submit':
      return freeze({ ...state, status: state.approvalRequired ? 'awaiting-approval' : 'approved' });
    case 'approve': {
      requireActor(command.by, command.at);
      checkApprover(state, command.by, command.hasPermission);
      const preview = state.preview;
      if (preview === null || command.previewVersion !== preview.version || command.previewDigest !== preview.digest) {
        throw new DomainError('CONFLICT', 'The preview changed since it was shown; review the current preview and approve that one.', {
          extensions: { currentPreviewVersion: preview?.version ?? null },
        });
      }
      return freeze({ ...state, status: 'approved', approval: { by: command.by, at: command.at, previewVersion: preview.version } });
    }
    case 'reject':
      requireActor(command.by, command.at);
      checkApprover(state, command.by, command.hasPermission);
      return freeze({ ...state, status: 'previewed' });
    case 'start':
      if (state.approvalRequired && state.approval === null) throw new DomainError('CONFLICT', 'This bulk send needs a second person\'s approval before it starts.');
      return freeze({ ...state, status: 'running', phase: 'canary' });
    case 'canary-result': {
      if (!isValidDate(command.at)) throw new DomainError('VALIDATION_FAILED', 'The canary result needs a valid time.', { issues: [{ pointer: '/at', message: 'must be a valid time' }] });
      const verdict = canaryVerdict(command.stats, command.thresholds);
      if (verdict.action === 'continue') return freeze({ ...state, phase: 'full' });
      return freeze({ ...state, status: 'paused', pauseReason: { kind: verdict.reason, rate: verdict.rate, threshold: verdict.threshold, at: command.at } });
    }
    case 'pause':
      requireActor(command.by, command.at);
      return freeze({ ...state, status: 'paused', pauseReason: { kind: 'manual', by: command.by, at: command.at } });
    case 'resume':
      // A person resuming after an automatic canary pause has looked at the reason and accepts the rest of the list:
      // the send continues past the canary instead of pausing again on the same figures.
      return freeze({ ...state, status: 'running', phase: state.pauseReason !== null && state.pauseReason.kind !== 'manual' ? 'full' : state.phase, pauseReason: null });
    case 'complete':
      return freeze({ ...state, status: 'completed' });
    case 'cancel':
      requireActor(command.by, command.at);
      return freeze({ ...state, status: 'cancelled', cancelled: { by: command.by, at: command.at } });
  }
}

function checkApprover(state: BulkSendState, by: string, hasPermission: boolean): void {
  if (by === state.requestedBy) {
    throw new DomainError('ACCESS_DENIED', 'The requester cannot approve or reject their own bulk send; a second person must.', { extensions: { rule: 'two-person' } });
  }
  if (!hasPermission) {
    throw new DomainError('ACCESS_DENIED', 'Approving a bulk send needs the permission to approve bulk sends.', { extensions: { rule: 'approver-permission' } });
  }
}

function requireActor(by: string, at: Date): void {
  const issues: { pointer: string; message: string }[] = [];
  if (isBlank(by)) issues.push({ pointer: '/by', message: 'must name who did it' });
  if (!isValidDate(at)) issues.push({ pointer: '/at', message: 'must be a valid time' });
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The command is not valid.', { issues });
}

function freeze(state: BulkSendState): BulkSendState {
  return Object.freeze({ ...state });
}

function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

// ---- progress ----

/** A bulk message's status as the console counts it (issue 8 item 3). */
export const MESSAGE_PROGRESS_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed', 'skipped'] as const;
export type MessageProgressStatus = (typeof MESSAGE_PROGRESS_STATUSES)[number];

/** How many of a send's messages are in each status now; each message is counted once, in its current status. */
export type BulkProgress = Readonly<Record<MessageProgressStatus, number>>;

/** A message's status change; `from` is null for a message entering the count. */
export interface MessageStatusChange {
  readonly from: MessageProgressStatus | null;
  readonly to: MessageProgressStatus;
}

/** No messages yet. */
export const EMPTY_PROGRESS: BulkProgress = Object.freeze({ queued: 0, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0 });

const PROGRESS_RANK: Readonly<Record<MessageProgressStatus, number>> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4, skipped: 4 };

/**
 * Whether a status change moves a message forward. Carrier callbacks arrive late and out of order (a `delivered`
 * after `read`), so backward moves are ignored rather than refused; failed, read and skipped are final.
 */
export function isForwardChange(from: MessageProgressStatus | null, to: MessageProgressStatus): boolean {
  if (from === null) return to === 'queued' || to === 'skipped';
  if (from === 'failed' || from === 'skipped' || from === 'read') return false;
  if (to === 'skipped') return from === 'queued';
  return PROGRESS_RANK[to] > PROGRESS_RANK[from];
}

/**
 * The progress reducer: moves one message from its old status to the new one. A change that is not forward leaves the
 * progress as it was (same object), so replays and out-of-order callbacks never double count.
 * @throws DomainError VALIDATION_FAILED when `from` has no message to move (the counts would go negative)
 */
export function reduceProgress(progress: BulkProgress, change: MessageStatusChange): BulkProgress {
  if (!isForwardChange(change.from, change.to)) return progress;
  if (change.from !== null && progress[change.from] <= 0) {
    throw new DomainError('VALIDATION_FAILED', 'A status change names a status with no message in it.', { issues: [{ pointer: '/from', message: 'no message is counted in this status' }] });
  }
  const next: Record<MessageProgressStatus, number> = { ...progress };
  if (change.from !== null) next[change.from] -= 1;
  next[change.to] += 1;
  return Object.freeze(next);
}

/** @returns every message counted, in any status */
export function progressTotal(progress: BulkProgress): number {
  return MESSAGE_PROGRESS_STATUSES.reduce((sum, s) => sum + progress[s], 0);
}
