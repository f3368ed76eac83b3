import { generateKeyPairSync } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointSigner } from '../src/adapters/crypto/audit-chain.ts';
import type { Database } from '../src/adapters/db/schema.ts';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * The audit trail is tamper-evident (issue 6 item 2): `verify` finds each kind of tampering done directly in SQL by
 * someone with table access — here the database superuser, who can switch the append-only triggers off. Each case
 * starts from a fresh installation with a sealed, checkpointed chain.
 */

const CHAIN_ENV = { WARDLINE_AUDIT_SEAL_MS: '0', WARDLINE_AUDIT_CHECKPOINT_EVENTS: '5' };

async function withSealedChain(database: 'pglite' | 'postgres'): Promise<{ h: Harness; db: Kysely<Database>; events: { id: number; event_id: string; position: number }[] }> {
  const h = await createHarness(database, CHAIN_ENV);
  const patient = await givenPatient(h, { consent: ['sms'] });
  expect((await sendMessage(h, { patientId: patient.id })).statusCode).toBe(202);
  for (let i = 0; i < 4; i++) await givenPatient(h, { consent: ['sms'] });
  await h.settle();
  await h.container.auditSealer.sealAll();
  const db = h.container.database.db;
  const { rows } = await sql<{ id: string; event_id: string; position: string }>`SELECT e.id, e.event_id, s.position FROM audit_event e JOIN audit_seal s ON s.event_pk = e.id ORDER BY s.position`.execute(db);
  const events = rows.map((r) => ({ id: Number(r.id), event_id: r.event_id, position: Number(r.position) }));
  expect(events.length).toBeGreaterThan(12);
  return { h, db, events };
}

/** As a superuser would: switch a table's append-only triggers off, change it, switch them on again. */
async function tamper(db: Kysely<Database>, table: 'audit_event' | 'audit_seal' | 'audit_checkpoint', statement: ReturnType<typeof sql>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE ${sql.table(table)} DISABLE TRIGGER USER`.execute(trx);
    await statement.execute(trx);
    await sql`ALTER TABLE ${sql.table(table)} ENABLE TRIGGER USER`.execute(trx);
  });
}

describe.each(DATABASES)('the audit trail is tamper-evident (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('verifies an untouched chain with its signed checkpoints, and seals what comes later', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const report = await h.container.auditSealer.verify();
    expect(report).toMatchObject({ ok: true, events: chain.events.length, problem: null, tampering: null });
    expect(report.checkpoints).toBeGreaterThanOrEqual(Math.floor(chain.events.length / 5));
    await givenPatient(h, { consent: ['sms'] });
    expect(await h.container.auditSealer.sealAll()).toBeGreaterThan(0);
    expect((await h.container.auditSealer.verify()).ok).toBe(true);
  });

  it('finds an event altered in place', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const victim = chain.events[7] as (typeof chain.events)[number];
    await tamper(chain.db, 'audit_event', sql`UPDATE audit_event SET reason = 'nothing to see' WHERE id = ${victim.id}`);
    const report = await h.container.auditSealer.verify();
    expect(report.ok).toBe(false);
    expect(report.tampering).toEqual({ kind: 'altered', position: victim.position });
    expect(report.problem).toContain(victim.event_id);
    expect(report.events).toBe(victim.position - 1);
  });

  it('finds an event deleted', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const victim = chain.events[4] as (typeof chain.events)[number];
    await tamper(chain.db, 'audit_event', sql`DELETE FROM audit_event WHERE id = ${victim.id}`);
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'deleted', position: victim.position });
  });

  it('finds an event deleted together with its seal', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const victim = chain.events[4] as (typeof chain.events)[number];
    await tamper(chain.db, 'audit_event', sql`DELETE FROM audit_event WHERE id = ${victim.id}`);
    await tamper(chain.db, 'audit_seal', sql`DELETE FROM audit_seal WHERE event_pk = ${victim.id}`);
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'seal-broken', position: victim.position });
  });

  it('finds an event inserted among sealed ones', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const before = chain.events[3] as (typeof chain.events)[number];
    // A row slipped in with an id inside the sealed range and a time matching its neighbours.
    await tamper(
      chain.db,
      'audit_event',
      sql`INSERT INTO audit_event (id, event_id, occurred_at, actor_type, actor_id, action, outcome, target_type, target_id, patient_id, reason, request_id, details)
        SELECT -1, gen_random_uuid(), occurred_at - interval '2 minutes', 'system', 'wardline', 'consent.granted', 'success', 'consent', NULL, patient_id, NULL, NULL, '{}'
        FROM audit_event WHERE id = ${before.id}`,
    );
    await h.container.auditSealer.sealAll();
    const report = await h.container.auditSealer.verify();
    expect(report.tampering).toEqual({ kind: 'inserted', position: null });
    expect(report.problem).toMatch(/not in the chain/);
  });

  it('never seals a backdated insert, and reports it', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    await tamper(
      chain.db,
      'audit_event',
      sql`INSERT INTO audit_event (event_id, occurred_at, actor_type, actor_id, action, outcome, target_type, details)
        VALUES (gen_random_uuid(), now() - interval '400 days', 'user', 'someone', 'consent.granted', 'success', 'consent', '{}')`,
    );
    await h.container.auditSealer.sealAll();
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_event e WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_pk = e.id)`.execute(chain.db);
    expect(rows[0]?.n).toBe(1);
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'inserted', position: null });
  });

  it('finds a rewritten chain (an event altered and every later seal recomputed without the key) at the next checkpoint', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const victim = chain.events[1] as (typeof chain.events)[number];
    await tamper(chain.db, 'audit_event', sql`UPDATE audit_event SET outcome = 'failure' WHERE id = ${victim.id}`);
    // Recompute every seal from the victim on, exactly as the sealer would: the chain itself is consistent again.
    await tamper(chain.db, 'audit_seal', sql`DELETE FROM audit_seal WHERE position >= ${victim.position}`);
    const checkpoints = await sql<{ position: string }>`SELECT position FROM audit_checkpoint ORDER BY position`.execute(chain.db);
    // Re-sealing needs the checkpoint table not to claim a newer checkpoint; the attacker can only keep the old ones.
    await h.container.auditSealer.sealAll();
    const report = await h.container.auditSealer.verify();
    expect(report.ok).toBe(false);
    expect(report.tampering?.kind).toBe('checkpoint-invalid');
    const firstAfter = checkpoints.rows.map((r) => Number(r.position)).find((p) => p >= victim.position);
    expect(report.tampering?.position).toBe(firstAfter);
    expect(report.problem).toMatch(/rewritten/);
  });

  it('finds the end of the trail cut off (events and seals removed past a checkpoint)', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const cut = (chain.events.at(-6) as (typeof chain.events)[number]).position;
    await tamper(chain.db, 'audit_event', sql`DELETE FROM audit_event WHERE id IN (SELECT event_pk FROM audit_seal WHERE position >= ${cut})`);
    await tamper(chain.db, 'audit_seal', sql`DELETE FROM audit_seal WHERE position >= ${cut}`);
    const report = await h.container.auditSealer.verify();
    expect(report.tampering?.kind).toBe('checkpoint-invalid');
    expect(report.problem).toMatch(/removed from the end/);
  });

  it('refuses a checkpoint signed by a key it was not given', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const forger = checkpointSigner(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const last = chain.events.at(-1) as (typeof chain.events)[number];
    const { rows } = await sql<{ hash: string }>`SELECT hash FROM audit_seal WHERE position = ${last.position}`.execute(chain.db);
    const hash = rows[0]?.hash as string;
    await tamper(chain.db, 'audit_checkpoint', sql`DELETE FROM audit_checkpoint WHERE position = ${last.position}`);
    await sql`INSERT INTO audit_checkpoint (position, hash, key_id, signature) VALUES (${last.position}, ${hash}, ${forger.keyId}, ${forger.sign(last.position, hash)})`.execute(chain.db);
    expect((await h.container.auditSealer.verify()).tampering).toEqual({ kind: 'checkpoint-invalid', position: last.position });
    // Given as trusted (e.g. a rotated key), the same checkpoint holds.
    expect((await h.container.auditSealer.verify({ extraKeys: new Map([[forger.keyId, forger.publicKeyPem]]) })).ok).toBe(true);
  });

  it('keeps UPDATE, DELETE and TRUNCATE away from the trail, its seals and checkpoints', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    for (const [table, column] of [['audit_event', 'reason'], ['audit_seal', 'hash'], ['audit_checkpoint', 'hash']] as const) {
      await expect(sql`UPDATE ${sql.table(table)} SET ${sql.ref(column)} = ${sql.ref(column)}`.execute(chain.db)).rejects.toThrow(/append-only/);
      await expect(sql`DELETE FROM ${sql.table(table)}`.execute(chain.db)).rejects.toThrow(/append-only/);
      await expect(sql`TRUNCATE ${sql.table(table)}`.execute(chain.db)).rejects.toThrow(/append-only/);
    }
    expect((await h.container.auditSealer.verify()).ok).toBe(true);
  });
});

/**
 * Continuous verification (docs/audit.md "Continuous verification"): every run is recorded; a scheduled full run
 * raises a security event when it finds tampering; a report between full runs checks only the tail after the newest
 * signed checkpoint the last full run covered, and says which part it checked when.
 */
describe.each(DATABASES)('continuous verification of the audit trail (%s)', { timeout: 120_000 }, (database) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const HOUR = 3_600_000;
  const runs = (db: Kysely<Database>) =>
    sql<{ scope: string; ok: boolean; from_position: string; through_position: string; run_by: string; tampering_kind: string | null }>`SELECT scope, ok, from_position::text, through_position::text, run_by, tampering_kind FROM audit_verification ORDER BY id`.execute(db).then((r) => r.rows);

  it('records every run, and checks only the tail after a recent full run', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const sealer = h.container.auditSealer;
    // No full run yet: a report verifies the whole chain.
    const first = await sealer.verifyRecent('report', HOUR);
    expect(first).toMatchObject({ ok: true, events: chain.events.length, coverage: { scope: 'full', from: 0, fullVerifiedAt: null } });
    // That full run now lets the next report start at the newest checkpoint it covered.
    await givenPatient(h, { consent: ['sms'] });
    await sealer.sealAll();
    const { rows } = await sql<{ position: string }>`SELECT max(position)::text AS position FROM audit_checkpoint WHERE position <= ${chain.events.length}`.execute(chain.db);
    const checkpoint = Number(rows[0]?.position);
    const tail = await sealer.verifyRecent('report', HOUR);
    expect(tail.ok).toBe(true);
    expect(tail.coverage.scope).toBe('tail');
    expect(tail.coverage.from).toBe(checkpoint);
    expect(tail.coverage.fullVerifiedAt).toBeInstanceOf(Date);
    expect(tail.events).toBe((await sealer.head()).position - checkpoint);
    // maxAge 0 (scheduled verification off): always in full.
    expect((await sealer.verifyRecent('report', 0)).coverage.scope).toBe('full');
    const recorded = await runs(chain.db);
    expect(recorded.map((r) => [r.scope, r.run_by, r.ok])).toEqual([
      ['full', 'report', true],
      ['tail', 'report', true],
      ['full', 'report', true],
    ]);
    expect(Number(recorded[1]?.from_position)).toBe(checkpoint);
    // The runs are append-only like the trail.
    await expect(sql`UPDATE audit_verification SET ok = false`.execute(chain.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_verification`.execute(chain.db)).rejects.toThrow(/append-only/);
  });

  it('finds tampering in the tail at the next report, and anywhere at the next scheduled run, which alerts the security officer', async () => {
    const chain = await withSealedChain(database);
    h = chain.h;
    const sealer = h.container.auditSealer;
    expect((await sealer.verify({ runBy: 'schedule' })).ok).toBe(true);
    // Events after the full run, past a new checkpoint.
    for (let i = 0; i < 6; i++) await givenPatient(h, { consent: ['sms'] });
    await sealer.sealAll();
    const head = (await sealer.head()).position;
    const { rows } = await sql<{ id: string }>`SELECT event_pk::text AS id FROM audit_seal WHERE position = ${head}`.execute(chain.db);
    await tamper(chain.db, 'audit_event', sql`UPDATE audit_event SET reason = 'rewritten' WHERE id = ${Number(rows[0]?.id)}`);
    const report = await sealer.verifyRecent('report', HOUR);
    expect(report.ok).toBe(false);
    expect(report.coverage.scope).toBe('tail');
    expect(report.tampering).toEqual({ kind: 'altered', position: head });

    // An event before the checkpoint the tail starts from: a tail run does not look there (it says so: coverage);
    // the scheduled full run does, and raises a security event.
    const early = chain.events[2] as (typeof chain.events)[number];
    await tamper(chain.db, 'audit_event', sql`UPDATE audit_event SET reason = 'rewritten' WHERE id = ${early.id}`);
    const { verifyAuditTrailOnSchedule } = await import('../src/app/audit-verification.ts');
    const scheduled = await verifyAuditTrailOnSchedule(h.container.deps);
    expect(scheduled.ok).toBe(false);
    expect(scheduled.tampering).toEqual({ kind: 'altered', position: early.position });
    const events = await h.container.deps.store.securityEvents.list({ limit: 10 });
    expect(events.find((e) => e.kind === 'audit.tampering-detected')?.details).toMatchObject({ tampering: 'altered', position: early.position });
    expect((await runs(chain.db)).at(-1)).toMatchObject({ scope: 'full', run_by: 'schedule', ok: false, tampering_kind: 'altered' });
  });
});
