import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { exportCheckpoints, planRetention, purgeRetention, retentionCutoff } from '../src/adapters/db/retention.repository.ts';
import type { Database } from '../src/adapters/db/schema.ts';
import { loadConfig } from '../src/config.ts';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * Retention (issue 6 item 6): six years by default, never shorter without an explicit override; a purge removes old
 * messages and the oldest part of the audit chain, but never audit events no exported checkpoint covers, and the
 * chain still verifies from its anchor afterwards.
 */

const count = async (db: Kysely<Database>, table: 'message' | 'audit_event' | 'audit_seal', where = sql`true`): Promise<number> =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE ${where}`.execute(db)).rows[0]?.n);

/** Three patients messaged seven years ago (backdated before sealing, as the superuser), then one today. */
async function sevenYearsOfHistory(database: 'pglite' | 'postgres'): Promise<{ h: Harness; db: Kysely<Database>; recentPatient: string }> {
  const h = await createHarness(database, { WARDLINE_AUDIT_SEAL_MS: '0', WARDLINE_AUDIT_CHECKPOINT_EVENTS: '5' });
  for (let i = 0; i < 3; i++) {
    const p = await givenPatient(h, { consent: ['sms'] });
    expect((await sendMessage(h, { patientId: p.id })).statusCode).toBe(202);
  }
  await h.settle();
  const db = h.container.database.db;
  await db.transaction().execute(async (trx) => {
    for (const table of ['audit_event', 'message', 'message_status_event']) await sql`ALTER TABLE ${sql.table(table)} DISABLE TRIGGER USER`.execute(trx);
    await sql`UPDATE audit_event SET occurred_at = occurred_at - interval '7 years'`.execute(trx);
    await sql`UPDATE message SET created_at = created_at - interval '7 years', updated_at = updated_at - interval '7 years'`.execute(trx);
    for (const table of ['audit_event', 'message', 'message_status_event']) await sql`ALTER TABLE ${sql.table(table)} ENABLE TRIGGER USER`.execute(trx);
  });
  await h.container.auditSealer.sealAll();
  const recent = await givenPatient(h, { consent: ['sms'] });
  expect((await sendMessage(h, { patientId: recent.id })).statusCode).toBe(202);
  await h.settle();
  await h.container.auditSealer.sealAll();
  return { h, db, recentPatient: recent.id };
}

describe.each(DATABASES)('retention (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps audit events no exported checkpoint covers; after the handover, purges old records and the chain verifies from its anchor', async () => {
    const history = await sevenYearsOfHistory(database);
    h = history.h;
    const { db } = history;
    const cutoff = retentionCutoff(h.container.deps.clock.now(), 6);
    const oldEvents = await count(db, 'audit_event', sql`occurred_at < ${cutoff}`);
    expect(oldEvents).toBeGreaterThan(10);

    // Nothing handed over yet: old messages may go, the audit trail may not.
    const before = await planRetention(db, cutoff);
    expect(before).toMatchObject({ messages: 3, audit: null, exportedThrough: 0, anchoredAt: 0, heldForExport: oldEvents });

    const handed = await exportCheckpoints(db, { actor: 'test', uuid: randomUUID });
    expect(handed.length).toBeGreaterThan(2);
    const plan = await planRetention(db, cutoff);
    // Up to the newest checkpoint that covers only old events.
    const lastOld = Number((await sql<{ p: string }>`SELECT max(position) AS p FROM audit_seal WHERE event_time < ${cutoff}`.execute(db)).rows[0]?.p);
    const through = Number((await sql<{ p: string }>`SELECT max(position) AS p FROM audit_checkpoint WHERE position <= ${lastOld}`.execute(db)).rows[0]?.p);
    expect(through).toBeGreaterThan(0);
    expect(plan.audit?.throughPosition).toBe(through);
    expect(plan.heldForExport).toBe(lastOld - (plan.audit?.throughPosition ?? 0));

    const done = await purgeRetention(db, cutoff, { uuid: randomUUID });
    expect(done.audit?.events).toBe(plan.audit?.throughPosition);
    expect(await count(db, 'message', sql`created_at < ${cutoff}`)).toBe(0);
    expect(await count(db, 'message', sql`patient_id = ${history.recentPatient}`)).toBe(1);
    expect(await count(db, 'audit_event', sql`occurred_at < ${cutoff}`)).toBe(oldEvents - (plan.audit?.events ?? 0));
    expect(await count(db, 'audit_seal', sql`position <= ${plan.audit?.throughPosition ?? 0}`)).toBe(0);
    const purged = await db.selectFrom('audit_event').select(['details']).where('action', '=', 'audit.retention-purged').executeTakeFirstOrThrow();
    expect(purged.details).toMatchObject({ messages: 3, events: plan.audit?.events });

    // The retained chain verifies from the anchor, goes on growing, and still shows tampering.
    await h.container.auditSealer.sealAll();
    const report = await h.container.auditSealer.verify();
    expect(report).toMatchObject({ ok: true, problem: null });
    const victim = await db.selectFrom('audit_seal').select(['event_pk', 'position']).orderBy('position', 'desc').limit(1).executeTakeFirstOrThrow();
    await db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_event DISABLE TRIGGER USER`.execute(trx);
      await sql`DELETE FROM audit_event WHERE id = ${victim.event_pk}`.execute(trx);
      await sql`ALTER TABLE audit_event ENABLE TRIGGER USER`.execute(trx);
    });
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'deleted', position: Number(victim.position) });
  });

  it('refuses an anchor that no signed checkpoint backs', async () => {
    const history = await sevenYearsOfHistory(database);
    h = history.h;
    await exportCheckpoints(history.db, { actor: 'test', uuid: randomUUID });
    await purgeRetention(history.db, retentionCutoff(h.container.deps.clock.now(), 6), { uuid: randomUUID });
    const anchor = await history.db.selectFrom('audit_retention_anchor').selectAll().executeTakeFirstOrThrow();
    // Someone with table access moves the anchor to hide more of the chain: it no longer matches a checkpoint.
    await sql`INSERT INTO audit_retention_anchor (position, hash, event_time, cutoff, events_purged, messages_purged) VALUES (${Number(anchor.position) + 1}, ${'f'.repeat(64)}, now(), now(), 0, 0)`.execute(history.db);
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'checkpoint-invalid', position: Number(anchor.position) + 1 });
  });
});

describe('the retention period', () => {
  it('is six years by default and never shorter without the explicit override', () => {
    expect(loadConfig({ WARDLINE_DATA_DIR: ':memory:' }).audit.retentionYears).toBe(6);
    expect(() => loadConfig({ WARDLINE_DATA_DIR: ':memory:', WARDLINE_RETENTION_YEARS: '3' })).toThrow(/WARDLINE_RETENTION_YEARS/);
    expect(loadConfig({ WARDLINE_DATA_DIR: ':memory:', WARDLINE_RETENTION_YEARS: '3', WARDLINE_RETENTION_UNDER_SIX_YEARS: 'true' }).audit.retentionYears).toBe(3);
    expect(loadConfig({ WARDLINE_DATA_DIR: ':memory:', WARDLINE_RETENTION_YEARS: '10' }).audit.retentionYears).toBe(10);
  });

  it('counts whole calendar years back from now', () => {
    expect(retentionCutoff(new Date('2032-03-01T12:00:00Z'), 6).toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
});
