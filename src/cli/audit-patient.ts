import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { renderEvidencePdf } from '../adapters/report/evidence-report.pdf.ts';
import type { RequestContext } from '../app/context.ts';
import { bootstrapAdmin } from '../app/directory.ts';
import { ADMIN_ACTOR } from '../app/import-patients.ts';
import type { ReportedMessage } from '../app/ports.ts';
import { evidenceReport, messageReportView, patientMessageReport } from '../app/regulator-report.ts';
import type { loadConfig } from '../config.ts';
import { createContainer } from '../container.ts';
import { isDomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import { reveal } from '../core/phi/phi.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

interface Options {
  readonly from: string;
  readonly to: string;
  readonly json: boolean;
  readonly pdf?: string;
}

/** A date argument, or the reason it is not one (the value itself is echoed: it is a date the operator typed, not PHI). */
function parseDate(flag: string, value: string): Date | string {
  const at = ISO.test(value) ? new Date(value) : new Date(Number.NaN);
  return Number.isNaN(at.getTime()) ? `${flag} must be an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T00:00:00Z` : at;
}

const iso = (d: Date | null): string => (d === null ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The default output: one line a message, the fields of the regulator's query (`--json` has every field in full). */
function printTable(items: readonly ReportedMessage[]): void {
  const rows = items.map((m) => [
    iso(m.createdAt),
    m.id,
    `${m.channel}/${m.category}`,
    `${m.senderName ?? m.sender.type} (${m.sender.type} ${m.sender.id})`,
    m.approval === null ? (m.consentBasis === 'override' ? 'override' : 'free text') : `${m.approval.templateName} v${String(m.approval.version)} by ${m.approval.decidedBy?.name ?? m.approval.decidedBy?.type ?? '-'}`,
    m.provider ?? '-',
    m.status,
    iso(m.times.deliveredAt),
    iso(m.times.readAt),
    m.relatedRecord === null ? '-' : `${m.relatedRecord.type}:${m.relatedRecord.id}`,
    m.content === null ? '(no content)' : clip(reveal(m.content.secureContent ?? m.content.body).replace(/\s+/g, ' '), 60),
  ]);
  const header = ['created', 'id', 'channel', 'sender', 'approval', 'carrier', 'status', 'delivered', 'read', 'related', 'content'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

async function run(config: ReturnType<typeof loadConfig>, patientId: string, opts: Options): Promise<number> {
  const from = parseDate('--from', opts.from);
  const to = parseDate('--to', opts.to);
  const problems = [...(UUID.test(patientId) ? [] : ['<patientId> must be a UUID']), ...[from, to].filter((d): d is string => typeof d === 'string')];
  if (problems.length > 0 || typeof from === 'string' || typeof to === 'string') {
    for (const p of problems) console.error(p);
    return 64;
  }
  const container = await createContainer({ ...config, dispatcher: 'off' });
  try {
    const { deps } = container;
    await bootstrapAdmin(deps, config.adminToken?.expose() ?? null);
    const ctx: RequestContext = { actor: ADMIN_ACTOR, requestId: `cli-audit-patient-${randomUUID()}`, via: 'cli', sourceAddress: 'cli' };
    const q = { patientId: patientId as PatientId, from, to };
    if (opts.pdf !== undefined) {
      const report = await evidenceReport(deps, ctx, q);
      await writeFile(opts.pdf, await renderEvidencePdf(report));
      console.log(`wrote the evidence report (${String(report.items.length)} messages) to ${opts.pdf}`);
      console.log(report.chain.ok ? `audit chain intact: ${String(report.chain.events)} events, ${String(report.chain.checkpoints)} signed checkpoints verified` : `AUDIT TRAIL TAMPERED: ${report.chain.problem ?? ''}`);
      return report.chain.ok ? 0 : 1;
    }
    const report = await patientMessageReport(deps, ctx, q);
    if (opts.json) {
      console.log(JSON.stringify({ patientId, from: from.toISOString(), to: to.toISOString(), contentIncluded: report.withContent, items: report.items.map(messageReportView) }, null, 2));
    } else {
      printTable(report.items);
      console.log(`${String(report.items.length)} messages`);
    }
    return 0;
  } catch (error) {
    // Domain errors carry reviewed, PHI-free text; anything else is reported by name only.
    if (isDomainError(error)) {
      console.error(`${error.code}: ${error.safeDetail ?? error.code}`);
      return 1;
    }
    console.error(`audit patient failed (${error instanceof Error ? error.name : 'unknown error'})`);
    return 1;
  } finally {
    await container.close();
  }
}

/**
 * `wardline audit patient <patientId> --from <iso> --to <iso> [--json] [--pdf <file>]`: the regulator's query for
 * one patient as a table (or JSON), or the PDF evidence report, run as the CLI administrator and audited as such.
 * @param config - loads the configuration (exits on invalid configuration)
 */
export function auditPatientCommand(config: () => ReturnType<typeof loadConfig>): Command {
  return new Command('patient')
    .description("the regulator's query: every message to a patient in a period, with content, sender, approval, delivery and read status")
    .argument('<patientId>', 'the patient')
    .requiredOption('--from <iso>', 'start of the period (inclusive), ISO 8601')
    .requiredOption('--to <iso>', 'end of the period (exclusive), ISO 8601')
    .option('--json', 'print JSON (every field, as GET /v1/messages answers) instead of a table', false)
    .option('--pdf <file>', 'write the PDF evidence report (with the audit chain verification) to this file')
    .action(async (patientId: string, opts: Options) => {
      process.exitCode = await run(config(), patientId, opts);
    });
}
