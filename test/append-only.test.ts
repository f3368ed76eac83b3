import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

describe.each(DATABASES)('ledgers are append-only (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
    await givenPatient(h, { consent: ['sms'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(['consent_event', 'audit_event'])('refuses UPDATE and DELETE on %s', async (table) => {
    const db = h.container.database.db;
    await expect(sql`UPDATE ${sql.table(table)} SET patient_id = patient_id`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ${sql.table(table)}`.execute(db)).rejects.toThrow(/append-only/);
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
    expect(count.rows[0]?.n).toBeGreaterThan(0);
  });
});
