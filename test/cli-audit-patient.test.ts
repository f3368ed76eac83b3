import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../src/app/directory.ts';
import { dispatchBatch } from '../src/app/dispatch.ts';
import { buildApp } from '../src/adapters/http/build-app.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { runCli, type CliResult } from './support/cli.ts';
import { openPdf } from './support/pdf.ts';

/**
 * Issue 6 items 3 and 5 on the command line: `wardline audit patient <id> --from --to [--json] [--pdf FILE]` prints
 * the regulator's query (or writes the PDF evidence report) as the CLI administrator, audited via `cli`.
 */

const TOKEN = 'x'.repeat(32);
let dir: string;
let patientId: string;
const messageIds: string[] = [];
const from = new Date(Date.now() - 3_600_000).toISOString();
const to = new Date(Date.now() + 3_600_000).toISOString();

const env = (): Record<string, string> => ({
  WARDLINE_DATA_DIR: join(dir, 'data'),
  WARDLINE_ADMIN_TOKEN: TOKEN,
  WARDLINE_DISPATCHER: 'off',
  WARDLINE_QUIET_HOURS: 'off',
  WARDLINE_SIMULATOR_LATENCY_MS: '0',
  WARDLINE_LOG_LEVEL: 'silent',
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(['audit', 'patient', ...args], { env: { ...process.env, ...env(), DATABASE_URL: '' } });
}

/** Opens the CLI's data dir in this process (the CLI is not running then): `fn` gets the container. */
async function withContainer<T>(fn: (c: Awaited<ReturnType<typeof createContainer>>) => Promise<T>): Promise<T> {
  const container = await createContainer(loadConfig(env()));
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

describe('wardline audit patient (real CLI, PGlite)', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-audit-patient-'));
    await withContainer(async (c) => {
      await bootstrapAdmin(c.deps, TOKEN);
      const app = await buildApp(c.deps, { simulator: c.simulator, webhooks: c.webhooks });
      const headers = { authorization: `Bearer ${TOKEN}` };
      const made = await app.inject({ method: 'POST', url: '/v1/patients', headers, payload: { givenName: 'Cligiven', familyName: 'Clifamily', birthDate: '1970-01-02', phone: '+14155550190' } });
      patientId = made.json<{ id: string }>().id;
      await app.inject({ method: 'POST', url: `/v1/patients/${patientId}/consents`, headers, payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree' } } });
      for (const body of ['Your appointment is on Monday at 9.', 'The clinic is closed on Friday.']) {
        const sent = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: { patientId, channel: 'sms', category: 'administrative', body, relatedRecord: { type: 'appointment', id: 'APT-9' } } });
        expect(sent.statusCode).toBe(202);
        messageIds.push(sent.json<{ id: string }>().id);
      }
      for (let i = 0; i < 20; i++) {
        const claimed = await dispatchBatch(c.deps, 100);
        await c.simulator?.idle();
        if (claimed === 0) break;
      }
      await app.close();
    });
  }, 240_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a table of every message with sender, carrier, delivery and read times and content', async () => {
    const r = await cli([patientId, '--from', from, '--to', to]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^created\s+id\s+channel\s+sender\s+approval\s+carrier\s+status\s+delivered\s+read\s+related\s+content$/);
    for (const id of messageIds) expect(r.stdout).toContain(id);
    expect(r.stdout).toContain('Your appointment is on Monday at 9.');
    expect(r.stdout).toMatch(/simulator\s+read\s+\d{4}-\d{2}-\d{2}T\S+Z\s+\d{4}-\d{2}-\d{2}T\S+Z\s+appointment:APT-9/);
    expect(lines.at(-1)).toBe('2 messages');
  });

  it('prints JSON with the same fields as the API', async () => {
    const r = await cli([patientId, '--from', from, '--to', to, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { contentIncluded: boolean; items: { id: string; sender: { type: string; displayName: string | null }; readAt: string | null; deliveredAt: string | null; provider: string; content: { body: string } }[] };
    expect(out.contentIncluded).toBe(true);
    expect(out.items.map((i) => i.id).sort()).toEqual([...messageIds].sort());
    for (const item of out.items) {
      expect(item.sender).toMatchObject({ type: 'user', displayName: expect.any(String) as string });
      expect(item.provider).toBe('simulator');
      expect(Date.parse(item.deliveredAt ?? '')).toBeGreaterThan(0);
      expect(Date.parse(item.readAt ?? '')).toBeGreaterThan(0);
    }
    expect(out.items.map((i) => i.content.body).sort()).toEqual(['The clinic is closed on Friday.', 'Your appointment is on Monday at 9.']);
  });

  it('writes the PDF evidence report with the chain verification on page 1', async () => {
    const file = join(dir, 'evidence.pdf');
    const r = await cli([patientId, '--from', from, '--to', to, '--pdf', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote the evidence report (2 messages) to ${file}`);
    expect(r.stdout).toMatch(/audit chain intact: \d+ events/);
    const bytes = await readFile(file);
    const doc = await openPdf(bytes);
    const first = (await (await doc.getPage(1)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
    await doc.destroy();
    expect(first).toMatch(/Audit chain verification: INTACT/);
    expect(first).toContain('Cligiven Clifamily');
  });

  it('audits what the CLI disclosed, as the administrator via cli', async () => {
    const rows = await withContainer((c) =>
      c.database.db.selectFrom('audit_event').select(['action', 'actor_id', 'patient_id', 'details']).where('action', 'in', ['message.content-viewed', 'audit.report-generated']).execute(),
    );
    expect(rows.filter((r) => r.action === 'message.content-viewed').length).toBeGreaterThanOrEqual(3);
    expect(rows.find((r) => r.action === 'audit.report-generated')).toMatchObject({ patient_id: patientId, details: { via: 'cli', count: 2, format: 'pdf' } });
    expect(rows.every((r) => r.patient_id === patientId && (r.details)['via'] === 'cli')).toBe(true);
  });

  it('refuses bad input with clear messages and no PHI', async () => {
    const reversed = await cli([patientId, '--from', to, '--to', from]);
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('DATE_RANGE_INVALID');
    const malformed = await cli([patientId, '--from', 'last tuesday', '--to', to]);
    expect(malformed.code).toBe(64);
    expect(malformed.stderr).toContain('--from must be an ISO 8601 date');
    const notUuid = await cli(['nobody', '--from', from, '--to', to]);
    expect(notUuid.code).toBe(64);
    const unknown = await cli(['00000000-0000-4000-8000-000000000000', '--from', from, '--to', to]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    const missing = await cli([patientId, '--from', from]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--to/);
    for (const r of [reversed, malformed, unknown, missing]) expect(r.stdout + r.stderr).not.toContain('Cligiven');
  });
});
