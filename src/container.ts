import { randomBytes, randomUUID } from 'node:crypto';
import type { AppDeps } from './app/context.ts';
import { createAuthenticator } from './app/directory.ts';
import { ingestStatuses } from './app/ingest-status.ts';
import type { Clock, IdSource } from './app/ports.ts';
import { createSimulatorProvider, type SimulatorProvider } from './adapters/carriers/simulator/simulator.provider.ts';
import { loadOrCreateDevKeys } from './adapters/crypto/dev-keys.ts';
import { createFieldCipher } from './adapters/crypto/field-cipher.ts';
import { migrate, openDatabase, type DatabaseHandle, type DatabaseOptions } from './adapters/db/database.ts';
import { createKyselyStore } from './adapters/db/store.ts';
import { createOutboxWorker, type OutboxWorker } from './adapters/dispatch/outbox-worker.ts';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';

export interface Container {
  readonly config: Config;
  readonly deps: AppDeps;
  readonly database: DatabaseHandle;
  readonly worker: OutboxWorker;
  /** Present when the simulator carries messages. */
  readonly simulator: SimulatorProvider | null;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** PostgreSQL schema to use (tests isolate each file in its own). */
  readonly schema?: string;
}

const systemClock: Clock = { now: () => new Date() };
const randomIds: IdSource = { uuid: () => randomUUID(), token: () => `wl_${randomBytes(32).toString('base64url')}` };

/**
 * @param config - validated configuration
 * @param schema - a PostgreSQL schema to use instead of the default search path
 * @returns how to open the configured database
 */
export function databaseOptions(config: Config, schema?: string): DatabaseOptions {
  return config.database.kind === 'pglite'
    ? { kind: 'pglite', dataDir: config.database.dataDir }
    : { kind: 'postgres', url: config.database.url.expose(), poolSize: config.database.poolSize, ...(schema ? { schema } : {}) };
}

/**
 * Explicit wiring (STYLE.md §3): the only place adapters meet. Opens and migrates the database, builds the
 * cipher, the store, the carrier and the dispatcher.
 * @param config - validated configuration
 * @param overrides - test seams: logger, clock, randomness, schema
 */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  if (config.carrier.kind !== 'simulator') {
    throw new Error(`carrier ${config.carrier.kind} is not available in this version; unset its variables to use the simulator`);
  }
  const database = await openDatabase(databaseOptions(config, overrides.schema));
  const applied = await migrate(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  const keys = config.crypto ?? (await loadOrCreateDevKeys(config.dataDir));
  const store = createKyselyStore(database.db, createFieldCipher(keys), randomUUID);

  // Receipts and wake-ups close over `deps` and `worker`; both exist before the first message can be sent.
  const simulator = createSimulatorProvider({
    latencyMs: config.carrier.latencyMs,
    failureRate: config.carrier.failureRate,
    readReceipts: config.carrier.readReceipts,
    random: overrides.random ?? Math.random,
    onStatuses: (events) => ingestStatuses(deps, events),
    onError: (error) => {
      logger.error({ err: error }, 'simulator receipt failed');
    },
  });
  const deps: AppDeps = {
    store,
    clock: overrides.clock ?? systemClock,
    ids: randomIds,
    logger,
    carrier: simulator,
    authenticate: (token) => authenticate(token),
    settings: { defaultRegion: config.defaultRegion, organisation: config.organisation },
    wakeDispatcher: () => {
      worker.wake();
    },
  };
  const authenticate = createAuthenticator(deps, { ttlMs: config.tokenCacheMs, maxEntries: 10_000 });
  const worker = createOutboxWorker(deps, { batchSize: 128, pollMs: 250, coalesceMs: 10 });

  return {
    config,
    deps,
    database,
    worker,
    simulator,
    async close() {
      await worker.stop();
      await simulator.idle();
      await database.close();
    },
  };
}
