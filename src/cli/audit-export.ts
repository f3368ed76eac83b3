import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { startAuditExport } from '../app/audit-export.ts';
import { bootstrapAdmin } from '../app/directory.ts';
import { ADMIN_ACTOR } from '../app/import-patients.ts';
import { verifyExportFile } from '../adapters/crypto/audit-export-verify.ts';
import { createAuditExportReader } from '../adapters/db/audit-export.repository.ts';
import type { loadConfig } from '../config.ts';
import { createContainer } from '../container.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../core/audit/export-format.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

interface ExportOptions {
  format: ExportFormat;
  patient?: string;
  from?: string;
  to?: string;
  out: string;
}

/** Progress on stderr: a bar on a terminal, otherwise a line at every 10 % (as `patients import`). */
function progressReporter(total: number): { update: (done: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ stream: process.stderr, format: 'exporting [{bar}] {percentage}% | {value}/{total} events' }, Presets.shades_classic);
    bar.start(total, 0);
    return {
      update: (done) => {
        bar.update(done);
      },
      stop: () => {
        bar.stop();
      },
    };
  }
  let lastTenth = 0;
  return {
    update(done) {
      const tenth = total === 0 ? 10 : Math.floor((done * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        console.error(`exporting: ${String(Math.min(100, tenth * 10))}% (${String(done)}/${String(total)} events)`);
      }
    },
    stop() {},
  };
}

/** The options' problems, by option name and rule (never echoing a value). */
function problemsOf(opts: ExportOptions): string[] {
  const problems: string[] = [];
  if (opts.patient !== undefined && !UUID.test(opts.patient)) problems.push('--patient must be a patient id (UUID)');
  for (const [name, value] of [['--from', opts.from], ['--to', opts.to]] as const) {
    if (value !== undefined && (!INSTANT.test(value) || Number.isNaN(Date.parse(value)))) problems.push(`${name} must be an ISO 8601 date or date-time with an offset`);
  }
  return problems;
}

async function runExport(config: ReturnType<typeof loadConfig>, opts: ExportOptions): Promise<number> {
  const problems = problemsOf(opts);
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    return 2;
  }
  const container = await createContainer({ ...config, dispatcher: 'off' });
  try {
    const { deps } = container;
    await bootstrapAdmin(deps, config.adminToken?.expose() ?? null);
    const reader = deps.auditExport ?? createAuditExportReader(container.database);
    const ctx = { actor: ADMIN_ACTOR, requestId: `cli-audit-export-${randomUUID()}`, via: 'cli' as const, sourceAddress: 'cli' };
    let exported;
    try {
      exported = await startAuditExport(deps, reader, ctx, {
        format: opts.format,
        patientId: opts.patient as PatientId | undefined,
        from: opts.from === undefined ? undefined : new Date(opts.from),
        to: opts.to === undefined ? undefined : new Date(opts.to),
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      console.error(`${error.code}: ${error.safeDetail ?? error.code}`);
      return 1;
    }
    const progress = progressReporter(await exported.total());
    let events = 0;
    try {
      await pipeline(
        Readable.from(
          exported.chunks((n) => {
            events = n;
            progress.update(n);
          }),
          { objectMode: false },
        ),
        createWriteStream(opts.out),
      );
    } catch (error) {
      progress.stop();
      console.error(`export failed (${error instanceof Error ? error.name : 'unknown error'}); ${opts.out} is incomplete (it has no trailer record)`);
      return 1;
    }
    progress.stop();
    console.log(`exported ${String(events)} audit events up to chain position ${String(exported.header.chain.position)} to ${opts.out} (export ${exported.header.exportId})`);
    return 0;
  } finally {
    await container.close();
  }
}

async function runVerify(file: string, opts: { publicKey?: string }): Promise<number> {
  const key = opts.publicKey === undefined ? null : await readFile(opts.publicKey, 'utf8');
  const report = await verifyExportFile(file, key);
  for (const p of report.problems) console.log(`PROBLEM: ${p}`);
  const anchor = report.anchored
    ? `anchored to a checkpoint signed by the ${report.keyTrust === 'given' ? 'given' : 'embedded (weaker: it proves self-consistency only)'} key`
    : 'not anchored to a signed checkpoint (the export does not hold the checkpoint position)';
  if (report.ok) {
    console.log(`audit export intact (${report.format ?? 'unknown'}): ${String(report.events)} events, ${String(report.communications)} communications, complete; ${anchor}`);
    return 0;
  }
  console.log(`AUDIT EXPORT NOT VERIFIED: ${String(report.problems.length)} problem(s); ${report.complete ? 'complete' : 'incomplete'}; ${anchor}`);
  return 1;
}

/**
 * `wardline audit export` and `wardline audit verify-export` (docs/audit-export.md).
 * @param config - loads the configuration (exits on invalid configuration)
 * @returns the two commands, for `wardline audit`
 */
export function auditExportCommands(config: () => ReturnType<typeof loadConfig>): Command[] {
  const exportCommand = new Command('export')
    .description('export the audit trail (a patient, a period, or everything) as CSV, JSON Lines or FHIR R4, as the administrator')
    .addOption(new Option('--format <format>', 'the file format').choices([...EXPORT_FORMATS]).default('jsonl'))
    .option('--patient <id>', 'only this patient')
    .option('--from <instant>', 'from this time (ISO 8601, inclusive)')
    .option('--to <instant>', 'up to this time (ISO 8601, exclusive)')
    .requiredOption('--out <file>', 'write the export to this file')
    .action(async (opts: ExportOptions) => {
      process.exitCode = await runExport(config(), opts);
    });
  const verifyCommand = new Command('verify-export')
    .description('verify an export file offline (hashes, links, checkpoint signature, completeness); exits 1 on any problem')
    .argument('<file>', 'the export (CSV, JSON Lines or FHIR)')
    .option('--public-key <file>', "the installation's checkpoint public key (PEM); without it the key embedded in the export is used (weaker)")
    .action(async (file: string, opts: { publicKey?: string }) => {
      process.exitCode = await runVerify(file, opts);
    });
  return [exportCommand, verifyCommand];
}
