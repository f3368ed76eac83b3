/**
 * Send-pipeline benchmark: the whole path a message takes (HTTP API → consent check → message + outbox +
 * audit transaction → dispatcher → simulated carrier → sent/delivered/read receipts) against the floor the
 * database itself sets (the same three rows written in one plain transaction).
 *
 * Runs on PGlite (in memory) always, and on PostgreSQL when DATABASE_URL is set or a server answers at
 * postgres://postgres@127.0.0.1:5432/test (own schema, dropped afterwards). See bench/README.md.
 *
 *   npm run bench
 *   BENCH_MESSAGES=5000 BENCH_CONCURRENCY=64 DATABASE_URL=postgres://… npm run bench
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql, PGliteDriver, PostgresDriver, type CompiledQuery, type DatabaseConnection } from 'kysely';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { buildApp } from '../src/adapters/http/build-app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { adminQuery, benchPostgresUrl, DEFAULT_PG_URL, spawnWorker, BENCH_ENV, benchKeys, benchLogger, runConcurrent } from './support.ts';

type DbKind = 'pglite' | 'postgres';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
};

const MESSAGES = int('BENCH_MESSAGES', 3000);
const CONCURRENCY = int('BENCH_CONCURRENCY', 32);
const PATIENTS = int('BENCH_PATIENTS', 200);
const WARMUP = int('BENCH_WARMUP', 100);
const POOL_SIZE = int('WARDLINE_DB_POOL_SIZE', 10);
const TIMEOUT_MS = int('BENCH_TIMEOUT_MS', 120_000);
const ADMIN_TOKEN = `wl_bench_admin_${randomBytes(16).toString('hex')}`;
/** Explicit keys, so a separate `wardline worker` process can read what the API process encrypted. */
const KEY_ENV = benchKeys();
const BODY =
  'Reminder: your appointment at the Riverside clinic is tomorrow at 09:30. Reply STOP to opt out.';
const SECURE_BODY = 'Your A1c came back at 8.2; we will increase your metformin to 1000 mg twice daily.';

// ---------------------------------------------------------------------------------------------------------
// Query accounting: wraps every Kysely connection of both dialects (before any database is opened) so each
// phase can report statements and transactions per message, and where the database time goes.

interface QueryStat {
  count: number;
  ms: number;
}
const queryStats = new Map<string, QueryStat>();
let transactions = 0;
const wrapped = new WeakSet<object>();

/** A stable label for a statement: verb + table (+ FOR UPDATE / SKIP LOCKED). */
function label(sqlText: string): string {
  const s = sqlText.replace(/\s+/g, ' ').trim().toLowerCase();
  const table = (re: RegExp): string => re.exec(s)?.[1] ?? '?';
  if (s.includes('count(*)::int')) return '(bench progress poll)';
  let base: string;
  if (s.startsWith('select')) base = `select ${table(/ from "?([a-z_]+)"?/)}`;
  else if (s.startsWith('insert')) base = `insert ${table(/^insert into "?([a-z_]+)"?/)}`;
  else if (s.startsWith('update')) base = `update ${table(/^update "?([a-z_]+)"?/)}`;
  else if (s.startsWith('delete')) base = `delete ${table(/^delete from "?([a-z_]+)"?/)}`;
  else base = s.split(' ').slice(0, 2).join(' ');
  if (s.includes('skip locked')) base += ' (skip locked)';
  else if (s.includes('for update')) base += ' (for update)';
  return base;
}

function record(key: string, ms: number): void {
  const stat = queryStats.get(key) ?? { count: 0, ms: 0 };
  stat.count += 1;
  stat.ms += ms;
  queryStats.set(key, stat);
}

function instrument(driverProto: {
  acquireConnection: (...a: never[]) => Promise<DatabaseConnection>;
  beginTransaction: (...a: never[]) => Promise<void>;
}): void {
  const acquire = driverProto.acquireConnection;
  driverProto.acquireConnection = async function (this: unknown, ...args: never[]) {
    const waitStarted = performance.now();
    const connection = await acquire.apply(this, args);
    record('(wait for connection)', performance.now() - waitStarted);
    if (!wrapped.has(connection)) {
      wrapped.add(connection);
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async <R>(query: CompiledQuery) => {
        const started = performance.now();
        try {
          return await execute<R>(query);
        } finally {
          record(label(query.sql), performance.now() - started);
        }
      };
    }
    return connection;
  };
  const begin = driverProto.beginTransaction;
  driverProto.beginTransaction = async function (this: unknown, ...args: never[]) {
    transactions += 1;
    return begin.apply(this, args);
  };
}
instrument(PGliteDriver.prototype);
instrument(PostgresDriver.prototype);

function snapshotQueries(): { stats: Map<string, QueryStat>; transactions: number } {
  return { stats: new Map([...queryStats].map(([k, v]) => [k, { ...v }])), transactions };
}
function diffQueries(before: ReturnType<typeof snapshotQueries>): {
  stats: Map<string, QueryStat>;
  transactions: number;
} {
  const stats = new Map<string, QueryStat>();
  for (const [k, v] of queryStats) {
    const b = before.stats.get(k) ?? { count: 0, ms: 0 };
    if (v.count > b.count) stats.set(k, { count: v.count - b.count, ms: v.ms - b.ms });
  }
  return { stats, transactions: transactions - before.transactions };
}

// ---------------------------------------------------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Runs `n` jobs with at most `concurrency` in flight; returns each job's latency in ms, sorted. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Result {
  db: DbKind;
  pipeline: {
    msgsPerS: number;
    p50: number;
    p99: number;
    apiPhaseS: number;
    drainS: number;
    totalS: number;
    apiOnlyMsgsPerS: number;
    /** API alone, per kind of send: a starter template, and clinical free text that goes behind a secure link. */
    apiOnlyTemplateMsgsPerS: number;
    apiOnlySecureMsgsPerS: number;
  };
  baseline: { msgsPerS: number; p50: number; p99: number; totalS: number };
  ratio: number;
  perMessage: {
    transactions: number;
    statements: number;
    breakdown: { label: string; perMessage: number; meanMs: number; totalMs: number }[];
  };
  baselinePerMessage: { transactions: number; statements: number };
  /** PostgreSQL: API in this process, dispatch in one `wardline worker` process. */
  withWorker: { msgsPerS: number; p50: number; p99: number } | null;
}

function startWorker(url: string, schema: string): ChildProcess {
  return spawnWorker(url, schema, { ...KEY_ENV, WARDLINE_SIMULATOR_LATENCY_MS: '0' });
}

async function benchDatabase(db: DbKind, url: string | undefined): Promise<Result> {
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  if (db === 'postgres') await adminQuery(url as string, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({
    ...BENCH_ENV,
    WARDLINE_SIMULATOR_FAILURE_RATE: '0',
    ...KEY_ENV,
    ...(db === 'postgres' ? { DATABASE_URL: url, WARDLINE_DB_POOL_SIZE: String(POOL_SIZE) } : {}),
  });
  const container = await createContainer(config, {
    logger: benchLogger(),
    ...(db === 'postgres' ? { schema } : {}),
  });
  const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks });
  try {
    await bootstrapAdmin(container.deps, ADMIN_TOKEN);
    await app.ready();
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const kdb = container.database.db;

    // 1. Patients with SMS consent, through the API.
    const patientIds: string[] = new Array<string>(PATIENTS);
    await runConcurrent(PATIENTS, 8, async (i) => {
      const created = await app.inject({
        method: 'POST',
        url: '/v1/patients',
        headers,
        payload: {
          givenName: `Bench${i}`,
          familyName: 'Patient',
          birthDate: '1970-01-01',
          phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
        },
      });
      if (created.statusCode !== 201) {
        throw new Error(`create patient: ${created.statusCode} ${created.body}`);
      }
      const id = created.json<{ id: string }>().id;
      const consent = await app.inject({
        method: 'POST',
        url: `/v1/patients/${id}/consents`,
        headers,
        payload: {
          channel: 'sms',
          status: 'granted',
          source: 'intake_form',
          evidence: { wordingShown: 'I agree to texts' },
        },
      });
      if (consent.statusCode !== 201) throw new Error(`grant consent: ${consent.statusCode} ${consent.body}`);
      patientIds[i] = id;
    });

    const send = async (i: number): Promise<void> => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers,
        payload: {
          patientId: patientIds[i % PATIENTS],
          channel: 'sms',
          category: 'administrative',
          body: BODY,
        },
      });
      if (res.statusCode !== 202) throw new Error(`send: ${res.statusCode} ${res.body}`);
    };
    const countByStatus = async (): Promise<Map<string, number>> => {
      const rows = await kdb
        .selectFrom('message')
        .select(['status', sql<number>`count(*)::int`.as('n')])
        .groupBy('status')
        .execute();
      return new Map(rows.map((r) => [r.status, r.n]));
    };
    /** Polls every 50 ms until `target` messages are read; throws if any fail/cancel or on timeout. */
    const waitForRead = async (target: number): Promise<void> => {
      const deadline = Date.now() + TIMEOUT_MS;
      for (;;) {
        const counts = await countByStatus();
        if ((counts.get('read') ?? 0) >= target) return;
        const bad = (counts.get('failed') ?? 0) + (counts.get('cancelled') ?? 0);
        if (bad > 0) {
          throw new Error(`${bad} messages failed or were cancelled: ${JSON.stringify([...counts])}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${target} read: ${JSON.stringify([...counts])}`);
        }
        await sleep(50);
      }
    };

    // 2. Warm-up (not measured): JIT, statement caches, connection pool.
    container.worker.start();
    await runConcurrent(WARMUP, CONCURRENCY, send);
    await waitForRead(WARMUP);
    await container.simulator?.idle();

    // 3. Pipeline: API → read, dispatcher running.
    const before = snapshotQueries();
    const t0 = performance.now();
    const sendLatencies = await runConcurrent(MESSAGES, CONCURRENCY, send);
    const tApi = performance.now();
    await waitForRead(WARMUP + MESSAGES);
    const tRead = performance.now();
    await container.simulator?.idle();
    const pipelineQueries = diffQueries(before);
    await container.worker.stop();

    // 3c. PostgreSQL only: the production topology — this process serves the API, one `wardline worker`
    // process dispatches (WARDLINE_DISPATCHER=off here), so Node's work spreads over both cores.
    let withWorker: { msgsPerS: number; p50: number; p99: number } | null = null;
    if (db === 'postgres') {
      const worker = startWorker(url as string, schema);
      try {
        const start = (await countByStatus()).get('read') ?? 0;
        await runConcurrent(WARMUP, CONCURRENCY, send);
        await waitForRead(start + WARMUP);
        const w0 = performance.now();
        const latencies = await runConcurrent(MESSAGES, CONCURRENCY, send);
        await waitForRead(start + WARMUP + MESSAGES);
        const seconds = (performance.now() - w0) / 1000;
        withWorker = { msgsPerS: MESSAGES / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
      } finally {
        worker.kill('SIGTERM');
        await new Promise((resolve) => worker.once('exit', resolve));
      }
    }

    // 3b. API only (dispatcher stopped): what POST /v1/messages costs on its own. Rows stay queued.
    const apiOnlyN = Math.max(100, Math.floor(MESSAGES / 4));
    const tA0 = performance.now();
    await runConcurrent(apiOnlyN, CONCURRENCY, send);
    const apiOnlyS = (performance.now() - tA0) / 1000;
    // The same, for the other kinds of send: a starter template (rendered, scanned, version recorded), and clinical
    // free text that the PHI decision sends as a notice with a secure link (content and link written with the notice).
    const apiOnlyRate = async (payload: (i: number) => Record<string, unknown>): Promise<number> => {
      const t = performance.now();
      await runConcurrent(apiOnlyN, CONCURRENCY, async (i) => {
        const res = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: payload(i) });
        if (res.statusCode !== 202) throw new Error(`send: ${res.statusCode} ${res.body}`);
      });
      return apiOnlyN / ((performance.now() - t) / 1000);
    };
    const apiOnlyTemplate = await apiOnlyRate((i) => ({
      patientId: patientIds[i % PATIENTS],
      channel: 'sms',
      template: { id: 'appointment_reminder', params: { appointment_time: '2026-12-01T09:30:00-05:00', location: 'Building B, 2nd floor' } },
    }));
    const apiOnlySecure = await apiOnlyRate((i) => ({ patientId: patientIds[i % PATIENTS], channel: 'sms', category: 'clinical', body: SECURE_BODY }));

    // 4. Baseline: the same rows in one plain transaction each, on the same database and pool.
    const sample = await kdb
      .selectFrom('message')
      .select('body_enc')
      .where('status', '=', 'read')
      .limit(1)
      .executeTakeFirstOrThrow();
    const fakeBody = randomBytes(Math.ceil((sample.body_enc.length * 3) / 4) + 3)
      .toString('base64url')
      .slice(0, sample.body_enc.length);
    const admin =
      (await kdb.selectFrom('principal').select('id').where('kind', '=', 'integration').executeTakeFirst()) ??
      (await kdb.selectFrom('principal').select('id').executeTakeFirstOrThrow());
    const baselineJob = async (i: number): Promise<void> => {
      const id = randomUUID();
      const patientId = patientIds[i % PATIENTS] as string;
      await kdb.transaction().execute(async (trx) => {
        await trx
          .insertInto('message')
          .values({
            id,
            patient_id: patientId,
            ward_id: null,
            channel: 'sms',
            category: 'administrative',
            purpose: 'care',
            body_enc: fakeBody,
            template_version_id: null,
            related_record: null,
            consent_basis: 'consent',
            override_justification_enc: null,
            in_reply_to: null,
            status: 'queued',
            sender_type: 'user',
            sender_id: admin.id,
            idempotency_key: null,
            request_hash: null,
          })
          .execute();
        await trx.insertInto('outbox').values({ message_id: id, available_at: new Date() }).execute();
        await trx
          .insertInto('audit_event')
          .values({
            event_id: randomUUID(),
            actor_type: 'user',
            actor_id: admin.id,
            action: 'message.queued',
            outcome: 'success',
            target_type: 'message',
            target_id: id,
            patient_id: patientId,
            reason: null,
            request_id: randomUUID(),
            details: JSON.stringify({
              channel: 'sms',
              category: 'administrative',
              purpose: 'care',
              consentBasis: 'consent',
            }),
          })
          .execute();
      });
    };
    await runConcurrent(WARMUP, CONCURRENCY, baselineJob);
    const baseBefore = snapshotQueries();
    const b0 = performance.now();
    const baseLatencies = await runConcurrent(MESSAGES, CONCURRENCY, baselineJob);
    const baseS = (performance.now() - b0) / 1000;
    const baseQueries = diffQueries(baseBefore);

    const totalS = (tRead - t0) / 1000;
    const pipelineRate = MESSAGES / totalS;
    const baseRate = MESSAGES / baseS;
    const breakdown = [...pipelineQueries.stats]
      .map(([k, v]) => ({ label: k, perMessage: v.count / MESSAGES, meanMs: v.ms / v.count, totalMs: v.ms }))
      .sort((a, b) => b.totalMs - a.totalMs);
    const sum = (m: Map<string, QueryStat>): number =>
      [...m].filter(([k]) => !k.startsWith('(')).reduce((s, [, v]) => s + v.count, 0);
    return {
      db,
      pipeline: {
        msgsPerS: pipelineRate,
        p50: percentile(sendLatencies, 50),
        p99: percentile(sendLatencies, 99),
        apiPhaseS: (tApi - t0) / 1000,
        drainS: (tRead - tApi) / 1000,
        totalS,
        apiOnlyMsgsPerS: apiOnlyN / apiOnlyS,
        apiOnlyTemplateMsgsPerS: apiOnlyTemplate,
        apiOnlySecureMsgsPerS: apiOnlySecure,
      },
      withWorker,
      baseline: {
        msgsPerS: baseRate,
        p50: percentile(baseLatencies, 50),
        p99: percentile(baseLatencies, 99),
        totalS: baseS,
      },
      ratio: baseRate / pipelineRate,
      perMessage: {
        transactions: pipelineQueries.transactions / MESSAGES,
        statements: sum(pipelineQueries.stats) / MESSAGES,
        breakdown,
      },
      baselinePerMessage: {
        transactions: baseQueries.transactions / MESSAGES,
        statements: sum(baseQueries.stats) / MESSAGES,
      },
    };
  } finally {
    await container.worker.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    await container.close().catch(() => undefined);
    if (db === 'postgres') {
      await adminQuery(url as string, `DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    }
  }
}

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);

function printTable(r: Result): void {
  const rows: [string, string, string][] = [
    ['', 'pipeline (API → read)', 'baseline (3 rows, 1 tx)'],
    ['throughput (msgs/s)', f1(r.pipeline.msgsPerS), f1(r.baseline.msgsPerS)],
    ['latency p50 (ms)', f2(r.pipeline.p50), f2(r.baseline.p50)],
    ['latency p99 (ms)', f2(r.pipeline.p99), f2(r.baseline.p99)],
    ['transactions / msg', f2(r.perMessage.transactions), f2(r.baselinePerMessage.transactions)],
    ['statements / msg', f2(r.perMessage.statements), f2(r.baselinePerMessage.statements)],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const w2 = Math.max(...rows.map((x) => x[2].length));
  console.log(
    `\n== ${r.db} — ${MESSAGES} messages, concurrency ${CONCURRENCY}, ${PATIENTS} patients, Node ${process.version} ==`,
  );
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(w2)}`);
  console.log(
    `  ratio (baseline/pipeline throughput): ${f2(r.ratio)}x  — the pipeline is ${f2(r.ratio)} times slower than the raw writes`,
  );
  console.log(
    `  phases: API sends ${f2(r.pipeline.apiPhaseS)} s, then drain to read ${f2(r.pipeline.drainS)} s (total ${f2(r.pipeline.totalS)} s); ` +
      `API alone (dispatcher off): ${f1(r.pipeline.apiOnlyMsgsPerS)} msgs/s`,
  );
  console.log(
    `  API alone by kind of send: free text ${f1(r.pipeline.apiOnlyMsgsPerS)} msgs/s, starter template ${f1(r.pipeline.apiOnlyTemplateMsgsPerS)} msgs/s ` +
      `(${f2(r.pipeline.apiOnlyMsgsPerS / r.pipeline.apiOnlyTemplateMsgsPerS)}x), clinical text sent securely ${f1(r.pipeline.apiOnlySecureMsgsPerS)} msgs/s ` +
      `(${f2(r.pipeline.apiOnlyMsgsPerS / r.pipeline.apiOnlySecureMsgsPerS)}x)`,
  );
  if (r.withWorker !== null) {
    const w = r.withWorker;
    console.log(
      `  with one \`wardline worker\` process (API here, dispatch there): ${f1(w.msgsPerS)} msgs/s API → read, ` +
        `send p50 ${f2(w.p50)} ms, p99 ${f2(w.p99)} ms; ratio ${f2(r.baseline.msgsPerS / w.msgsPerS)}x`,
    );
  }
  console.log(
    '  pipeline statements by kind (count per message, mean ms each, summed ms — overlapping, incl. queueing):',
  );
  for (const b of r.perMessage.breakdown.slice(0, 16)) {
    console.log(
      `    ${b.label.padEnd(38)} ${f2(b.perMessage).padStart(6)}/msg  ${f2(b.meanMs).padStart(7)} ms  ${b.totalMs.toFixed(0).padStart(8)} ms`,
    );
  }
}

async function main(): Promise<void> {
  const pgUrl = await benchPostgresUrl();
  const only = (process.env['BENCH_DATABASES'] ?? 'pglite,postgres').split(',').map((s) => s.trim());
  const targets: [DbKind, string | undefined][] = only.includes('pglite') ? [['pglite', undefined]] : [];
  if (!only.includes('postgres')) {
    // skipped on request
  } else if (pgUrl !== undefined) targets.push(['postgres', pgUrl]);
  else console.log(`(PostgreSQL skipped: DATABASE_URL unset and nothing at ${DEFAULT_PG_URL})`);

  console.log(
    `send-pipeline bench: Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const results: Result[] = [];
  const started = performance.now();
  for (const [db, url] of targets) {
    const result = await benchDatabase(db, url);
    results.push(result);
    printTable(result);
  }
  console.log(`\n(total bench time ${f1((performance.now() - started) / 1000)} s)\n`);
  for (const r of results) {
    console.log(
      JSON.stringify({
        bench: 'send-pipeline',
        db: r.db,
        node: process.version,
        messages: MESSAGES,
        concurrency: CONCURRENCY,
        patients: PATIENTS,
        pipeline_msgs_per_s: Number(f1(r.pipeline.msgsPerS)),
        pipeline_send_p50_ms: Number(f2(r.pipeline.p50)),
        pipeline_send_p99_ms: Number(f2(r.pipeline.p99)),
        baseline_msgs_per_s: Number(f1(r.baseline.msgsPerS)),
        baseline_p50_ms: Number(f2(r.baseline.p50)),
        baseline_p99_ms: Number(f2(r.baseline.p99)),
        ratio: Number(f2(r.ratio)),
        api_phase_s: Number(f2(r.pipeline.apiPhaseS)),
        drain_s: Number(f2(r.pipeline.drainS)),
        api_only_msgs_per_s: Number(f1(r.pipeline.apiOnlyMsgsPerS)),
        api_only_template_msgs_per_s: Number(f1(r.pipeline.apiOnlyTemplateMsgsPerS)),
        api_only_secure_msgs_per_s: Number(f1(r.pipeline.apiOnlySecureMsgsPerS)),
        tx_per_msg: Number(f2(r.perMessage.transactions)),
        statements_per_msg: Number(f2(r.perMessage.statements)),
        ...(r.withWorker === null
          ? {}
          : {
              with_worker_msgs_per_s: Number(f1(r.withWorker.msgsPerS)),
              with_worker_p50_ms: Number(f2(r.withWorker.p50)),
              with_worker_p99_ms: Number(f2(r.withWorker.p99)),
              with_worker_ratio: Number(f2(r.baseline.msgsPerS / r.withWorker.msgsPerS)),
            }),
      }),
    );
  }
}

await main();
