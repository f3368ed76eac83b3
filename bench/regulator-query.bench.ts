/**
 * Regulator's query benchmark (issue 6 item 3): "every message to patient X between these dates, with content,
 * sender, approval, delivery and read status" at 1,000,000 and 10,000,000 messages on PostgreSQL. Target: p99 under
 * 50 ms at 10 million.
 *
 * Measured through the real code path, `listMessages` (src/app/messages.ts), as a caller of the API does: the
 * permission check, the patient's admission (a row-level-security read), the enriched page (one statement in the
 * viewer's scope: sender name, template version and approver, a lateral aggregate of delivery and read times,
 * decrypted content for a holder of `audit.read`) and its audit events (`message.listed`, `message.content-viewed`).
 * Two callers: a compliance officer (organisation-wide, with content) and a ward nurse (no content). Beside it, in
 * the same run, the bare SQL baseline: the same enriched statement for the same patient and year, sent directly,
 * with no scope, no audit and no decryption. The ratio is path ÷ bare.
 *
 * Data: 100,000 patients in 20 wards; messages spread over the past year, each patient getting every 100,000th one
 * (10 messages a patient at 1M, 100 at 10M: a patient with a typical count); a third sent from an approved template;
 * each message with its `delivered` and `read` timeline events (so 20M events at 10M). Rows are written by SQL in
 * chunks of INSERT … SELECT generate_series with the message table's secondary indexes dropped during the load and
 * rebuilt after; encrypted columns copy ciphertexts made by the real app, so the path decrypts real data.
 * PGlite is not measured: an in-process database at 10 million messages is not a deployment we support.
 *
 *   node bench/regulator-query.bench.ts                   (DATABASE_URL, or a server at the default local URL)
 *   BENCH_REGULATOR_STEPS=1000000 BENCH_ITERATIONS=300 node bench/regulator-query.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { listMessages } from '../src/app/messages.ts';
import type { RequestContext } from '../src/app/context.ts';
import { buildApp } from '../src/adapters/http/build-app.ts';
import type { Database } from '../src/adapters/db/schema.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { actorOf, NO_SHARING } from '../src/core/access/actor.ts';
import { SEEDED_PERMISSION_SETS } from '../src/core/access/permissions.ts';
import type { PatientId, PrincipalId, WardId } from '../src/core/ids.ts';
import { adminQuery, benchPostgresUrl, DEFAULT_PG_URL, BENCH_ENV, benchKeys, benchLogger } from './support.ts';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};
const PATIENTS = int('BENCH_PATIENTS', 100_000);
const WARDS = int('BENCH_WARDS', 20);
const ITERATIONS = int('BENCH_ITERATIONS', 300);
const CHUNK = int('BENCH_CHUNK', 1_000_000);
const SENDERS = 50;
const STEPS = (process.env['BENCH_REGULATOR_STEPS'] ?? '1000000,10000000').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error('BENCH_REGULATOR_STEPS must list positive integers');
  return n;
});
const ADMIN_TOKEN = 'wl_bench_admin_token_0123456789abcdef';

/** Secondary indexes of the tables loaded, dropped during a load and rebuilt after (their definitions as migrated). */
const INDEXES = [
  { drop: 'DROP INDEX message_patient_idx', create: 'CREATE INDEX message_patient_idx ON message (patient_id, created_at)' },
  { drop: 'DROP INDEX message_created_idx', create: 'CREATE INDEX message_created_idx ON message (created_at)' },
  { drop: 'DROP INDEX message_ward_created_idx', create: 'CREATE INDEX message_ward_created_idx ON message (ward_id, created_at DESC)' },
  { drop: 'DROP INDEX message_provider_idx', create: 'CREATE UNIQUE INDEX message_provider_idx ON message (provider, provider_message_id)' },
  { drop: 'ALTER TABLE message DROP CONSTRAINT message_sender_id_idempotency_key_key', create: 'ALTER TABLE message ADD CONSTRAINT message_sender_id_idempotency_key_key UNIQUE (sender_id, idempotency_key)' },
  { drop: 'ALTER TABLE message_status_event DROP CONSTRAINT message_status_event_message_id_status_key', create: 'ALTER TABLE message_status_event ADD CONSTRAINT message_status_event_message_id_status_key UNIQUE (message_id, status)' },
];

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

const round = (ms: number): number => Number(ms.toFixed(2));

/** The same enriched statement as the path's (message-report.repository.ts), sent bare: no scope, no audit, no decryption. */
function bareQuery(db: Kysely<Database>, patientId: string, from: Date, to: Date): Promise<unknown> {
  return sql`SELECT m.*, sp.display_name AS sender_name, t.id AS tpl_id, t.name AS tpl_name, tv.version, tv.status AS tpl_status,
      tv.decided_by_type, tv.decided_by_id, tv.decided_at, ap.display_name AS approver_name, ev.*, sm.content_enc
    FROM (SELECT * FROM message WHERE patient_id = ${patientId} AND created_at >= ${from} AND created_at < ${to}
          ORDER BY created_at DESC, id DESC LIMIT 101) m
    LEFT JOIN principal sp ON sp.id = CASE WHEN m.sender_type IN ('user', 'agent', 'integration') THEN m.sender_id::uuid END
    LEFT JOIN template_version tv ON tv.id = m.template_version_id
    LEFT JOIN template t ON t.id = tv.template_id
    LEFT JOIN principal ap ON ap.id = CASE WHEN tv.decided_by_type IN ('user', 'agent', 'integration') THEN tv.decided_by_id::uuid END
    LEFT JOIN LATERAL (SELECT min(occurred_at) FILTER (WHERE status = 'sent') AS sent_at, min(occurred_at) FILTER (WHERE status = 'delivered') AS delivered_at,
      min(occurred_at) FILTER (WHERE status = 'read') AS read_at, min(occurred_at) FILTER (WHERE status = 'failed') AS failed_at
      FROM message_status_event e WHERE e.message_id = m.id) ev ON true
    LEFT JOIN secure_message sm ON sm.message_id = m.id
    ORDER BY m.created_at DESC, m.id DESC`.execute(db);
}

async function main(): Promise<void> {
  const url = await benchPostgresUrl();
  if (url === undefined) {
    console.log(`regulator-query bench: PostgreSQL skipped (DATABASE_URL unset and nothing at ${DEFAULT_PG_URL}); PGlite is not measured`);
    return;
  }
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({ ...BENCH_ENV, DATABASE_URL: url, WARDLINE_ADMIN_TOKEN: ADMIN_TOKEN, ...benchKeys() });
  const container = await createContainer(config, { logger: benchLogger(), schema });
  const db = container.database.db;
  try {
    // Real ciphertexts: one patient and one message through the app; the generated rows copy them.
    await bootstrapAdmin(container.deps, ADMIN_TOKEN);
    const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks });
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const made = await app.inject({ method: 'POST', url: '/v1/patients', headers: auth, payload: { givenName: 'Bench', familyName: 'Patient', birthDate: '1980-01-01', phone: '+14155550100' } });
    const seedPatient = made.json<{ id: string }>().id;
    await app.inject({ method: 'POST', url: `/v1/patients/${seedPatient}/consents`, headers: auth, payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree' } } });
    const seedSend = await app.inject({ method: 'POST', url: '/v1/messages', headers: auth, payload: { patientId: seedPatient, channel: 'sms', category: 'administrative', body: 'Your appointment is tomorrow at 9:00 in Building B.' } });
    if (seedSend.statusCode !== 202) throw new Error(`seed send failed: ${String(seedSend.statusCode)}`);
    await app.close();
    const seedMessage = await db.selectFrom('message').select('body_enc').where('id', '=', seedSend.json<{ id: string }>().id).executeTakeFirstOrThrow();
    const tv = await db.selectFrom('template_version').select('id').where('status', '=', 'approved').limit(1).executeTakeFirstOrThrow();

    const t0 = performance.now();
    await sql`INSERT INTO ward (id, name) SELECT gen_random_uuid(), 'Ward ' || g FROM generate_series(1, ${WARDS}) g`.execute(db);
    await sql`INSERT INTO principal (id, kind, username, display_name, permission_sets, ward_ids)
      SELECT gen_random_uuid(), 'user', 'bench.user.' || g, 'Bench user ' || g, ARRAY['nurse'], '{}' FROM generate_series(1, ${SENDERS}) g`.execute(db);
    await sql`CREATE TABLE bench_sender AS SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS n FROM principal WHERE username LIKE 'bench.user.%'`.execute(db);
    await sql`WITH w AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM ward WHERE name LIKE 'Ward %')
      INSERT INTO patient (id, ward_id, given_name_enc, family_name_enc, birth_date_enc, phone_enc, phone_index)
      SELECT gen_random_uuid(), w.id, p.given_name_enc, p.family_name_enc, p.birth_date_enc, p.phone_enc, md5(g::text)
      FROM generate_series(0, ${PATIENTS - 1}) g JOIN w ON w.n = g % ${WARDS} CROSS JOIN (SELECT * FROM patient WHERE id = ${seedPatient}) p`.execute(db);
    await sql`CREATE TABLE bench_patient AS SELECT id, ward_id, (row_number() OVER (ORDER BY id) - 1)::int AS n FROM patient WHERE id <> ${seedPatient}`.execute(db);
    await sql`CREATE UNIQUE INDEX ON bench_patient (n)`.execute(db);
    const setupS = (performance.now() - t0) / 1000;

    const wards = (await db.selectFrom('ward').select('id').where('name', 'like', 'Ward %').orderBy('name').execute()).map((w) => w.id as WardId);
    const nurseWard = wards[0] as WardId;
    const officer: RequestContext = {
      actor: actorOf({ id: randomUUID() as PrincipalId, kind: 'user', permissionSets: ['compliance_officer'] }, [SEEDED_PERMISSION_SETS.compliance_officer], NO_SHARING, null),
      requestId: 'bench',
      via: 'api',
      sourceAddress: '127.0.0.1',
    };
    const nurse: RequestContext = {
      ...officer,
      actor: actorOf({ id: randomUUID() as PrincipalId, kind: 'user', permissionSets: ['nurse'] }, [SEEDED_PERMISSION_SETS.nurse], { wardIds: [nurseWard], patientIds: [], breakGlassPatientIds: [] }, null),
    };
    console.log(`regulator-query bench: PostgreSQL, ${String(PATIENTS)} patients in ${String(WARDS)} wards (set up in ${setupS.toFixed(1)} s), ${String(ITERATIONS)} runs each, Node ${process.version}; PGlite not measured`);

    let loaded = 0;
    for (const target of STEPS) {
      const tl = performance.now();
      for (const ix of INDEXES) await sql.raw(ix.drop).execute(db);
      for (let lo = loaded; lo < target; lo += CHUNK) {
        const hi = Math.min(target, lo + CHUNK);
        await db.transaction().execute(async (trx) => {
          // Foreign keys are not checked during the bench's own load (the rows reference rows it just wrote).
          await sql`SET LOCAL session_replication_role = replica`.execute(trx);
          await sql`WITH m AS (
              INSERT INTO message (id, patient_id, ward_id, channel, category, purpose, body_enc, consent_basis, status, sender_type, sender_id,
                created_at, updated_at, template_version_id, template_meta_name, template_language, provider, provider_message_id, related_record)
              SELECT gen_random_uuid(), p.id, p.ward_id, 'sms', (ARRAY['clinical', 'billing', 'administrative'])[1 + g % 3], 'care', ${seedMessage.body_enc},
                'consent', 'read', 'user', s.id::text, ts.at, ts.at, CASE WHEN g % 3 = 2 THEN ${tv.id}::uuid END, NULL, CASE WHEN g % 3 = 2 THEN 'en' END,
                'simulator', 'SIM' || g, CASE WHEN g % 5 = 0 THEN '{"type":"appointment","id":"APT"}'::jsonb END
              FROM generate_series(${lo}::bigint, ${hi - 1}::bigint) g
              JOIN bench_patient p ON p.n = (g * 7919) % ${PATIENTS}
              JOIN bench_sender s ON s.n = g % ${SENDERS}
              CROSS JOIN LATERAL (SELECT now() - (g % 525600) * interval '1 minute' AS at) ts
              RETURNING id, created_at)
            INSERT INTO message_status_event (message_id, status, source, occurred_at)
            SELECT id, 'delivered', 'carrier', created_at + interval '2 seconds' FROM m
            UNION ALL SELECT id, 'read', 'carrier', created_at + interval '90 seconds' FROM m`.execute(trx);
        });
        process.stderr.write(`  loaded ${String(hi)} messages\n`);
      }
      for (const ix of INDEXES) {
        await db.transaction().execute(async (trx) => {
          await sql`SET LOCAL maintenance_work_mem = '1GB'`.execute(trx);
          await sql.raw(ix.create).execute(trx);
        });
      }
      await sql`VACUUM ANALYZE message`.execute(db);
      await sql`VACUUM ANALYZE message_status_event`.execute(db);
      loaded = target;
      const loadS = (performance.now() - tl) / 1000;

      const year = { from: new Date(Date.now() - 365 * 24 * 3_600_000), to: new Date(Date.now() + 60_000) };
      const sample = async (ward: WardId | null): Promise<PatientId[]> =>
        (await sql<{ id: string }>`SELECT id FROM bench_patient WHERE ${ward === null ? sql`true` : sql`ward_id = ${ward}`} ORDER BY md5(id::text) LIMIT ${ITERATIONS}`.execute(db)).rows.map((r) => r.id as PatientId);
      const anyPatients = await sample(null);
      const wardPatients = await sample(nurseWard);
      const pick = (list: readonly PatientId[], i: number): PatientId => list[i % list.length] as PatientId;
      let returned = 0;
      let calls = 0;
      const bare = await time(ITERATIONS, (i) => bareQuery(db, pick(anyPatients, i), year.from, year.to));
      const officerPath = await time(ITERATIONS, async (i) => {
        const page = await listMessages(container.deps, officer, { patientId: pick(anyPatients, i), ...year, limit: 100 });
        returned += page.items.length;
        calls += 1;
      });
      const nursePath = await time(ITERATIONS, (i) => listMessages(container.deps, nurse, { patientId: pick(wardPatients, i), ...year, limit: 100 }));
      const perPatient = returned / Math.max(1, calls);
      console.log(`  ${String(target)} messages (loaded in ${loadS.toFixed(1)} s), ${perPatient.toFixed(1)} messages per patient-year returned`);
      console.log(`    bare SQL (same enriched statement, no scope/audit)           p50 ${bare.p50.toFixed(2)} ms p99 ${bare.p99.toFixed(2)} ms`);
      console.log(`    listMessages, compliance officer (with content, audited)     p50 ${officerPath.p50.toFixed(2)} ms p99 ${officerPath.p99.toFixed(2)} ms   ratio p50 ${(officerPath.p50 / bare.p50).toFixed(2)}x, p99 ${(officerPath.p99 / bare.p99).toFixed(2)}x bare`);
      console.log(`    listMessages, ward nurse (no content)                        p50 ${nursePath.p50.toFixed(2)} ms p99 ${nursePath.p99.toFixed(2)} ms   ratio p50 ${(nursePath.p50 / bare.p50).toFixed(2)}x, p99 ${(nursePath.p99 / bare.p99).toFixed(2)}x bare`);
      console.log(
        JSON.stringify({
          bench: 'regulator-query',
          messages: target,
          patients: PATIENTS,
          per_patient: round(perPatient),
          bare_p50_ms: round(bare.p50),
          bare_p99_ms: round(bare.p99),
          officer_p50_ms: round(officerPath.p50),
          officer_p99_ms: round(officerPath.p99),
          nurse_p50_ms: round(nursePath.p50),
          nurse_p99_ms: round(nursePath.p99),
          ratio_p50: round(officerPath.p50 / bare.p50),
          ratio_p99: round(officerPath.p99 / bare.p99),
          target_p99_ms: 50,
        }),
      );
    }
  } finally {
    await container.close().catch(() => undefined);
    await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  }
}

await main();
