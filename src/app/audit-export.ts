import { auditActorOf, hasPermission, visibilityFilter, type VisibilityFilter } from '../core/access/actor.ts';
import { viewPermission } from '../core/access/permissions.ts';
import {
  csvColumns,
  csvEvent,
  csvHeader,
  csvTrailer,
  jsonlEvent,
  jsonlHeader,
  jsonlTrailer,
  type ExportedEvent,
  type ExportFormat,
  type ExportHeader,
  type ExportScope,
  type ExportTrailer,
} from '../core/audit/export-format.ts';
import { fhirClose, fhirEntry, fhirOpen, toFhirAuditEvent, toFhirCommunication, type ExportMessage } from '../core/audit/fhir-audit.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import { CATEGORIES, type Category } from '../core/messaging/channel.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';

/**
 * Audit exports (issue 6 item 4; docs/audit-export.md, docs/decisions/0016-audit-exports.md): the audit trail of a
 * patient, a period or everything the caller may export, as CSV, JSON Lines or a FHIR R4 Bundle, streamed page by
 * page (constant memory). HIPAA §164.312(b): the trail can be examined outside Wardline, and each export is itself
 * audited — `audit.export-started` before the first byte, `audit.exported` (with counts) only when the last page
 * was handed over, `audit.export-aborted` when the stream stopped early.
 */

/** Events and messages are read this many rows at a time: one page per chunk of the export. */
export const EXPORT_PAGE = 5_000;

/** Which sealed events an export holds: up to `upTo` (the head when the export started), in its scope. */
export interface EventScope {
  readonly upTo: number;
  readonly patientId: PatientId | null;
  readonly from: Date | null;
  readonly to: Date | null;
  /** Non-null: only events of patients it admits (and no event without a patient). */
  readonly visibility: VisibilityFilter | null;
}

/** One page of messages, oldest first, after the cursor (creation time in microseconds as ISO text, and id). */
export interface MessagePageQuery {
  readonly after: { readonly createdAt: string; readonly id: string } | null;
  readonly limit: number;
  readonly patientId: PatientId | null;
  readonly from: Date | null;
  readonly to: Date | null;
  readonly visibility: VisibilityFilter | null;
  readonly categories: readonly Category[];
}

/** The paged reads an export needs (src/adapters/db/audit-export.repository.ts). */
export interface AuditExportReader {
  /**
   * The scope's events in chain order, in pages of at most `pageSize`, reading ahead while the caller handles a page
   * (never more than about two pages in memory). Stopping the iteration early ends the read.
   */
  eventPages(q: EventScope, pageSize: number): AsyncGenerator<ExportedEvent[], void, undefined>;
  /** How many events the export will hold (for a progress bar). */
  countEvents(q: EventScope): Promise<number>;
  /** Messages under row-level security for `visibility`; `cursor` is the page's last row's key. */
  messages(q: MessagePageQuery): Promise<{ rows: ExportMessage[]; cursor: { createdAt: string; id: string } | null }>;
}

export interface ExportRequest {
  readonly format: ExportFormat;
  readonly patientId?: PatientId | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
}

export interface AuditExport {
  readonly header: ExportHeader;
  readonly contentType: string;
  readonly fileName: string;
  /** Events the export will hold. */
  total(): Promise<number>;
  /**
   * The export's text, a page per chunk. Iterate it once; stopping early (or a failed read) records
   * `audit.export-aborted`, finishing records `audit.exported`.
   * @param onProgress - called with the number of events written so far, after each page
   */
  chunks(onProgress?: (events: number) => void): AsyncGenerator<string, void, undefined>;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
  fhir: 'application/fhir+json; fhirVersion=4.0; charset=utf-8',
};
const EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', jsonl: 'jsonl', fhir: 'fhir.json' };

/**
 * Checks the caller and the request, records `audit.export-started`, seals the trail so the export covers it, and
 * returns the export, ready to stream. Needs `audit.export`; another ward's patient answers 404 like an unknown one
 * (audited). Without a patient, a caller who is not organisation-wide gets the events of the patients it may see
 * and no event without a patient.
 * @param deps - app dependencies
 * @param reader - the paged reads
 * @param ctx - the caller
 * @param request - format, patient, period [from, to)
 */
export async function startAuditExport(deps: AppDeps, reader: AuditExportReader, ctx: RequestContext, request: ExportRequest): Promise<AuditExport> {
  await requirePermission(deps.store, ctx, 'audit.export');
  const { format, patientId = null, from = null, to = null } = request;
  if (from !== null && to !== null && from.getTime() >= to.getTime()) throw new DomainError('EXPORT_RANGE_INVALID', '`from` must be earlier than `to`.');
  if (patientId !== null) await loadAccessiblePatient(deps.store, ctx, patientId);
  const visibility = patientId === null ? visibilityFilter(ctx.actor) : null;
  const exportId = deps.ids.uuid();
  const scope: ExportScope = { patientId, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null, full: patientId === null && from === null && to === null && visibility === null };
  const audit = auditOf(deps, ctx, { exportId, format, patientId, scope: patientId === null ? 'all' : 'patient', from: scope.from, to: scope.to });
  await audit('audit.export-started', 'success', {});
  // Sealed after the start was recorded, so the export covers its own start.
  await deps.auditChain.sealAll();
  const head = await deps.auditChain.head();
  const header: ExportHeader = {
    type: 'header',
    format: 'wardline-audit-export',
    version: 1,
    exportId,
    generatedAt: deps.clock.now().toISOString(),
    scope,
    chain: { position: head.position, hash: head.hash },
    checkpoint: head.checkpoint === null ? null : { ...head.checkpoint, signedAt: head.checkpoint.signedAt.toISOString() },
    publicKeyPem: head.publicKeyPem,
    keyId: head.keyId,
  };
  const eventQuery = { upTo: head.position, patientId, from, to, visibility };
  const categories = CATEGORIES.filter((c) => hasPermission(ctx.actor, viewPermission(c)));
  const messageQuery = { patientId, from, to, visibility: visibilityFilter(ctx.actor), categories };
  return {
    header,
    contentType: CONTENT_TYPES[format],
    fileName: `wardline-audit-${exportId}.${EXTENSIONS[format]}`,
    total: () => reader.countEvents(eventQuery),
    async *chunks(onProgress) {
      const counts = { events: 0, communications: 0, lastPosition: 0 };
      let recorded = false;
      try {
        yield format === 'csv' ? csvColumns() + csvHeader(header) : format === 'jsonl' ? jsonlHeader(header) : fhirOpen(header);
        const line = format === 'csv' ? csvEvent : format === 'jsonl' ? jsonlEvent : (e: ExportedEvent) => fhirEntry(toFhirAuditEvent(e));
        for await (const page of reader.eventPages(eventQuery, EXPORT_PAGE)) {
          yield page.map(line).join('');
          counts.events += page.length;
          counts.lastPosition = page.at(-1)?.chain.position ?? counts.lastPosition;
          onProgress?.(counts.events);
        }
        // Communications only in FHIR, and only in the categories the caller may view (none without a view permission).
        for (let cursor: { createdAt: string; id: string } | null = null; format === 'fhir' && categories.length > 0; ) {
          const page = await reader.messages({ ...messageQuery, after: cursor, limit: EXPORT_PAGE });
          if (page.rows.length === 0) break;
          yield page.rows.map((m) => fhirEntry(toFhirCommunication(m))).join('');
          counts.communications += page.rows.length;
          cursor = page.cursor;
          if (page.rows.length < EXPORT_PAGE) break;
        }
        const trailer: ExportTrailer = { type: 'trailer', complete: true, exportId, ...counts };
        yield format === 'csv' ? csvTrailer(trailer) : format === 'jsonl' ? jsonlTrailer(trailer) : fhirClose(trailer);
        await audit('audit.exported', 'success', { ...counts, chainPosition: head.position });
        recorded = true;
      } finally {
        if (!recorded) {
          // Stopped early (the client went away, or a read failed): never counted as complete.
          await audit('audit.export-aborted', 'failure', { ...counts, chainPosition: head.position }).catch((error: unknown) => {
            deps.logger.error({ err: error, exportId }, 'recording an aborted audit export failed');
          });
        }
      }
    },
  };
}

type Details = Readonly<Record<string, string | number | boolean | null>>;

function auditOf(deps: AppDeps, ctx: RequestContext, what: { exportId: string; format: ExportFormat; patientId: PatientId | null; scope: string; from: string | null; to: string | null }) {
  return (action: 'audit.export-started' | 'audit.exported' | 'audit.export-aborted', outcome: 'success' | 'failure', extra: Details): Promise<void> =>
    deps.store.audit.append({
      actor: auditActorOf(ctx.actor),
      action,
      outcome,
      targetType: what.patientId === null ? 'system' : 'patient',
      targetId: what.patientId,
      patientId: what.patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { exportId: what.exportId, format: what.format, scope: what.scope, from: what.from, to: what.to, via: ctx.via, ...extra },
    });
}
