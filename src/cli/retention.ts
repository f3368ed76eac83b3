import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { exportCheckpoints, planRetention, purgeRetention, retentionCutoff, type RetentionPlan } from '../adapters/db/retention.repository.ts';
import type { loadConfig } from '../config.ts';
import { createContainer } from '../container.ts';

/** The plan in words an operator can check before purging. */
function describePlan(plan: RetentionPlan, years: number): string {
  return [
    `retention: ${String(years)} years; records before ${plan.cutoff.toISOString()} may go`,
    `messages older than that: ${String(plan.messages)}`,
    plan.audit === null
      ? `audit trail: nothing may go (checkpoints handed over through position ${String(plan.exportedThrough)}; the chain starts at ${String(plan.anchoredAt)})`
      : `audit trail: ${String(plan.audit.events)} events, chain positions ${String(plan.anchoredAt + 1)}–${String(plan.audit.throughPosition)} (up to the exported checkpoint at ${String(plan.audit.throughPosition)})`,
    ...(plan.heldForExport > 0 ? [`kept: ${String(plan.heldForExport)} older audit events no exported checkpoint covers yet (run \`wardline audit checkpoints --out FILE\` and hand the file over)`] : []),
  ].join('\n');
}

/**
 * `wardline retention plan|purge` (issue 6 item 6): shows, then carries out, the removal of records older than
 * WARDLINE_RETENTION_YEARS (six by default). The audit trail goes only up to a checkpoint already handed over.
 */
export function retentionCommand(config: () => ReturnType<typeof loadConfig>): Command {
  const retention = new Command('retention').description('records past the retention period (WARDLINE_RETENTION_YEARS, six by default)');
  retention
    .command('plan')
    .description('show what a purge would remove now, and what it must keep; changes nothing')
    .action(async () => {
      const c = config();
      const container = await createContainer({ ...c, dispatcher: 'off' });
      try {
        await container.auditSealer.sealAll();
        console.log(describePlan(await planRetention(container.database.db, retentionCutoff(container.deps.clock.now(), c.audit.retentionYears)), c.audit.retentionYears));
      } finally {
        await container.close();
      }
    });
  retention
    .command('purge')
    .description('remove the records the plan shows (needs DELETE on the audit tables: run it with the database owner role)')
    .option('--yes', 'really remove them')
    .action(async (opts: { yes?: boolean }) => {
      const c = config();
      const container = await createContainer({ ...c, dispatcher: 'off' });
      try {
        await container.auditSealer.sealAll();
        const cutoff = retentionCutoff(container.deps.clock.now(), c.audit.retentionYears);
        if (opts.yes !== true) {
          console.log(`${describePlan(await planRetention(container.database.db, cutoff), c.audit.retentionYears)}\nnothing removed: add --yes to purge`);
          process.exitCode = 2;
          return;
        }
        const done = await purgeRetention(container.database.db, cutoff, { uuid: randomUUID });
        console.log(`purged: ${String(done.messages)} messages, ${String(done.audit?.events ?? 0)} audit events; the chain now starts after position ${String(done.audit?.throughPosition ?? done.anchoredAt)}`);
      } catch (error) {
        if (error instanceof Error && /permission denied/i.test(error.message)) {
          console.error('the database role may not delete audit records (as intended): run the purge with the database owner role');
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await container.close();
      }
    });
  return retention;
}

/**
 * `wardline audit checkpoints --out FILE`: the signed checkpoints as JSON Lines, with the public key, for a third
 * party to hold (after this, a retention purge may remove the chain up to the newest of them).
 */
export function checkpointsCommand(config: () => ReturnType<typeof loadConfig>): Command {
  return new Command('checkpoints')
    .description('write the signed checkpoints (JSON Lines, with the public key) for a third party to hold; records the handover')
    .requiredOption('--out <file>', 'where to write them')
    .option('--after <position>', 'only checkpoints after this chain position', '0')
    .action(async (opts: { out: string; after: string }) => {
      const after = Number(opts.after);
      if (!Number.isSafeInteger(after) || after < 0) {
        console.error('--after must be a chain position (a whole number, 0 or more)');
        process.exitCode = 2;
        return;
      }
      const container = await createContainer({ ...config(), dispatcher: 'off' });
      try {
        await container.auditSealer.sealAll();
        const head = await container.auditSealer.head();
        const checkpoints = await exportCheckpoints(container.database.db, { actor: 'cli', uuid: randomUUID }, after);
        const lines = [
          { type: 'wardline-audit-checkpoints', version: 1, keyId: head.keyId, publicKey: head.publicKeyPem, payload: 'wardline-audit-checkpoint:v1:<position>:<hash>' },
          ...checkpoints.map((cp) => ({ type: 'checkpoint', position: cp.position, hash: cp.hash, keyId: cp.keyId, signature: cp.signature, signedAt: cp.signedAt.toISOString() })),
        ];
        await writeFile(opts.out, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, { mode: 0o600 });
        console.log(`${String(checkpoints.length)} checkpoints written${checkpoints.length > 0 ? `, through chain position ${String(checkpoints.at(-1)?.position)}` : ''}`);
      } finally {
        await container.close();
      }
    });
}
