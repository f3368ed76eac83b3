import type { Kysely } from 'kysely';
import { describeProblem, type CheckpointSigner } from '../crypto/audit-chain.ts';
import type { AuditChain, AuditChainReport, Clock, VerificationRunBy } from '../../app/ports.ts';
import type { Logger } from '../../logger.ts';
import { chainHead, recentFullVerification, recordVerification, sealPending, verifyAuditChain, type SealOptions, type VerifyReport } from '../db/audit-chain.repository.ts';
import type { Database } from '../db/schema.ts';

/** Seals the audit trail (issue 6 item 2): a loop in every Wardline process; one sealer at a time wins the lock. */
export interface AuditSealer extends AuditChain {
  start(): void;
  stop(): Promise<void>;
  readonly signer: CheckpointSigner;
}

/** The port's report of a run, with where it started and the full run a tail run relies on. */
function toReport(report: VerifyReport, scope: 'full' | 'tail', fullVerifiedAt: Date | null): AuditChainReport {
  const p = report.problem;
  return {
    ok: report.ok,
    events: report.events,
    checkpoints: report.checkpoints,
    problem: p === null ? null : describeProblem(p),
    tampering: p === null ? null : { kind: p.kind, position: 'position' in p ? p.position : null },
    coverage: { scope, from: report.from, fullVerifiedAt },
  };
}

/** Unsealed events this much older than the chain's head are reported by `verify` and never sealed (see `sealPending`). */
export const SEAL_GRACE_MS = 60 * 60_000;

/**
 * @param db - the database
 * @param deps - the checkpoint key, the clock and the logger
 * @param options - how often to run, and the checkpoint rhythm
 */
export function createAuditSealer(
  db: Kysely<Database>,
  deps: { readonly signer: CheckpointSigner; readonly clock: Clock; readonly logger: Logger },
  options: { readonly intervalMs: number } & Omit<SealOptions, 'graceMs' | 'batch'>,
): AuditSealer {
  const seal: SealOptions = { ...options, graceMs: SEAL_GRACE_MS, batch: 5_000 };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  async function sealAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const { sealed } = await sealPending(db, deps.signer, deps.clock.now(), seal);
      total += sealed;
      if (sealed < seal.batch) return total;
    }
  }

  /** One verification run, recorded in `audit_verification` whatever it found. */
  async function run(runBy: VerificationRunBy, from: number | undefined, fullVerifiedAt: Date | null, extraKeys: ReadonlyMap<string, string>): Promise<AuditChainReport> {
    const startedAt = deps.clock.now();
    const report = await verifyAuditChain(db, new Map([[deps.signer.keyId, deps.signer.publicKeyPem], ...extraKeys]), SEAL_GRACE_MS, from);
    const scope = from === undefined ? 'full' : 'tail';
    const result = toReport(report, scope, fullVerifiedAt);
    const through = report.from + report.events;
    const sealed = await db.selectFrom('audit_seal').select('hash').where('position', '=', String(through)).executeTakeFirst();
    await recordVerification(db, {
      scope,
      startedAt,
      finishedAt: deps.clock.now(),
      fromPosition: report.from,
      throughPosition: through,
      throughHash: sealed?.hash ?? '',
      ok: report.ok,
      tampering: result.tampering,
      events: report.events,
      checkpoints: report.checkpoints,
      runBy,
    });
    return result;
  }

  function tick(): void {
    running = sealAll().catch((error: unknown) => {
      deps.logger.error({ err: error }, 'audit sealing failed');
    });
  }

  return {
    signer: deps.signer,
    start() {
      if (timer !== null || options.intervalMs === 0) return;
      timer = setInterval(() => {
        void running.then(tick);
      }, options.intervalMs);
      timer.unref();
    },
    /** Stops the loop and seals what this process wrote (a CLI command's events do not wait for the server). */
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running;
      await sealAll().catch((error: unknown) => {
        deps.logger.error({ err: error }, 'audit sealing failed');
      });
    },
    sealAll,
    async verify(options = {}) {
      return run(options.runBy ?? 'app', undefined, null, options.extraKeys ?? new Map());
    },
    async verifyRecent(runBy, maxAgeMs) {
      const full = maxAgeMs <= 0 ? null : await recentFullVerification(db, new Date(deps.clock.now().getTime() - maxAgeMs));
      return full === null ? run(runBy, undefined, null, new Map()) : run(runBy, full.checkpoint, full.finishedAt, new Map());
    },
    async head() {
      return { ...(await chainHead(db)), publicKeyPem: deps.signer.publicKeyPem, keyId: deps.signer.keyId };
    },
  };
}
