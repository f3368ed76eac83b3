import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { bootstrapAdmin } from '../../src/app/directory.ts';
import { dispatchBatch } from '../../src/app/dispatch.ts';
import { buildApp } from '../../src/adapters/http/build-app.ts';
import { loadConfig } from '../../src/config.ts';
import { createContainer, type Container } from '../../src/container.ts';
import { createLogger } from '../../src/logger.ts';
import type { Clock } from '../../src/app/ports.ts';

/** A free loopback port (for a harness that listens, so carriers' stand-ins can call its webhooks). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Test harness: a real Wardline (real database, real HTTP through `inject`, the simulator carrier) on
 * every database we support, like kysely's DIALECTS loop. PGlite always; the PostgreSQL server when
 * `DATABASE_URL` is set — each harness then gets its own schema, dropped afterwards.
 */
export const DATABASES: readonly ('pglite' | 'postgres')[] = process.env['DATABASE_URL'] ? ['pglite', 'postgres'] : ['pglite'];

export const ADMIN_TOKEN = 'wl_test_admin_token_0123456789abcdef';

export interface Harness {
  readonly app: FastifyInstance;
  readonly container: Container;
  /** Every log line written, for the PHI canary checks. */
  readonly logs: () => string;
  /** Runs the dispatcher until the outbox is empty and every simulated receipt is in. */
  readonly settle: () => Promise<void>;
  readonly close: () => Promise<void>;
  readonly admin: { authorization: string };
}

export async function createHarness(
  database: 'pglite' | 'postgres',
  env: Record<string, string> = {},
  options: { random?: () => number; clock?: Clock; listen?: boolean } = {},
): Promise<Harness> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const url = process.env['DATABASE_URL'];
  const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  if (database === 'postgres') {
    if (url === undefined) throw new Error('DATABASE_URL is not set');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const config = loadConfig({
    WARDLINE_ENV: 'test',
    WARDLINE_DATA_DIR: ':memory:',
    WARDLINE_LOG_LEVEL: 'debug',
    WARDLINE_SIMULATOR_LATENCY_MS: '0',
    WARDLINE_QUIET_HOURS: 'off',
    WARDLINE_DISPATCHER: 'off',
    ...(database === 'postgres' && url !== undefined ? { DATABASE_URL: url, WARDLINE_DB_POOL_SIZE: '4' } : {}),
    ...env,
  });
  const container = await createContainer(config, {
    logger: createLogger('debug', sink),
    ...(database === 'postgres' ? { schema } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await bootstrapAdmin(container.deps, ADMIN_TOKEN);
  const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks });
  await app.ready();
  // Carriers' webhooks arrive over a real loopback socket at the configured public URL.
  if (options.listen === true) await app.listen({ port: config.http.port, host: '127.0.0.1' });
  return {
    app,
    container,
    logs: () => lines.join(''),
    admin: { authorization: `Bearer ${ADMIN_TOKEN}` },
    async settle() {
      for (let i = 0; i < 20; i++) {
        const claimed = await dispatchBatch(container.deps, 100);
        await container.simulator?.idle();
        if (claimed === 0) return;
      }
    },
    async close() {
      await app.close();
      await container.close();
      if (database === 'postgres' && url !== undefined) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      }
    },
  };
}
