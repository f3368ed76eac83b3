/**
 * Audit hash-chain benchmark (issue 6): what the chain costs on the send path, and how fast the trail is sealed
 * and verified (docs/decisions/0015-audit-hash-chain.md).
 *
 * 1. Send path: POST /v1/messages through the real HTTP stack (inject), 32 in flight, with the sealer off and with
 *    it sealing every 100 ms in the same process (ten times the default rhythm, so it competes as hard as it can).
 *    Rounds alternate off/on and the median of each is compared. Target: the chain costs under 15%.
 * 2. Sealing and verifying: N audit events written with generate_series (the bare INSERT is the baseline), then
 *    sealed (`sealAll`) and verified (`verify`); events/s, with a plain sequential read of the same rows as the
 *    reading baseline.
 *
 *   node bench/audit-chain.bench.ts                  (PostgreSQL at DATABASE_URL or the local default, and PGlite)
 *   BENCH_CHAIN_EVENTS=1000000 BENCH_CHAIN_SENDS=3000 node bench/audit-chain.bench.ts
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { buildApp } from '../src/adapters/http/build-app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { adminQuery, benchKeys, benchLogger, benchPostgresUrl, BENCH_ENV, runConcurrent } from './support.ts';

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const SENDS = int('BENCH_CHAIN_SENDS', 1500);
const ROUNDS = int('BENCH_CHAIN_ROUNDS', 3);
const EVENTS = int('BENCH_CHAIN_EVENTS', 200_000);
const PATIENTS = 100;
const KEYS = benchKeys();
const ADMIN = `wl_bench_admin_${randomBytes(16).toString('hex')}`;

type Db = 'pglite' | 'postgres';

async function open(db: Db, url: string | undefined, sealMs: number): Promise<{ container: Container; drop: () => Promise<void> }> {
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  if (db === 'postgres') await adminQuery(url as string, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({ ...BENCH_ENV, ...KEYS, WARDLINE_AUDIT_SEAL_MS: String(sealMs), ...(db === 'postgres' ? { DATABASE_URL: url, WARDLINE_DB_POOL_SIZE: '10' } : {}) });
  const container = await createContainer(config, { logger: benchLogger(), ...(db === 'postgres' ? { schema } : {}) });
  return {
    container,
    drop: async () => {
      await container.close();
      if (db === 'postgres') await adminQuery(url as string, `DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/** Sends per second through the HTTP stack with the sealer at `sealMs` (0: off). */
async function sendRate(db: Db, url: string | undefined, sealMs: number): Promise<number> {
  const { container, drop } = await open(db, url, sealMs);
  try {
    const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks });
    await bootstrapAdmin(container.deps, ADMIN);
    await app.ready();
    const headers = { authorization: `Bearer ${ADMIN}` };
    const patients: string[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      const created = await app.inject({ method: 'POST', url: '/v1/patients', headers, payload: { givenName: `Bench${String(i)}`, familyName: 'Patient', birthDate: '1970-01-01', phone: `+1415555${String(2000 + i)}` } });
      const id = created.json<{ id: string }>().id;
      await app.inject({ method: 'POST', url: `/v1/patients/${id}/consents`, headers, payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree to texts' } } });
      patients.push(id);
    }
    const send = async (i: number): Promise<void> => {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: { patientId: patients[i % PATIENTS], channel: 'sms', category: 'administrative', body: 'Your appointment is tomorrow at 9:00.' } });
      if (res.statusCode !== 202) throw new Error(`send: ${String(res.statusCode)}`);
    };
    await runConcurrent(200, 32, send); // warm-up
    const started = performance.now();
    await runConcurrent(SENDS, 32, send);
    const rate = SENDS / ((performance.now() - started) / 1000);
    await app.close();
    return rate;
  } finally {
    await drop();
  }
}

async function sealAndVerify(db: Db, url: string | undefined): Promise<{ insert: number; read: number; seal: number; verify: number; ok: boolean }> {
  const { container, drop } = await open(db, url, 0);
  try {
    const kdb = container.database.db;
    await container.auditSealer.sealAll();
    let started = performance.now();
    await sql`INSERT INTO audit_event (event_id, occurred_at, actor_type, actor_id, action, outcome, target_type, target_id, patient_id, reason, request_id, source_address, details)
      SELECT gen_random_uuid(), now() - make_interval(secs => ${EVENTS} - g), 'user', 'bench-user', 'message.queued', 'success', 'message', gen_random_uuid()::text, gen_random_uuid(), NULL, 'req-' || g, '10.0.0.1', jsonb_build_object('channel', 'sms', 'segments', 1)
      FROM generate_series(1, ${EVENTS}) g`.execute(kdb);
    const insert = EVENTS / ((performance.now() - started) / 1000);
    started = performance.now();
    await sql`SELECT * FROM audit_event ORDER BY id`.execute(kdb);
    const read = EVENTS / ((performance.now() - started) / 1000);
    started = performance.now();
    const sealed = await container.auditSealer.sealAll();
    const seal = sealed / ((performance.now() - started) / 1000);
    started = performance.now();
    const report = await container.auditSealer.verify();
    const verify = report.events / ((performance.now() - started) / 1000);
    return { insert, read, seal, verify, ok: report.ok };
  } finally {
    await drop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const url = await benchPostgresUrl();
  const dbs: Db[] = url === undefined ? ['pglite'] : ['pglite', 'postgres'];
  console.log(`\n== audit hash chain (${String(SENDS)} sends × ${String(ROUNDS)} rounds each way; ${f0(EVENTS)} events sealed and verified)`);
  for (const db of dbs) {
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      off.push(await sendRate(db, url, 0));
      on.push(await sendRate(db, url, 100));
    }
    const cost = 1 - median(on) / median(off);
    console.log(`${db}: sends/s without the sealer ${f0(median(off))} (${off.map(f0).join(', ')}), with it every 100 ms ${f0(median(on))} (${on.map(f0).join(', ')}): chain cost ${(cost * 100).toFixed(1)}% (target < 15%)`);
    const s = await sealAndVerify(db, url);
    console.log(
      `${db}: bare INSERT ${f0(s.insert)} events/s; plain read ${f0(s.read)} events/s; seal ${f0(s.seal)} events/s (${(s.seal / s.insert).toFixed(2)}× the insert); verify ${f0(s.verify)} events/s (${(s.verify / s.read).toFixed(2)}× the plain read)${s.ok ? '' : ' — VERIFY FAILED'}`,
    );
  }
}

await main();
