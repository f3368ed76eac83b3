import { mkdir, readdir, readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type CompiledQuery } from 'kysely';
import pg, { escapeLiteral } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from './schema.ts';

/**
 * The database port's one implementation: Kysely over PGlite (embedded, the default) or PostgreSQL
 * (`DATABASE_URL`, pooled `pg`). Nothing outside this file knows which (STYLE.md §12.3).
 */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` on one database session; `exec` runs a multi-statement SQL script and returns the rows of
   * its last statement (migrations, advisory locks).
   */
  withSession<T>(fn: (exec: (script: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only (null on PGlite, which has no streaming COPY): streams a query's rows as `COPY … TO STDOUT` text,
   * in one read-only transaction with `TimeZone` UTC, on a connection of its own. Bulk reads (audit exports) use it:
   * the server's own row output, read as a few large chunks, costs a fraction of the per-row protocol parsing of a
   * SELECT. COPY takes no bind parameters, so the query's are inlined as quoted literals (`escapeLiteral`). Stopping
   * the iteration early discards the connection (it is mid-COPY) instead of returning it to the pool.
   */
  readonly copyOut: ((query: CompiledQuery) => AsyncGenerator<Buffer, void, undefined>) | null;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string; poolSize: number; schema?: string };

// int8 (bigserial) as a JS number; ids below 2^53 are safe for our ledgers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** @param options - which database to open */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'pglite') {
    if (options.dataDir !== null) await mkdir(options.dataDir, { recursive: true });
    const pglite = await PGlite.create(options.dataDir === null ? undefined : `${options.dataDir}/pgdata`);
    return {
      db: new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) }),
      kind: 'pglite',
      withSession: (fn) =>
        fn(async (script) => {
          const results = await pglite.exec(script);
          return (results.at(-1)?.rows ?? []);
        }),
      copyOut: null,
      close: async () => {
        await pglite.close();
      },
    };
  }
  const searchPath = options.schema ? `-c search_path=${options.schema}` : undefined;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    ...(searchPath ? { options: searchPath } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    withSession: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn(async (script) => {
          const result = (await client.query(script)) as unknown as pg.QueryResult | pg.QueryResult[];
          const last = Array.isArray(result) ? result.at(-1) : result;
          return (last?.rows ?? []) as Record<string, unknown>[];
        });
      } finally {
        client.release();
      }
    },
    async *copyOut(query) {
      const client = await pool.connect();
      let discard = true;
      try {
        await client.query("BEGIN READ ONLY; SET LOCAL TimeZone = 'UTC'");
        // A 4 MB buffer lets the server run about two pages ahead while one is formatted (bounded: constant memory).
        yield* client.query(copyTo(`COPY (${inlineParameters(query)}) TO STDOUT`, { highWaterMark: COPY_READ_AHEAD }));
        await client.query('COMMIT');
        discard = false;
      } finally {
        client.release(discard);
      }
    },
    close: async () => {
      await db.destroy();
    },
  };
}

/**
 * A compiled query's text with its `$n` parameters as SQL literals, for statements that take none (COPY). Only
 * numbers, strings and dates occur (ids, positions, times): each becomes a quoted literal, so a value can never
 * end the literal early.
 * @param query - a compiled Kysely query
 */
export function inlineParameters(query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)\b/g, (_match, n: string) => {
    const value: unknown = query.parameters[Number(n) - 1];
    if (typeof value === 'number' && Number.isFinite(value)) return escapeLiteral(String(value));
    if (typeof value === 'string') return escapeLiteral(value);
    if (value instanceof Date) return escapeLiteral(value.toISOString());
    throw new Error(`parameter $${n} cannot be inlined`);
  });
}

/** Bytes of COPY output read ahead of the consumer. */
const COPY_READ_AHEAD = 4 * 1024 * 1024;

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/**
 * Applies pending migrations in file-name order, each in its own transaction, on one session holding an
 * advisory lock, so several Wardline processes starting together apply each migration exactly once.
 * @param handle - an open database
 * @returns the names of the migrations applied now
 */
export async function migrate(handle: DatabaseHandle): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return handle.withSession(async (exec) => {
    await exec('SELECT pg_advisory_lock(74417)');
    try {
      await exec(
        'CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set((await exec('SELECT name FROM schema_migration')).map((r) => String(r['name'])));
      const applied: string[] = [];
      for (const file of files.filter((f) => !done.has(f))) {
        const script = await readFile(new URL(file, MIGRATIONS_DIR), 'utf8');
        await exec(`BEGIN;\n${script}\nINSERT INTO schema_migration (name) VALUES ('${file}');\nCOMMIT;`);
        applied.push(file);
      }
      return applied;
    } finally {
      await exec('SELECT pg_advisory_unlock(74417)');
    }
  });
}
