import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { parse } from 'csv-parse/sync';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_PAGE, startAuditExport, type AuditExportReader } from '../src/app/audit-export.ts';
import { ADMIN_ACTOR } from '../src/app/import-patients.ts';
import { chainHash, checkpointSignatureValid, GENESIS_HASH } from '../src/adapters/crypto/audit-chain.ts';
import { verifyExportFile } from '../src/adapters/crypto/audit-export-verify.ts';
import { isoMicros } from '../src/adapters/db/audit-export.repository.ts';
import { csvEvent, csvField, eventFromCsv, jsonlEvent, type ExportedEvent, type ExportHeader, type ExportTrailer } from '../src/core/audit/export-format.ts';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

type Line = ExportHeader | ExportTrailer | ({ type: 'event' } & ExportedEvent);

function jsonl(body: string): { header: ExportHeader; events: ExportedEvent[]; trailer: ExportTrailer | undefined } {
  const lines = body.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
  const [first, ...rest] = lines;
  expect(first?.type).toBe('header');
  const last = rest.at(-1);
  return {
    header: first as ExportHeader,
    events: rest.filter((l): l is { type: 'event' } & ExportedEvent => l.type === 'event'),
    trailer: last?.type === 'trailer' ? last : undefined,
  };
}

/** Each event's hash recomputed from its previous hash and the event as exported; consecutive positions linked. */
function expectChained(events: readonly ExportedEvent[]): void {
  let previous: ExportedEvent | null = null;
  for (const e of events) {
    expect(chainHash(e.chain.previousHash, e.event)).toBe(e.chain.hash);
    if (previous !== null && e.chain.position === previous.chain.position + 1) expect(e.chain.previousHash).toBe(previous.chain.hash);
    previous = e;
  }
}

/**
 * Issue 6 item 4: `GET /v1/audit/export` streams the audit trail as JSON Lines or CSV, framed by a header (chain head,
 * signed checkpoint) and a trailer (complete, counts); every export is audited; access is filtered like every read.
 */
describe.each(DATABASES)('audit export over HTTP (%s)', (database) => {
  let h: Harness;
  let dir: string;
  let wardA: string;
  let patientA: string;
  let patientB: string;
  let auditor: { id: string; headers: { authorization: string } };
  let nurse: { id: string; headers: { authorization: string } };

  const get = (url: string, headers = h.admin) => h.app.inject({ method: 'GET', url, headers });
  const auditOf = (exportId: string) =>
    h.container.database.db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'actor_id', 'patient_id', 'details'])
      .where(sql<boolean>`details->>'exportId' = ${exportId}`)
      .orderBy('id')
      .execute();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-export-'));
    // The background sealer off: each export seals what it needs itself.
    h = await createHarness(database, { WARDLINE_AUDIT_SEAL_MS: '0' });
    wardA = await givenWard(h, 'Ward Export A');
    const wardB = await givenWard(h, 'Ward Export B');
    patientA = (await givenPatient(h, { wardId: wardA, consent: ['sms'] })).id;
    patientB = (await givenPatient(h, { wardId: wardB, consent: ['sms'] })).id;
    expect((await sendMessage(h, { patientId: patientA })).statusCode).toBe(202);
    const set = await h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: h.admin, payload: { name: 'ward_auditor', label: 'Ward auditor', permissions: ['audit.export', 'message.view.administrative'] } });
    expect(set.statusCode).toBe(201);
    auditor = await givenUser(h, { username: 'ward.auditor', permissionSets: ['ward_auditor'], wardIds: [wardA] });
    nurse = await givenUser(h, { username: 'export.nurse', permissionSets: ['nurse'], wardIds: [wardA] });
    expect((await get(`/v1/patients/${patientA}`)).statusCode).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams every sealed event as JSON Lines: header with the signed checkpoint, linked events, a complete trailer', async () => {
    const res = await get('/v1/audit/export?format=jsonl');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const { header, events, trailer } = jsonl(res.body);
    expect(res.headers['x-wardline-chain-position']).toBe(String(header.chain.position));
    expect(header.scope).toEqual({ patientId: null, from: null, to: null, full: true });
    // A full export: positions 1..head, from the genesis hash, ending at the head's hash.
    expect(events.map((e) => e.chain.position)).toEqual(Array.from({ length: header.chain.position }, (_, i) => i + 1));
    expect(events[0]?.chain.previousHash).toBe(GENESIS_HASH);
    expect(events.at(-1)?.chain.hash).toBe(header.chain.hash);
    expectChained(events);
    // The export covers its own start.
    expect(events.at(-1)?.event.action).toBe('audit.export-started');
    const cp = header.checkpoint;
    expect(cp).not.toBeNull();
    expect(checkpointSignatureValid(header.publicKeyPem, cp!.position, cp!.hash, cp!.signature)).toBe(true);
    expect(events.find((e) => e.chain.position === cp!.position)?.chain.hash).toBe(cp!.hash);
    expect(trailer).toEqual({ type: 'trailer', complete: true, exportId: header.exportId, events: events.length, communications: 0, lastPosition: header.chain.position });
    // Audited: started before the first byte, completed with its counts after the last.
    const audit = await auditOf(header.exportId);
    expect(audit.map((a) => [a.action, a.outcome, a.actor_id])).toEqual([
      ['audit.export-started', 'success', '00000000-0000-4000-8000-000000000001'],
      ['audit.exported', 'success', '00000000-0000-4000-8000-000000000001'],
    ]);
    expect(audit[1]?.details).toMatchObject({ format: 'jsonl', scope: 'all', events: events.length, chainPosition: header.chain.position, via: 'api' });
    // And it verifies offline, anchored to the signed checkpoint.
    const file = join(dir, 'full.jsonl');
    await writeFile(file, res.body);
    const report = await verifyExportFile(file, header.publicKeyPem);
    expect(report).toMatchObject({ ok: true, format: 'jsonl', complete: true, anchored: true, keyTrust: 'given', events: events.length });
  });

  it('streams CSV that parses back to the same chained events, between a header row and a trailer row', async () => {
    const res = await get('/v1/audit/export?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = parse<Record<string, string>>(res.body, { columns: true });
    expect(rows[0]?.['record']).toBe('header');
    expect(rows.at(-1)?.['record']).toBe('trailer');
    const events = rows.filter((r) => r['record'] === 'event').map(eventFromCsv);
    expect(events.length).toBeGreaterThan(5);
    expectChained(events);
    expect(Number(rows[0]?.['position'])).toBe(events.at(-1)?.chain.position);
    expect(JSON.parse(rows.at(-1)?.['details'] ?? '')).toMatchObject({ complete: true, events: events.length });
    const file = join(dir, 'full.csv');
    await writeFile(file, res.body);
    expect(await verifyExportFile(file, null)).toMatchObject({ ok: true, format: 'csv', complete: true, anchored: true, keyTrust: 'embedded' });
  });

  it("exports one patient's events only, within a period, and records the scope", async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const res = await get(`/v1/audit/export?format=jsonl&patientId=${patientA}&from=${encodeURIComponent(from)}`);
    expect(res.statusCode).toBe(200);
    const { header, events, trailer } = jsonl(res.body);
    expect(header.scope).toMatchObject({ patientId: patientA, from, full: false });
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((e) => e.event.patientId === patientA)).toBe(true);
    expect(new Set(events.map((e) => e.event.action))).toContain('message.queued');
    expectChained(events);
    expect(trailer?.events).toBe(events.length);
    const audit = await auditOf(header.exportId);
    expect(audit[0]).toMatchObject({ action: 'audit.export-started', patient_id: patientA });
  });

  it('gives a ward-bound exporter only the events of its patients, and none without a patient', async () => {
    const res = await get('/v1/audit/export', auditor.headers);
    expect(res.statusCode).toBe(200);
    const { header, events, trailer } = jsonl(res.body);
    expect(header.scope.full).toBe(false);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.event.patientId === patientA)).toBe(true);
    expect(trailer?.complete).toBe(true);
  });

  it("answers another ward's patient as unknown (404), and audits the denial", async () => {
    const res = await get(`/v1/audit/export?patientId=${patientB}`, auditor.headers);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    const denied = await h.container.database.db.selectFrom('audit_event').select(['action', 'reason']).where('actor_id', '=', auditor.id).where('action', '=', 'access.denied').execute();
    expect(denied).toEqual([{ action: 'access.denied', reason: "outside the actor's sharing" }]);
    const unknown = await get('/v1/audit/export?patientId=6f1c1f1e-8a5e-4f3a-9c1e-000000000000', auditor.headers);
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses callers without audit.export (403), reversed ranges and malformed parameters (400)', async () => {
    expect((await get('/v1/audit/export', nurse.headers)).statusCode).toBe(403);
    const reversed = await get('/v1/audit/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toMatchObject({ code: 'EXPORT_RANGE_INVALID' });
    const empty = await get('/v1/audit/export?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(empty.json()).toMatchObject({ code: 'EXPORT_RANGE_INVALID' });
    for (const q of ['format=xml', 'from=yesterday', 'patientId=not-a-uuid', 'limit=5', 'to=2026-13-45']) {
      const res = await get(`/v1/audit/export?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json(), q).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.body, q).not.toContain('yesterday');
    }
  });

  it('records an interrupted export as aborted, never as exported, and a cut file verifies as incomplete', async () => {
    const reader = h.container.deps.auditExport;
    const ctx = { actor: ADMIN_ACTOR, requestId: 'test-interrupted', via: 'api' as const, sourceAddress: '127.0.0.1' };
    const exported = await startAuditExport(h.container.deps, reader, ctx, { format: 'jsonl' });
    const chunks = exported.chunks();
    const first = await chunks.next();
    expect(first.value).toContain('"type":"header"');
    await chunks.return(undefined); // the client went away
    const audit = await auditOf(exported.header.exportId);
    expect(audit.map((a) => a.action)).toEqual(['audit.export-started', 'audit.export-aborted']);
    expect(audit[1]).toMatchObject({ outcome: 'failure' });
    // A download cut short: no trailer, so verification says incomplete.
    const full = (await get('/v1/audit/export')).body;
    const cut = full.split('\n').slice(0, -3).join('\n');
    const file = join(dir, 'cut.jsonl');
    await writeFile(file, cut);
    const report = await verifyExportFile(file, null);
    expect(report.ok).toBe(false);
    expect(report.complete).toBe(false);
    expect(report.problems.join('\n')).toContain('no trailer');
  });

  it('detects an event altered in the file and a forged checkpoint key', async () => {
    const body = (await get('/v1/audit/export')).body;
    const file = join(dir, 'tampered.jsonl');
    await writeFile(file, body.replace('"action":"patient.viewed"', '"action":"patient.created"'));
    const altered = await verifyExportFile(file, null);
    expect(altered.ok).toBe(false);
    expect(altered.problems.join('\n')).toMatch(/does not match its hash/);
    await writeFile(file, body);
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const wrongKey = await verifyExportFile(file, otherKey);
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.anchored).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(body);
  });

  it('exports text with tabs, newlines, backslashes, quotes and other scripts exactly as the chain hashed it', async () => {
    // On PostgreSQL the rows arrive in COPY's text format, where these characters are escaped: the hashes only
    // match if every one comes back as written.
    const awkward = 'tab\there\nnew line\r\\N back\\slash "quoted" \u000b漢字 مرحبا 🎉 \\t';
    await h.container.deps.store.audit.append({
      actor: { type: 'system', id: 'wardline' },
      action: 'webhook.rejected',
      outcome: 'denied',
      targetType: 'webhook',
      targetId: null,
      patientId: null,
      reason: awkward,
      requestId: null,
      details: { note: awkward, count: 1.5, none: null },
    });
    const body = (await get('/v1/audit/export?format=jsonl')).body;
    const { events, trailer } = jsonl(body);
    expect(trailer?.complete).toBe(true);
    const found = events.filter((e) => e.event.reason === awkward);
    expect(found).toHaveLength(1);
    expect(found[0]?.event.details).toEqual({ note: awkward, count: 1.5, none: null });
    expectChained(events);
    const file = join(dir, 'awkward.jsonl');
    await writeFile(file, body);
    expect((await verifyExportFile(file, null)).ok).toBe(true);
  });

  it('reads a large trail in pages of EXPORT_PAGE rows, never more than a page per chunk', async () => {
    const n = 2 * EXPORT_PAGE + 321;
    await sql`INSERT INTO audit_event (event_id, actor_type, actor_id, action, outcome, target_type, details)
      SELECT gen_random_uuid(), 'system', 'wardline', 'webhook.rejected', 'denied', 'webhook', jsonb_build_object('n', g)
      FROM generate_series(1, ${n}) g`.execute(h.container.database.db);
    const base = h.container.deps.auditExport;
    const pages: number[] = [];
    const reader: AuditExportReader = {
      ...base,
      async *eventPages(q, pageSize) {
        expect(pageSize).toBe(EXPORT_PAGE);
        for await (const page of base.eventPages(q, pageSize)) {
          pages.push(page.length);
          yield page;
        }
      },
    };
    const ctx = { actor: ADMIN_ACTOR, requestId: 'test-paged', via: 'api' as const, sourceAddress: '127.0.0.1' };
    const exported = await startAuditExport(h.container.deps, reader, ctx, { format: 'csv' });
    const total = await exported.total();
    expect(total).toBe(exported.header.chain.position);
    let largest = 0;
    let rows = 0;
    for await (const chunk of exported.chunks()) {
      const count = chunk.split('\r\n').length - 1;
      largest = Math.max(largest, count);
      rows += count;
    }
    expect(pages.every((p) => p <= EXPORT_PAGE)).toBe(true);
    expect(pages.length).toBe(Math.ceil(total / EXPORT_PAGE));
    expect(pages.reduce((a, b) => a + b, 0)).toBe(total);
    expect(largest).toBeLessThanOrEqual(EXPORT_PAGE);
    expect(rows).toBe(total + 3); // column names, header, events, trailer
  });
});

describe('CSV rows are lossless and formula-safe', () => {
  const text = fc.oneof(fc.constant(null), fc.constant(''), fc.string(), fc.constantFrom('=cmd|x', '+1', '-2', '@sum', "'quoted", 'a,b', 'line\nbreak', 'say "hi"'));
  const event = fc.record({
    eventId: fc.uuid(),
    occurredAt: fc.constant('2026-01-01T00:00:00.000001Z'),
    actorType: fc.constantFrom('user', 'system'),
    actorId: text,
    action: fc.constant('patient.viewed'),
    outcome: fc.constant('success'),
    targetType: fc.constant('patient'),
    targetId: text,
    patientId: text,
    reason: text,
    requestId: text,
    sourceAddress: text,
    onBehalfOf: text,
    details: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))),
  });

  test.prop([event])('parses back to the event the chain hashed, whatever its text', (e) => {
    const x: ExportedEvent = { event: e, chain: { position: 7, previousHash: 'a'.repeat(64), hash: 'b'.repeat(64) } };
    const [row] = parse<Record<string, string>>(`record,position,previous_hash,hash,event_id,occurred_at,actor_type,actor_id,action,outcome,target_type,target_id,patient_id,reason,request_id,source_address,on_behalf_of,details\r\n${csvEvent(x)}`, { columns: true });
    expect(eventFromCsv(row!)).toEqual(x);
    expect(chainHash(x.chain.previousHash, eventFromCsv(row!).event)).toBe(chainHash(x.chain.previousHash, e));
    // JSON Lines with the details spliced in as text says the same as the plain stringify.
    expect(JSON.parse(jsonlEvent({ ...x, detailsJson: JSON.stringify(e.details) }))).toEqual(JSON.parse(jsonlEvent(x)));
  });

  it("turns PostgreSQL's UTC text into the sealer's microsecond ISO form", () => {
    expect(isoMicros('2026-01-02 03:04:05.123456+00')).toBe('2026-01-02T03:04:05.123456Z');
    expect(isoMicros('2026-01-02 03:04:05.12+00')).toBe('2026-01-02T03:04:05.120000Z');
    expect(isoMicros('2026-01-02 03:04:05+00')).toBe('2026-01-02T03:04:05.000000Z');
    expect(() => isoMicros('2026-01-02 03:04:05+02')).toThrow();
  });

  it('never lets a field start a spreadsheet formula', () => {
    for (const v of ['=1+1', '+1', '-1', '@A1']) expect(csvField(v).replace(/^"/, '').startsWith("'")).toBe(true);
  });
});
