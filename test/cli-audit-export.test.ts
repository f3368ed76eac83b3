import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import type { ExportHeader } from '../src/core/audit/export-format.ts';
import { runCli, type CliResult } from './support/cli.ts';

let dir: string;

function cli(args: string[]): Promise<CliResult> {
  return runCli(['audit', ...args], {
    env: { ...process.env, WARDLINE_DATA_DIR: join(dir, 'data'), WARDLINE_ADMIN_TOKEN: 'x'.repeat(32), DATABASE_URL: '', WARDLINE_DISPATCHER: 'off', WARDLINE_LOG_LEVEL: 'silent' },
  });
}

/** The export events the CLI recorded, read after it exited. */
async function exportAudit(): Promise<{ action: string; actor_id: string | null; source_address: string | null; details: Record<string, unknown> }[]> {
  const container = await createContainer(loadConfig({ WARDLINE_DATA_DIR: join(dir, 'data'), WARDLINE_LOG_LEVEL: 'silent', WARDLINE_DISPATCHER: 'off', WARDLINE_AUDIT_SEAL_MS: '0' }));
  try {
    return await container.database.db
      .selectFrom('audit_event')
      .select(['action', 'actor_id', 'source_address', 'details'])
      .where('action', 'like', 'audit.export%')
      .orderBy('id')
      .execute();
  } finally {
    await container.close();
  }
}

/**
 * `wardline audit export` writes an export file as the administrator, with progress on stderr, and
 * `wardline audit verify-export` checks a file offline (issue 6 item 4).
 */
describe('wardline audit export / verify-export', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-cli-export-'));
    // Some history: 3,000 events, so the export runs over several pages.
    const container = await createContainer(loadConfig({ WARDLINE_DATA_DIR: join(dir, 'data'), WARDLINE_LOG_LEVEL: 'silent', WARDLINE_DISPATCHER: 'off', WARDLINE_AUDIT_SEAL_MS: '0' }));
    try {
      await sql`INSERT INTO audit_event (event_id, actor_type, actor_id, action, outcome, target_type, details)
        SELECT gen_random_uuid(), 'system', 'wardline', 'webhook.rejected', 'denied', 'webhook', jsonb_build_object('n', g)
        FROM generate_series(1, 3000) g`.execute(container.database.db);
    } finally {
      await container.close();
    }
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exports JSON Lines to a file with progress, audited as the administrator from the cli', async () => {
    const out = join(dir, 'trail.jsonl');
    const res = await cli(['export', '--format', 'jsonl', '--out', out]);
    expect(res.stderr).toContain('exporting: 100%');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^exported \d+ audit events up to chain position \d+ to /);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as ExportHeader;
    expect(header.scope.full).toBe(true);
    expect(lines.length).toBe(header.chain.position + 2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'trailer', complete: true, events: header.chain.position });
    const audit = await exportAudit();
    expect(audit.map((a) => a.action)).toEqual(['audit.export-started', 'audit.exported']);
    expect(audit[1]).toMatchObject({ actor_id: '00000000-0000-4000-8000-000000000001', source_address: 'cli', details: { via: 'cli', format: 'jsonl', events: header.chain.position } });

    const keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, header.publicKeyPem);
    const verified = await cli(['verify-export', out, '--public-key', keyFile]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('audit export intact (jsonl)');
    expect(verified.stdout).toContain('anchored to a checkpoint signed by the given key');
    const embedded = await cli(['verify-export', out]);
    expect(embedded.stdout).toContain('embedded (weaker');
  }, 120_000);

  it('verify-export exits 1 on a tampered or truncated CSV export', async () => {
    const out = join(dir, 'trail.csv');
    expect((await cli(['export', '--format', 'csv', '--out', out])).code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toContain('""n"": 17}');
    await writeFile(out, text.replace('""n"": 17}', '""n"": 71}'));
    const tampered = await cli(['verify-export', out]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/PROBLEM: event .* does not match its hash/);
    await writeFile(out, text.slice(0, Math.floor(text.length / 2)));
    const cut = await cli(['verify-export', out]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain('incomplete');
  }, 120_000);

  it('refuses bad options without echoing them, and answers an unknown patient as not found', async () => {
    const bad = await cli(['export', '--from', 'CANARY-not-a-date', '--patient', 'CANARY-id', '--out', join(dir, 'x.jsonl')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from must be an ISO 8601 date');
    expect(bad.stderr).toContain('--patient must be a patient id');
    expect(bad.stderr).not.toContain('CANARY');
    const reversed = await cli(['export', '--from', '2026-02-01', '--to', '2026-01-01', '--out', join(dir, 'x.jsonl')]);
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('EXPORT_RANGE_INVALID');
    const unknown = await cli(['export', '--patient', '6f1c1f1e-8a5e-4f3a-9c1e-000000000000', '--out', join(dir, 'x.jsonl')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    const format = await cli(['export', '--format', 'xml', '--out', join(dir, 'x.jsonl')]);
    expect(format.code).not.toBe(0);
  }, 120_000);
});
