/**
 * Audit export benchmark (issue 6 item 4): how fast `startAuditExport` streams the audit trail (JSON Lines and CSV,
 * into a null sink) through its real code path — keyset pages of 5,000 sealed events joined to their seals, formatted
 * in JavaScript — against PostgreSQL's own `COPY (SELECT … the same rows …) TO STDOUT` (pg-copy-streams) in the same
 * run. Target: the export at ≥ 50 % of COPY's rows per second. Events are written by SQL with stand-in seals (random
 * hashes): this bench measures reading them back, not sealing (bench the sealer separately).
 *
 *   node bench/audit-export.bench.ts                     (DATABASE_URL, or a server at the default local URL, else PGlite)
 *   BENCH_EXPORT_EVENTS=1000000 node bench/audit-export.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { startAuditExport } from '../src/app/audit-export.ts';
import { ADMIN_ACTOR } from '../src/app/import-patients.ts';
import { createAuditExportReader } from '../src/adapters/db/audit-export.repository.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { adminQuery, benchKeys, benchLogger, benchPostgresUrl, BENCH_ENV } from './support.ts';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};

/** A sink that counts bytes and keeps nothing. */
function nullSink(): { sink: Writable; bytes: () => number } {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  return { sink, bytes: () => bytes };
}

/**
 * The export's rows as PostgreSQL writes them itself: the same query as `createAuditExportReader().eventPages` (join,
 * columns, order, `TimeZone` UTC), COPY's rows to a null sink with no parsing or formatting.
 */
const COPY_SQL = `COPY (SELECT s.position, s.hash, prev.hash AS previous_hash, e.event_id, e.occurred_at::text AS occurred_at_text,
    e.actor_type, e.actor_id, e.action, e.outcome, e.target_type, e.target_id, e.patient_id, e.reason, e.request_id,
    e.source_address, e.on_behalf_of, e.details::text AS details
  FROM audit_seal s JOIN audit_event e ON e.id = s.event_pk LEFT JOIN audit_seal prev ON prev.position = s.position - 1
  ORDER BY s.position) TO STDOUT`;

async function main(): Promise<void> {
  const url = await benchPostgresUrl();
  const EVENTS = int('BENCH_EXPORT_EVENTS', url === undefined ? 200_000 : 1_000_000);
  const RUNS = int('BENCH_EXPORT_RUNS', 2);
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  if (url !== undefined) await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({ ...BENCH_ENV, WARDLINE_AUDIT_SEAL_MS: '0', ...(url === undefined ? {} : { DATABASE_URL: url }), ...benchKeys() });
  const container = await createContainer(config, { logger: benchLogger(), ...(url === undefined ? {} : { schema }) });
  const db = container.database.db;
  try {
    const t0 = performance.now();
    await container.deps.auditChain.sealAll();
    const { position: sealed } = await container.deps.auditChain.head();
    // Events shaped like the real ones: a user reading a patient's message through the API, with its details.
    await sql`INSERT INTO audit_event (event_id, occurred_at, actor_type, actor_id, action, outcome, target_type, target_id, patient_id, reason, request_id, source_address, details)
      SELECT gen_random_uuid(), now() - (${EVENTS} - g) * interval '1 second', 'user', md5(g::text)::uuid::text, 'message.viewed', 'success', 'message',
             md5((g * 7)::text)::uuid::text, md5((g % 50000)::text)::uuid, NULL, md5((g * 13)::text), '10.0.0.' || (g % 250), jsonb_build_object('via', 'api')
      FROM generate_series(1, ${EVENTS}) g`.execute(db);
    await sql`INSERT INTO audit_seal (position, event_pk, hash, event_time)
      SELECT ${sealed} + row_number() OVER (ORDER BY e.id), e.id, md5(e.id::text) || md5(e.event_id::text), e.occurred_at
      FROM audit_event e WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_pk = e.id) ORDER BY e.id`.execute(db);
    await sql`ANALYZE`.execute(db);
    const loadS = (performance.now() - t0) / 1000;
    console.log(`audit-export bench: ${url === undefined ? 'PGlite (in memory)' : 'PostgreSQL'}, ${String(EVENTS)} events (loaded in ${loadS.toFixed(1)} s), best of ${String(RUNS)} runs, Node ${process.version}`);

    const reader = createAuditExportReader(container.database);
    const ctx = { actor: ADMIN_ACTOR, requestId: 'bench-audit-export', via: 'cli' as const, sourceAddress: 'cli' };
    const results: Record<string, number> = {};
    for (const format of ['jsonl', 'csv'] as const) {
      let best = Infinity;
      let rows = 0;
      let bytes = 0;
      for (let run = 0; run < RUNS; run++) {
        const t = performance.now();
        const exported = await startAuditExport(container.deps, reader, ctx, { format });
        const { sink, bytes: counted } = nullSink();
        await pipeline(exported.chunks(), sink);
        best = Math.min(best, (performance.now() - t) / 1000);
        rows = exported.header.chain.position;
        bytes = counted();
      }
      results[format] = rows / best;
      console.log(`  export ${format.padEnd(5)} ${String(rows)} events in ${best.toFixed(2)} s: ${Math.round(rows / best).toLocaleString('en-US')} events/s, ${(bytes / best / 1e6).toFixed(1)} MB/s`);
    }

    if (url === undefined) {
      console.log('  COPY baseline: PostgreSQL only (set DATABASE_URL)');
      return;
    }
    const target = new URL(url);
    target.searchParams.set('options', `-c search_path=${schema} -c TimeZone=UTC`);
    const client = new pg.Client({ connectionString: target.toString() });
    await client.connect();
    let copyBest = Infinity;
    let copyBytes = 0;
    const { rows: countRows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_seal');
    const copyRowsN = Number(countRows[0]?.n ?? 0);
    try {
      for (let run = 0; run < RUNS; run++) {
        const t = performance.now();
        const { sink, bytes: counted } = nullSink();
        await pipeline(client.query(copyTo(COPY_SQL)), sink);
        copyBest = Math.min(copyBest, (performance.now() - t) / 1000);
        copyBytes = counted();
      }
    } finally {
      await client.end();
    }
    const copyRate = copyRowsN / copyBest;
    console.log(`  COPY … TO STDOUT ${String(copyRowsN)} rows in ${copyBest.toFixed(2)} s: ${Math.round(copyRate).toLocaleString('en-US')} rows/s, ${(copyBytes / copyBest / 1e6).toFixed(1)} MB/s`);
    for (const [format, rate] of Object.entries(results)) {
      console.log(`  ${format} export / COPY: ${(100 * rate / copyRate).toFixed(0)} % (target ≥ 50 %)`);
      console.log(JSON.stringify({ bench: 'audit-export', format, events: EVENTS, export_events_per_s: Math.round(rate), copy_rows_per_s: Math.round(copyRate), ratio: Number((rate / copyRate).toFixed(2)) }));
    }
  } finally {
    await container.close().catch(() => undefined);
    if (url !== undefined) await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  }
}

await main();
