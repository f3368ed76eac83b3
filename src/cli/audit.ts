import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { keyIdOf } from '../adapters/crypto/audit-chain.ts';
import type { loadConfig } from '../config.ts';
import { createContainer } from '../container.ts';
import { auditExportCommands } from './audit-export.ts';
import { auditPatientCommand } from './audit-patient.ts';
import { checkpointsCommand } from './retention.ts';

/**
 * `wardline audit verify`: recomputes the audit trail's hash chain from the start and checks every signed checkpoint
 * against the trusted keys (this installation's signing key, and any `--public-key` files). Read-only. Exits 1 with
 * the position and kind of the first tampering found.
 */
export function auditCommand(config: () => ReturnType<typeof loadConfig>): Command {
  const audit = new Command('audit').description('the audit trail');
  audit.addCommand(checkpointsCommand(config));
  audit
    .command('verify')
    .description('verify the hash chain and signed checkpoints of the audit trail; exits 1 on tampering')
    .option('--public-key <file...>', 'also trust these Ed25519 public keys (PEM), e.g. the keys of earlier signing-key rotations')
    .action(async (opts: { publicKey?: string[] }) => {
      const container = await createContainer({ ...config(), dispatcher: 'off' });
      try {
        const extra = new Map<string, string>();
        for (const file of opts.publicKey ?? []) {
          const pem = await readFile(file, 'utf8');
          extra.set(keyIdOf(pem), pem);
        }
        const report = await container.auditSealer.verify({ runBy: 'cli', extraKeys: extra });
        if (report.ok) {
          console.log(`audit trail intact: ${String(report.events)} events in the chain, ${String(report.checkpoints)} signed checkpoints verified`);
        } else {
          console.log(`AUDIT TRAIL TAMPERED: ${report.problem ?? ''}`);
          console.log(`(the chain verified up to position ${String(report.events)}, with ${String(report.checkpoints)} checkpoints)`);
          process.exitCode = 1;
        }
      } finally {
        await container.close();
      }
    });
  for (const c of auditExportCommands(config)) audit.addCommand(c);
  audit.addCommand(auditPatientCommand(config));
  return audit;
}
