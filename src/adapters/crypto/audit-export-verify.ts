import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import {
  eventFromCsv,
  type ExportedEvent,
  type ExportHeader,
  type ExportTrailer,
} from '../../core/audit/export-format.ts';
import { ACTION_SYSTEM, CHAIN_LINK_EXTENSION } from '../../core/audit/fhir-audit.ts';
import { chainHash, checkpointSignatureValid, keyIdOf } from './audit-chain.ts';

/**
 * Offline verification of an audit export (`wardline audit verify-export`; docs/audit-export.md), without the
 * database, in constant memory (one record at a time):
 * - every event's hash is chainHash(previousHash, event), so no exported event was altered after it was sealed;
 * - consecutive positions link (an event's previousHash is the hash of the exported event before it);
 * - a full export (no patient, no period, organisation-wide) holds every position from 1 to the header's head, and
 *   its last hash is the head's hash;
 * - the header's checkpoint signature holds for the trusted key, and where the export holds the checkpoint's
 *   position, that event's hash is the signed one (the export is anchored);
 * - the trailer is there, says complete, and its counts match.
 * A key given with `--public-key` is trusted from outside the file; the embedded key only proves the file is
 * consistent with itself (anyone rewriting the file can replace the key as well).
 */

export type ExportFileFormat = 'csv' | 'jsonl' | 'fhir';

export interface ExportVerifyReport {
  readonly ok: boolean;
  readonly format: ExportFileFormat | null;
  readonly events: number;
  readonly communications: number;
  /** The trailer was found, said complete and its counts matched. */
  readonly complete: boolean;
  /** The header's checkpoint is signed by the trusted key and an exported event sits at its position with its hash. */
  readonly anchored: boolean;
  /** Where the key the checkpoint was checked against came from. */
  readonly keyTrust: 'given' | 'embedded' | 'none';
  readonly problems: readonly string[];
}

const MAX_PROBLEMS = 20;

/** Feeds records in file order; `finish` gives the report. */
class Verifier {
  readonly problems: string[] = [];
  header: ExportHeader | null = null;
  trailer: ExportTrailer | null = null;
  events = 0;
  communications = 0;
  last: { position: number; hash: string } | null = null;
  anchored = false;
  keyTrust: ExportVerifyReport['keyTrust'] = 'none';
  signatureOk = false;

  readonly trustedKeyPem: string | null;

  constructor(trustedKeyPem: string | null) {
    this.trustedKeyPem = trustedKeyPem;
  }

  problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }

  onHeader(h: ExportHeader): void {
    if (this.header !== null || this.events > 0) {
      this.problem('a header record appears after the start');
      return;
    }
    if (h.format !== 'wardline-audit-export' || h.version !== 1) {
      this.problem('not a Wardline audit export (version 1) header');
      return;
    }
    this.header = h;
    const cp = h.checkpoint;
    if (cp === null) return;
    const key = this.trustedKeyPem ?? h.publicKeyPem;
    this.keyTrust = this.trustedKeyPem === null ? 'embedded' : 'given';
    if (keyIdOf(key) !== cp.keyId) {
      this.problem(
        `the checkpoint at position ${String(cp.position)} was signed by key ${cp.keyId}, not by the ${this.keyTrust} key`,
      );
      return;
    }
    if (!checkpointSignatureValid(key, cp.position, cp.hash, cp.signature)) {
      this.problem(`the checkpoint signature at position ${String(cp.position)} does not verify`);
      return;
    }
    this.signatureOk = true;
  }

  onEvent(x: ExportedEvent): void {
    if (this.header === null) {
      this.problem('an event comes before the header');
      return;
    }
    if (this.trailer !== null) {
      this.problem('an event comes after the trailer');
      return;
    }
    const { position, previousHash, hash } = x.chain;
    this.events += 1;
    if (!Number.isInteger(position) || position < 1 || position > this.header.chain.position)
      {this.problem(`position ${String(position)} is outside the chain the header covers`);}
    if (chainHash(previousHash, x.event) !== hash)
      {this.problem(
        `event ${x.event.eventId} at position ${String(position)} does not match its hash (altered)`,
      );}
    if (this.last !== null) {
      if (position <= this.last.position)
        {this.problem(
          `position ${String(position)} comes after ${String(this.last.position)} (reordered or repeated)`,
        );}
      else if (position === this.last.position + 1 && previousHash !== this.last.hash)
        {this.problem(`the link from position ${String(this.last.position)} to ${String(position)} is broken`);}
    }
    const expectedNext = (this.last?.position ?? 0) + 1;
    if (this.header.scope.full && position !== expectedNext)
      {this.problem(`a full export misses position ${String(expectedNext)}`);}
    if (this.header.scope.full && position === 1 && previousHash !== '0'.repeat(64))
      {this.problem('position 1 does not start from the genesis hash');}
    const cp = this.header.checkpoint;
    if (cp !== null && position === cp.position) {
      if (hash === cp.hash) this.anchored = this.signatureOk;
      else
        {this.problem(
          `the event at the checkpoint's position ${String(position)} does not have the signed hash`,
        );}
    }
    this.last = { position, hash };
  }

  onTrailer(t: ExportTrailer): void {
    if (this.header === null) {
      this.problem('a trailer comes before the header');
      return;
    }
    if (this.trailer !== null) {
      this.problem('two trailers');
      return;
    }
    this.trailer = t;
    if (!t.complete || t.exportId !== this.header.exportId)
      {this.problem('the trailer does not belong to this export');}
    if (t.events !== this.events || t.communications !== this.communications)
      {this.problem(
        `the trailer counts ${String(t.events)} events and ${String(t.communications)} communications; the file holds ${String(this.events)} and ${String(this.communications)}`,
      );}
    if (t.lastPosition !== (this.last?.position ?? 0))
      {this.problem('the trailer names another last position');}
  }

  finish(format: ExportFileFormat | null): ExportVerifyReport {
    if (this.header === null) this.problem('no header record: not an audit export, or its start is missing');
    if (this.trailer === null) this.problem('no trailer record: the export is incomplete (cut short)');
    const h = this.header;
    if (h !== null && h.scope.full && this.trailer !== null) {
      if ((this.last?.position ?? 0) !== h.chain.position)
        {this.problem(
          `a full export ends at position ${String(this.last?.position ?? 0)}, before the head ${String(h.chain.position)}`,
        );}
      else if ((this.last?.hash ?? '0'.repeat(64)) !== h.chain.hash)
        {this.problem("the last event's hash is not the head's hash");}
    }
    return {
      ok: this.problems.length === 0,
      format,
      events: this.events,
      communications: this.communications,
      complete: this.trailer !== null && this.problems.every((p) => !p.startsWith('the trailer')),
      anchored: this.anchored,
      keyTrust: this.keyTrust,
      problems: this.problems,
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON Lines record, or a FHIR Parameters `record` parameter. */
function onRecord(v: Verifier, record: unknown): void {
  if (!isRecord(record)) {
    v.problem('a record is not a JSON object');
    return;
  }
  if (record['type'] === 'header') {
    v.onHeader(record as unknown as ExportHeader);
    return;
  }
  if (record['type'] === 'trailer') {
    v.onTrailer(record as unknown as ExportTrailer);
    return;
  }
  if (record['type'] === 'event' && isRecord(record['event']) && isRecord(record['chain'])) {
    v.onEvent(record as unknown as ExportedEvent);
    return;
  }
  v.problem('a record of unknown type');
}

/** A Bundle entry line: the header/trailer Parameters, an AuditEvent (its chain-link extension) or a Communication. */
function onFhirEntry(v: Verifier, entry: unknown): void {
  const resource = isRecord(entry) ? entry['resource'] : undefined;
  if (!isRecord(resource)) {
    v.problem('a Bundle entry without a resource');
    return;
  }
  const type = resource['resourceType'];
  if (type === 'Parameters') {
    const params = Array.isArray(resource['parameter']) ? (resource['parameter'] as unknown[]) : [];
    const record = params.find((p) => isRecord(p) && p['name'] === 'record');
    if (isRecord(record) && typeof record['valueString'] === 'string')
      {onRecord(v, JSON.parse(record['valueString']));}
    else v.problem('a Parameters entry without its record');
    return;
  }
  if (type === 'Communication') {
    v.communications += 1;
    return undefined;
  }
  if (type !== 'AuditEvent') {
    v.problem(`an unexpected ${String(type)} entry`);
    return;
  }
  const ext = (Array.isArray(resource['extension']) ? (resource['extension'] as unknown[]) : []).find(
    (e) => isRecord(e) && e['url'] === CHAIN_LINK_EXTENSION,
  );
  const parts = new Map<string, unknown>();
  for (const p of isRecord(ext) && Array.isArray(ext['extension']) ? (ext['extension'] as unknown[]) : []) {
    if (isRecord(p) && typeof p['url'] === 'string')
      {parts.set(p['url'], p['valueString'] ?? p['valueInteger']);}
  }
  const eventText = parts.get('event');
  if (typeof eventText !== 'string') {
    v.problem(`AuditEvent ${String(resource['id'])} carries no chain link`);
    return;
  }
  const event = JSON.parse(eventText) as ExportedEvent['event'];
  // The resource must say what the hashed event says: its id, time and action.
  const subtype = Array.isArray(resource['subtype']) ? (resource['subtype'] as unknown[]) : [];
  const action = subtype.find((c) => isRecord(c) && c['system'] === ACTION_SYSTEM);
  if (
    resource['id'] !== event.eventId ||
    resource['recorded'] !== event.occurredAt ||
    !isRecord(action) ||
    action['code'] !== event.action
  ) {
    v.problem(`AuditEvent ${String(resource['id'])} differs from the event its chain link hashes`);
  }
  v.onEvent({
    event,
    chain: {
      position: Number(parts.get('position')),
      previousHash: String(parts.get('previousHash')),
      hash: String(parts.get('hash')),
    },
  });
}

async function detect(file: string): Promise<ExportFileFormat | null> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    const start = buffer.subarray(0, bytesRead).toString('utf8');
    if (start.startsWith('record,')) return 'csv';
    if (start.startsWith('{"resourceType":"Bundle"')) return 'fhir';
    if (start.startsWith('{"type":"header"')) return 'jsonl';
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * Verifies an export file (CSV, JSON Lines or FHIR, told apart by its first bytes) in constant memory.
 * @param file - the export
 * @param trustedKeyPem - the installation's checkpoint public key (PEM) from outside the file; null to use the embedded one
 */
export async function verifyExportFile(
  file: string,
  trustedKeyPem: string | null,
): Promise<ExportVerifyReport> {
  const v = new Verifier(trustedKeyPem);
  const format = await detect(file);
  if (format === 'csv') {
    const parser = createReadStream(file).pipe(parse({ columns: true, relax_column_count: false }));
    try {
      for await (const row of parser as AsyncIterable<Record<string, string>>) {
        const details = row['details'] ?? '';
        if (row['record'] === 'header')
          {onRecord(v, {
            type: 'header',
            chain: { position: Number(row['position']), hash: row['hash'] },
            ...(JSON.parse(details) as object),
          });}
        else if (row['record'] === 'trailer')
          {onRecord(v, { type: 'trailer', ...(JSON.parse(details) as object) });}
        else if (row['record'] === 'event') v.onEvent(eventFromCsv(row));
        else v.problem('a CSV row of unknown record type');
      }
    } catch {
      v.problem('the CSV is malformed (cut short?)');
    }
  } else if (format !== null) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n += 1;
      if (line === '') continue;
      try {
        if (format === 'jsonl') onRecord(v, JSON.parse(line));
        else if (n > 1 && line !== ']}')
          {onFhirEntry(v, JSON.parse(line.startsWith(',') ? line.slice(1) : line));}
      } catch {
        v.problem(`line ${String(n)} is not valid JSON (cut short?)`);
      }
    }
  }
  return v.finish(format);
}
