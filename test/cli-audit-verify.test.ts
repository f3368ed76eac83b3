import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { checkpointSignatureValid } from '../src/adapters/crypto/audit-chain.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { runCli } from './support/cli.ts';

/**
 * `wardline audit verify`, `wardline audit checkpoints` and `wardline retention plan|purge` as an operator runs them:
 * the real CLI in a child process, on an embedded database in a data directory (its signing key generated there).
 */

let dir: string;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, WARDLINE_DATA_DIR: join(dir, 'data'), DATABASE_URL: '', WARDLINE_DISPATCHER: 'off', WARDLINE_LOG_LEVEL: 'silent' });
const open = () => createContainer(loadConfig({ WARDLINE_DATA_DIR: join(dir, 'data'), WARDLINE_LOG_LEVEL: 'silent', WARDLINE_DISPATCHER: 'off' }));

describe('wardline audit verify / checkpoints, retention (CLI)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-audit-'));
    const container = await open();
    await bootstrapAdmin(container.deps, 'y'.repeat(32));
    await container.close(); // closing seals what it wrote
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says the trail is intact and exits 0', async () => {
    const result = await runCli(['audit', 'verify'], { env: env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/audit trail intact: [1-9]\d* events in the chain, [1-9]\d* signed checkpoints verified/);
  });

  it('writes the signed checkpoints with the public key for a third party, and they verify with it alone', async () => {
    const out = join(dir, 'checkpoints.jsonl');
    const result = await runCli(['audit', 'checkpoints', '--out', out], { env: env() });
    expect(result.code).toBe(0);
    const [header, ...lines] = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(header).toMatchObject({ type: 'wardline-audit-checkpoints', version: 1 });
    expect(lines.length).toBeGreaterThan(0);
    for (const c of lines) expect(checkpointSignatureValid(header?.['publicKey'] as string, c['position'] as number, c['hash'] as string, c['signature'] as string)).toBe(true);
    expect((await runCli(['audit', 'checkpoints', '--out', out, '--after', 'soon'], { env: env() })).code).toBe(2);
  });

  it('plans retention without removing anything, and purges only with --yes', async () => {
    const plan = await runCli(['retention', 'plan'], { env: env() });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/retention: 6 years/);
    expect(plan.stdout).toMatch(/messages older than that: 0/);
    const dry = await runCli(['retention', 'purge'], { env: env() });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/nothing removed: add --yes/);
  });

  it('reports the position and kind of tampering and exits 1', async () => {
    const container = await open();
    try {
      const db = container.database.db;
      const victim = await db.selectFrom('audit_seal').select(['position', 'event_pk']).orderBy('position').limit(1).executeTakeFirstOrThrow();
      await db.transaction().execute(async (trx) => {
        await sql`ALTER TABLE audit_event DISABLE TRIGGER USER`.execute(trx);
        await sql`UPDATE audit_event SET outcome = 'failure' WHERE id = ${victim.event_pk}`.execute(trx);
        await sql`ALTER TABLE audit_event ENABLE TRIGGER USER`.execute(trx);
      });
    } finally {
      await container.close();
    }
    const result = await runCli(['audit', 'verify'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/AUDIT TRAIL TAMPERED: event [0-9a-f-]{36} at chain position 1 was altered/);
  });
});
