/**
 * Carrier benchmark (issue 3). Twilio cannot be reached from here: the loopback stand-in in
 * test/support/twilio-standin.ts speaks its REST wire format and the adapter drives it through the official SDK.
 *
 * 1. Dispatch throughput, rate limits off: queue N messages, then time a dispatcher draining them through the Twilio
 *    adapter, and the same through the simulator; report messages/s and the ratio Twilio / simulator.
 * 2. Rate-limiter accuracy, limits on (PostgreSQL only: two `wardline worker` processes share one database): for each
 *    rate R, the rate achieved at the stand-in's ingress over BENCH_RATE_SECONDS (default 30) after a 2 s warm-up,
 *    as a share of R (target within ±2 %), and the most sends seen in any sliding one-second window (target ≤ R).
 *
 *   npm run bench                      (runs this after the send-pipeline bench)
 *   BENCH_RATES=1,10,100 BENCH_RATE_SECONDS=30 BENCH_CARRIER_MESSAGES=2000 node bench/carriers.bench.ts
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { buildApp } from '../src/adapters/http/build-app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { startTwilioStandIn, type TwilioStandIn } from '../test/support/twilio-standin.ts';
import { adminQuery, benchPostgresUrl, spawnWorker, BENCH_ENV, benchKeys, benchLogger } from './support.ts';

const MESSAGES = Number(process.env['BENCH_CARRIER_MESSAGES'] ?? 2000);
const RATES = (process.env['BENCH_RATES'] ?? '1,10,100').split(',').map(Number);
const RATE_SECONDS = Number(process.env['BENCH_RATE_SECONDS'] ?? 30);
const WARMUP_S = 2;
const PARTS = (process.env['BENCH_PARTS'] ?? 'throughput,rate').split(',');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const SERVICE_SID = `MG${randomBytes(16).toString('hex')}`;
const ADMIN_TOKEN = `wl_bench_admin_${randomBytes(16).toString('hex')}`;
const KEY_ENV = benchKeys();
const BODY = 'Reminder: your appointment at the Riverside clinic is tomorrow at 09:30. Reply STOP to opt out.';

type DbKind = 'pglite' | 'postgres';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function twilioEnv(standIn: TwilioStandIn, rate: number): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID,
    TWILIO_API_URL: standIn.url,
    TWILIO_RATE_PER_SECOND: String(rate),
  };
}

/** A Wardline with the dispatcher off, its patients and `count` queued messages; returns it and its schema. */
async function seeded(db: DbKind, url: string | undefined, schema: string, carrierEnv: Record<string, string>, count: number) {
  if (db === 'postgres' && url !== undefined) await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const config = loadConfig({
    ...BENCH_ENV,
    ...KEY_ENV,
    ...carrierEnv,
    ...(db === 'postgres' && url !== undefined ? { DATABASE_URL: url } : {}),
  });
  const container = await createContainer(config, { logger: benchLogger(), ...(db === 'postgres' ? { schema } : {}) });
  const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks });
  await bootstrapAdmin(container.deps, ADMIN_TOKEN);
  await app.ready();
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const patients: string[] = [];
  for (let i = 0; i < 100; i++) {
    const created = await app.inject({ method: 'POST', url: '/v1/patients', headers, payload: { givenName: 'Bench', familyName: `P${String(i)}`, birthDate: '1980-01-01', phone: `+1415556${String(1000 + i)}` } });
    const id = created.json<{ id: string }>().id;
    await app.inject({ method: 'POST', url: `/v1/patients/${id}/consents`, headers, payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree' } } });
    patients.push(id);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        const res = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: { patientId: patients[i % patients.length], channel: 'sms', category: 'administrative', body: BODY } });
        if (res.statusCode !== 202) throw new Error(`send failed: ${String(res.statusCode)}`);
      }
    }),
  );
  return { container, app };
}

async function outboxSize(container: Awaited<ReturnType<typeof seeded>>['container']): Promise<number> {
  const row = await container.database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Times one in-process dispatcher draining `MESSAGES` queued messages. */
async function drainRate(db: DbKind, url: string | undefined, carrier: 'twilio' | 'simulator', standIn: TwilioStandIn): Promise<number> {
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const { container, app } = await seeded(db, url, schema, carrier === 'twilio' ? twilioEnv(standIn, 0) : {}, MESSAGES);
  try {
    const started = performance.now();
    container.worker.start();
    while ((await outboxSize(container)) > 0) await sleep(20);
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    await app.close();
    await container.close();
    if (db === 'postgres' && url !== undefined) await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`);
  }
}

interface Accuracy {
  rate: number;
  achieved: number;
  share: number;
  spacingShare: number;
  maxInAnySecond: number;
  windowsOverLimit: number;
  sent: number;
}

/** Two worker processes on one PostgreSQL, one paced Twilio sender at `rate`. */
async function accuracy(url: string, rate: number, standIn: TwilioStandIn): Promise<Accuracy> {
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const count = Math.ceil(rate * (RATE_SECONDS + WARMUP_S + 4));
  const { container, app } = await seeded('postgres', url, schema, twilioEnv(standIn, rate), count);
  await app.close();
  await container.close();
  standIn.sent.length = 0;
  const workerEnv = { ...KEY_ENV, ...twilioEnv(standIn, rate) };
  const workers = [spawnWorker(url, schema, workerEnv), spawnWorker(url, schema, workerEnv)];
  try {
    while (standIn.sent.length === 0) await sleep(5);
    const first = standIn.sent[0]?.hrtime ?? performance.now();
    const from = first + WARMUP_S * 1000;
    const to = from + RATE_SECONDS * 1000;
    while (performance.now() < to + 200) await sleep(50);
    const times = standIn.sent.map((s) => s.hrtime).sort((a, b) => a - b);
    const window = times.filter((t) => t >= from && t < to);
    const inWindow = window.length;
    // Count-based rates quantise at 1/RATE_SECONDS (3 % at 1 msg/s over 30 s); the spacing-based rate does not.
    const spacingRate = window.length > 1 ? (window.length - 1) / (((window.at(-1) ?? 0) - (window[0] ?? 0)) / 1000) : 0;
    let maxInAnySecond = 0;
    let over = 0;
    let j = 0;
    for (let i = 0; i < times.length; i++) {
      while (j < times.length && (times[j] ?? Infinity) < (times[i] ?? 0) + 1000) j++;
      const n = j - i;
      maxInAnySecond = Math.max(maxInAnySecond, n);
      if (n > rate) {
        over++;
        if (process.env['BENCH_DEBUG']) console.log(`    window at +${(((times[i] ?? 0) - (times[0] ?? 0)) / 1000).toFixed(3)} s holds ${String(n)}: gaps ${times.slice(i, j).map((t, k) => (k === 0 ? 0 : t - (times[i + k - 1] ?? 0)).toFixed(1)).join(' ')}`);
      }
    }
    const achieved = inWindow / RATE_SECONDS;
    return { rate, achieved, share: achieved / rate, spacingShare: spacingRate / rate, maxInAnySecond, windowsOverLimit: over, sent: times.length };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve) => {
            if (w.exitCode !== null) resolve(null);
            else w.once('exit', resolve);
          }),
      ),
    );
    await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`);
  }
}

async function main(): Promise<void> {
  const pgUrl = await benchPostgresUrl();
  console.log(`carriers bench: Node ${process.version}, ${String(os.cpus().length)} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const standIn = await startTwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  try {
    const targets: [DbKind, string | undefined][] = [['pglite', undefined], ...(pgUrl === undefined ? [] : [['postgres', pgUrl] as [DbKind, string]])];
    if (PARTS.includes('throughput')) console.log(`\n1. Dispatch throughput, rate limits off (${String(MESSAGES)} queued messages, one in-process dispatcher)`);
    for (const [db, url] of PARTS.includes('throughput') ? targets : []) {
      const simulator = await drainRate(db, url, 'simulator', standIn);
      const twilio = await drainRate(db, url, 'twilio', standIn);
      console.log(`  ${db.padEnd(8)}  Twilio (SDK → loopback stand-in) ${twilio.toFixed(0).padStart(6)} msgs/s   simulator ${simulator.toFixed(0).padStart(6)} msgs/s   ratio ${(twilio / simulator).toFixed(2)}`);
      console.log(JSON.stringify({ bench: 'carrier-dispatch', db, messages: MESSAGES, twilio_msgs_per_s: Math.round(twilio), simulator_msgs_per_s: Math.round(simulator), ratio: Number((twilio / simulator).toFixed(2)) }));
    }
    if (pgUrl === undefined) {
      console.log('\n2. Rate-limiter accuracy skipped: needs PostgreSQL (two worker processes on one database).');
      return;
    }
    console.log(`\n2. Rate-limiter accuracy: two \`wardline worker\` processes, one Twilio sender, ${String(RATE_SECONDS)} s after a ${String(WARMUP_S)} s warm-up, pacing margin ${String(Number(process.env['WARDLINE_PACING_MARGIN'] ?? 0.015) * 100)} %`);
    for (const rate of RATES) {
      const r = await accuracy(pgUrl, rate, standIn);
      console.log(
        `  ${String(rate).padStart(4)} msg/s configured: achieved ${r.achieved.toFixed(2).padStart(7)} msg/s = ${(r.share * 100).toFixed(1)} % (by spacing ${(r.spacingShare * 100).toFixed(1)} %)   most in any 1 s window ${String(r.maxInAnySecond).padStart(4)}   windows over the limit ${String(r.windowsOverLimit)}`,
      );
      console.log(JSON.stringify({ bench: 'rate-limiter', rate, seconds: RATE_SECONDS, achieved_per_s: Number(r.achieved.toFixed(3)), share: Number(r.share.toFixed(4)), spacing_share: Number(r.spacingShare.toFixed(4)), max_in_any_1s: r.maxInAnySecond, windows_over_limit: r.windowsOverLimit }));
    }
  } finally {
    await standIn.close();
  }
}

await main();
