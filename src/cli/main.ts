#!/usr/bin/env node
 
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { bootstrapAdmin } from '../app/directory.ts';
import { buildApp } from '../adapters/http/build-app.ts';
import { migrate, openDatabase } from '../adapters/db/database.ts';
import { carrierCheckers, createContainer, databaseOptions } from '../container.ts';
import { importPatientsCommand } from './import-patients.ts';
import { auditCommand } from './audit.ts';
import { retentionCommand } from './retention.ts';
import { phiScanCommand } from './phi-scan.ts';

function configOrExit(): ReturnType<typeof loadConfig> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop().then(() => process.exit(0));
    });
  }
}

async function start(): Promise<void> {
  const config = configOrExit();
  const container = await createContainer(config);
  const { generatedToken } = await bootstrapAdmin(container.deps, config.adminToken?.expose() ?? null);
  const app = await buildApp(container.deps, { simulator: container.simulator, webhooks: container.webhooks, trustProxy: config.http.trustProxy });
  if (config.dispatcher === 'inline') container.worker.start();
  await app.listen({ port: config.http.port, host: config.http.host });
  const base = config.http.publicUrl;
  console.log(`\nWardline is running at ${base}`);
  console.log(`  API docs:     ${base}/docs   (OpenAPI: ${base}/openapi.json)`);
  console.log(`  Database:     ${config.database.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${config.dataDir ?? 'memory'}` : 'PostgreSQL (DATABASE_URL)'}`);
  console.log(`  Senders:      ${container.deps.senders.map((s) => `${s.id} → ${s.channels.join('/')}${s.ratePerSecond === null ? '' : ` @ ${String(s.ratePerSecond)}/s`}`).join('; ')}`);
  if (container.simulator !== null) console.log('                (the simulator is for development only)');
  if (generatedToken !== null) {
    console.log(`\n  Admin token (shown once, store it now):\n    ${generatedToken}\n`);
  } else {
    console.log(`  Admin token:  ${config.adminToken ? 'from WARDLINE_ADMIN_TOKEN' : 'issued at first start (shown then)'}`);
  }
  onSignals(async () => {
    await app.close();
    await container.close();
  });
}

async function worker(): Promise<void> {
  const config = configOrExit();
  const container = await createContainer(config);
  container.worker.start();
  container.deps.logger.info('worker started');
  onSignals(() => container.close());
}

async function migrateOnly(): Promise<void> {
  const config = configOrExit();
  const handle = await openDatabase(databaseOptions(config));
  const applied = await migrate(handle);
  console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
  await handle.close();
}

/**
 * `wardline carriers check`: validates the carrier configuration and asks each carrier, read-only, whether the
 * account, sender and credentials are usable. Nothing is sent. Exits 1 when anything is wrong.
 */
async function checkCarriers(): Promise<void> {
  const config = configOrExit();
  const checkers = carrierCheckers(config);
  if (checkers.length === 0) {
    console.log('No carrier is configured: the simulator carries messages (development only).');
    console.log('Set TWILIO_* and/or WHATSAPP_* (see the README) to use real carriers.');
    return;
  }
  let failed = false;
  for (const { carrier, checker } of checkers) {
    console.log(`${carrier}:`);
    const items = await checker.check();
    for (const item of items) {
      failed ||= !item.ok;
      console.log(`  ${item.ok ? 'ok  ' : 'FAIL'} ${item.name}: ${item.detail}`);
    }
  }
  console.log(failed ? '\nSome checks failed.' : '\nAll carrier checks passed. Nothing was sent.');
  if (failed) process.exitCode = 1;
}

const program = new Command('wardline').description('Patient messaging with HIPAA safeguards on every send');
program.command('start').description('run the HTTP API with the in-process dispatcher').action(start);
program.command('worker').description('run a dispatcher only (several may run against one PostgreSQL)').action(worker);
program.command('migrate').description('apply database migrations and exit').action(migrateOnly);
program.addCommand(importPatientsCommand(configOrExit));
program.addCommand(phiScanCommand());
program.addCommand(auditCommand(configOrExit));
program.addCommand(retentionCommand(configOrExit));
program
  .command('carriers')
  .description('carrier configuration')
  .command('check')
  .description('validate the carrier configuration against the carriers, read-only (nothing is sent)')
  .action(checkCarriers);
await program.parseAsync(process.argv);
