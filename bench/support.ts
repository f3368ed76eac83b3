import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { createLogger, type Logger } from '../src/logger.ts';

/** Shared by the benchmarks: PostgreSQL administration, `wardline worker` child processes, a bench's settings. */

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on its own connection. */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const pgReachable = (url: string): Promise<boolean> => adminQuery(url, 'SELECT 1').then(() => true, () => false);

/** The PostgreSQL to bench on: DATABASE_URL, else the local default when it answers, else none. */
export async function benchPostgresUrl(): Promise<string | undefined> {
  const explicit = process.env['DATABASE_URL'];
  if (explicit !== undefined && explicit !== '') return explicit;
  return (await pgReachable(DEFAULT_PG_URL)) ? DEFAULT_PG_URL : undefined;
}

/**
 * Starts `wardline worker` on a bench schema of `url`, with this process's environment plus `env`.
 * @param url - the PostgreSQL URL
 * @param schema - the bench's own schema (search_path)
 * @param env - keys, carrier settings and the like
 */
export function spawnWorker(url: string, schema: string, env: Record<string, string>): ChildProcess {
  const target = new URL(url);
  target.searchParams.set('options', `-c search_path=${schema}`);
  return spawn(process.execPath, [fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), 'worker'], {
    env: { ...process.env, ...env, DATABASE_URL: target.toString(), WARDLINE_LOG_LEVEL: 'error', WARDLINE_QUIET_HOURS: 'off', WARDLINE_DATA_DIR: ':memory:' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * What every bench's Wardline starts from: in memory, silent, the simulator at zero latency, quiet hours and the
 * in-process dispatcher off (each bench starts dispatch itself when it measures it).
 */
export const BENCH_ENV = {
  WARDLINE_ENV: 'test',
  WARDLINE_DATA_DIR: ':memory:',
  WARDLINE_LOG_LEVEL: 'silent',
  WARDLINE_SIMULATOR_LATENCY_MS: '0',
  WARDLINE_QUIET_HOURS: 'off',
  WARDLINE_DISPATCHER: 'off',
} as const;

/** Explicit keys, so a separate `wardline worker` process can read what the bench's process encrypted. */
export function benchKeys(): { WARDLINE_ENCRYPTION_KEY: string; WARDLINE_LOOKUP_KEY: string } {
  return {
    WARDLINE_ENCRYPTION_KEY: `bench:${randomBytes(32).toString('base64')}`,
    WARDLINE_LOOKUP_KEY: randomBytes(32).toString('base64'),
  };
}

/** A logger that writes nowhere, or to stdout at `BENCH_LOG_LEVEL` when that is set (to debug a bench). */
export function benchLogger(): Logger {
  const level = process.env['BENCH_LOG_LEVEL'];
  if (level !== undefined && level !== '') return createLogger(level);
  return createLogger(
    'silent',
    new Writable({
      write: (_chunk, _enc, cb) => {
        cb();
      },
    }),
  );
}

/** Runs `job(0..n-1)` in `concurrency` lanes; @returns each job's latency (ms), sorted. */
export async function runConcurrent(
  n: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = new Array<number>(n);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const started = performance.now();
      await job(i);
      latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return latencies.sort((a, b) => a - b);
}
