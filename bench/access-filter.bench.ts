/**
 * Access-filter benchmark (issue 5): what record-level sharing costs on the queries that return patient data — the
 * message list and the regulator's query (one patient, a date range) — at 100,000 patients and 1,000,000 messages on
 * PostgreSQL. Each query runs through the data-access layer (`store.messages.list`, where the filter lives): unfiltered
 * (every category, every ward, no scope), and as a ward-bound nurse sees it on the real staff path, `store.asViewer`:
 * her categories and wards in SQL, inside a transaction switched to the row-level-security role with her visibility
 * in transaction-local settings (docs/decisions/0013-row-level-security.md). The SQL filter alone (no scope) and
 * the scope's own cost (BEGIN, one set_config statement, COMMIT around an empty read) are printed too. Same data,
 * same run. Target: filtered within 1.5× of unfiltered and under 20 ms p99.
 *
 *   node bench/access-filter.bench.ts            (DATABASE_URL, or a server at the default local URL)
 *   BENCH_PATIENTS=100000 BENCH_ACCESS_MESSAGES=1000000 BENCH_ITERATIONS=400 node bench/access-filter.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { CATEGORIES, type Category } from '../src/core/messaging/channel.ts';
import type { PatientId, WardId } from '../src/core/ids.ts';
import type { MessageFilter } from '../src/app/ports.ts';
import { adminQuery, benchPostgresUrl, DEFAULT_PG_URL, BENCH_ENV, benchKeys, benchLogger } from './support.ts';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};
const PATIENTS = int('BENCH_PATIENTS', 100_000);
const MESSAGES = int('BENCH_ACCESS_MESSAGES', 1_000_000);
const WARDS = int('BENCH_WARDS', 20);
const ITERATIONS = int('BENCH_ITERATIONS', 400);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function time(n: number, run: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await run(i); // warm-up: plans and buffers
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(i);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((s, x) => s + x, 0) / samples.length };
}

async function main(): Promise<void> {
  const url = await benchPostgresUrl();
  if (url === undefined) {
    console.log(`access-filter bench: PostgreSQL skipped (DATABASE_URL unset and nothing at ${DEFAULT_PG_URL})`);
    return;
  }
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({ ...BENCH_ENV, DATABASE_URL: url, ...benchKeys() });
  const container = await createContainer(config, { logger: benchLogger(), schema });
  const db = container.database.db;
  try {
    const t0 = performance.now();
    await sql`INSERT INTO ward (id, name) SELECT gen_random_uuid(), 'Ward ' || g FROM generate_series(1, ${WARDS}) g`.execute(db);
    // Patients and messages are written by SQL (ciphertext columns hold random text of a realistic length): this
    // bench is about reading them back through the filter, not about writing them.
    await sql`WITH w AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM ward)
      INSERT INTO patient (id, ward_id, given_name_enc, family_name_enc, birth_date_enc, phone_enc, phone_index)
      SELECT gen_random_uuid(), w.id, md5(g::text), md5(g::text), md5(g::text), md5(g::text), md5(g::text)
      FROM generate_series(0, ${PATIENTS - 1}) g JOIN w ON w.n = g % ${WARDS}`.execute(db);
    await sql`WITH p AS (SELECT id, ward_id, row_number() OVER (ORDER BY id) - 1 AS n FROM patient)
      INSERT INTO message (id, patient_id, ward_id, channel, category, purpose, body_enc, consent_basis, status, sender_type, sender_id, created_at, updated_at)
      SELECT gen_random_uuid(), p.id, p.ward_id, 'sms', (ARRAY['clinical', 'billing', 'administrative'])[1 + g % 3], 'care',
             repeat(md5(g::text), 4), 'consent', 'delivered', 'user', 'bench',
             now() - (g % 525600) * interval '1 minute', now()
      FROM generate_series(0, ${MESSAGES - 1}) g JOIN p ON p.n = (g::bigint * 7919) % ${PATIENTS}`.execute(db);
    await sql`ANALYZE`.execute(db);
    const loadS = (performance.now() - t0) / 1000;

    const wards = (await db.selectFrom('ward').select('id').orderBy('name').execute()).map((w) => w.id as WardId);
    const nurseWard = wards[0] as WardId;
    const inWard = (await db.selectFrom('patient').select('id').where('ward_id', '=', nurseWard).limit(ITERATIONS).execute()).map((p) => p.id as PatientId);
    const nurseCategories: Category[] = ['clinical', 'administrative'];
    // Nurses of one ward: alone, on a care team of 25 patients of other wards, and with 200 such patients granted.
    const others = (await db.selectFrom('patient').select('id').where('ward_id', '<>', nurseWard).limit(200).execute()).map((p) => p.id as PatientId);
    const nurses = {
      '1 ward': { wardIds: [nurseWard], patientIds: [] },
      '1 ward + 25 care-team patients': { wardIds: [nurseWard], patientIds: others.slice(0, 25) },
      '1 ward + 200 granted patients': { wardIds: [nurseWard], patientIds: others },
    } as const;
    const store = container.deps.store;
    const year = new Date(Date.now() - 365 * 24 * 3_600_000);
    const queries = {
      'message list (newest 100)': (_i: number) => ({ limit: 100 }),
      "regulator's query (one patient, one year)": (i: number) => ({ limit: 100, patientId: inWard[i % inWard.length] as PatientId, from: year, to: new Date() }),
    };
    // The staff path (src/app/messages.ts listMessages): the list inside the row-level-security scope. Its baseline is
    // the same path for an organisation-wide reader (no sharing filter; the scope's fixed cost is in both), and the
    // bare repository query without any scope is shown beside it.
    const staff = (visibility: MessageFilter['visibility'], categories: readonly Category[], f: Pick<MessageFilter, 'limit' | 'patientId' | 'from' | 'to'>) =>
      store.asViewer(visibility, (viewer) => viewer.messages.list({ ...f, visibility, categories }));
    console.log(`access-filter bench: PostgreSQL, ${String(PATIENTS)} patients in ${String(WARDS)} wards, ${String(MESSAGES)} messages (loaded in ${loadS.toFixed(1)} s), ${String(ITERATIONS)} runs each, Node ${process.version}`);
    for (const [query, args] of Object.entries(queries)) {
      const bare = await time(ITERATIONS, (i) => store.messages.list({ ...args(i), visibility: null, categories: CATEGORIES }));
      const orgWide = await time(ITERATIONS, (i) => staff(null, CATEGORIES, args(i)));
      console.log(`  ${query}: bare query p50 ${bare.p50.toFixed(2)} ms p99 ${bare.p99.toFixed(2)} ms; staff path, organisation-wide (baseline) p50 ${orgWide.p50.toFixed(2)} ms p99 ${orgWide.p99.toFixed(2)} ms`);
      for (const [who, visibility] of Object.entries(nurses)) {
        const r = await time(ITERATIONS, (i) => staff(visibility, nurseCategories, args(i)));
        const ratio = r.p50 / orgWide.p50;
        console.log(`    nurse, 2 categories, ${who.padEnd(32)} p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms   ratio ${ratio.toFixed(2)}x baseline, ${(r.p50 / bare.p50).toFixed(2)}x bare`);
        console.log(JSON.stringify({ bench: 'access-filter', query, nurse: who, patients: PATIENTS, messages: MESSAGES, bare_p50_ms: round(bare.p50), baseline_p50_ms: round(orgWide.p50), baseline_p99_ms: round(orgWide.p99), filtered_p50_ms: round(r.p50), filtered_p99_ms: round(r.p99), ratio: round(ratio) }));
      }
    }
    const scopeOnly = await time(ITERATIONS, () => store.asViewer(nurses['1 ward'], () => Promise.resolve(null)));
    console.log(`  row-level-security scope alone (BEGIN, set_config, COMMIT)   p50 ${scopeOnly.p50.toFixed(2)} ms p99 ${scopeOnly.p99.toFixed(2)} ms`);
    console.log(JSON.stringify({ bench: 'access-filter', query: 'scope', p50_ms: round(scopeOnly.p50), p99_ms: round(scopeOnly.p99) }));
  } finally {
    await container.close().catch(() => undefined);
    await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  }
}

function round(ms: number): number {
  return Number(ms.toFixed(2));
}

await main();
