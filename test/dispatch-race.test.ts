import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchBatch } from '../src/app/dispatch.ts';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

const ROUNDS = 20;

describe.each(DATABASES)('dispatcher races (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  const consentedPatient = () => givenPatient(h, { consent: ['sms'] });

  async function send(patientId: string, body: string): Promise<string> {
    const res = await sendMessage(h, { patientId, body });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  }

  it('lets an opt-out that arrives while a message is queued stop it, or proves the message left first', async () => {
    const db = h.container.database.db;
    const outcomes = { sentBeforeStop: 0, cancelled: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const p = await consentedPatient();
      const body = `Race round ${round}`;
      const messageId = await send(p.id, body);
      const stop = () => h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
      const dispatch = () => dispatchBatch(h.container.deps, 10);
      // Alternate which side starts first so both interleavings get exercised.
      const [a, b] = round % 2 === 0 ? await Promise.all([dispatch(), stop()]) : (await Promise.all([stop(), dispatch()])).reverse();
      expect(typeof a).toBe('number');
      expect((b as { statusCode: number }).statusCode).toBe(202);
      await h.settle();

      const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.admin });
      const m = msg.json<{ status: string; statusReason: string | null; timeline: { status: string }[] }>();
      const inbox = h.container.simulator!.inbox(p.phone).map((x) => x.body);
      const confirmationAt = inbox.findIndex((x) => x.includes('unsubscribed'));
      expect(confirmationAt, `round ${round}: one STOP confirmation`).toBeGreaterThanOrEqual(0);
      expect(inbox.filter((x) => x.includes('unsubscribed'))).toHaveLength(1);
      // Nothing reaches the phone after the STOP confirmation.
      expect(confirmationAt, `round ${round}: inbox ${JSON.stringify(inbox)}`).toBe(inbox.length - 1);

      // The one serial order we can trust across transactions: audit_event ids, assigned under the patient lock.
      const audit = await db
        .selectFrom('audit_event')
        .select(['id', 'action', 'target_id', 'details'])
        .where('patient_id', '=', p.id)
        .where('action', 'in', ['message.status-changed', 'consent.revoked', 'message.cancelled'])
        .orderBy('id')
        .execute();
      const revokedAt = Math.min(...audit.filter((r) => r.action === 'consent.revoked').map((r) => r.id));
      expect(Number.isFinite(revokedAt)).toBe(true);
      const revokeRow = await db.selectFrom('consent_event').select(['recorded_at', 'source']).where('patient_id', '=', p.id).where('status', '=', 'revoked').executeTakeFirstOrThrow();
      expect(revokeRow.source).toBe('sms_keyword');

      if (['sent', 'delivered', 'read'].includes(m.status)) {
        outcomes.sentBeforeStop += 1;
        const sending = audit.find((r) => r.action === 'message.status-changed' && r.target_id === messageId && (r.details as { status?: string }).status === 'sending');
        expect(sending, `round ${round}: a sent message has a sending event`).toBeDefined();
        expect(sending!.id, `round ${round}: sending was decided before the revocation`).toBeLessThan(revokedAt);
        expect(m.timeline.map((t) => t.status)).not.toContain('cancelled');
        expect(inbox.indexOf(body)).toBeLessThan(confirmationAt);
      } else {
        outcomes.cancelled += 1;
        expect(m.status, `round ${round}`).toBe('cancelled');
        expect(m.statusReason).toBe('CONSENT_REVOKED');
        expect(m.timeline.map((t) => t.status)).not.toContain('sent');
        expect(inbox).not.toContain(body);
      }
    }
    expect(outcomes.sentBeforeStop + outcomes.cancelled).toBe(ROUNDS);
  });

  it('never sends a message twice when two dispatchers claim at once', async () => {
    const p = await consentedPatient();
    const bodies: string[] = [];
    for (let i = 0; i < 30; i++) {
      bodies.push(`Batch message ${i}`);
      await send(p.id, `Batch message ${i}`);
    }
    const [x, y] = await Promise.all([dispatchBatch(h.container.deps, 30), dispatchBatch(h.container.deps, 30)]);
    expect(x + y).toBe(30);
    await h.settle();
    const inbox = h.container.simulator!.inbox(p.phone).map((m) => m.body);
    expect(inbox).toHaveLength(30);
    expect([...inbox].sort()).toEqual([...bodies].sort());
    const rows = await h.container.database.db.selectFrom('message').select(['status']).where('patient_id', '=', p.id).execute();
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r.status).toBe('read');
  });

  it('never sends a message twice with two small-batch dispatchers running to completion', async () => {
    const p = await consentedPatient();
    for (let i = 0; i < 30; i++) await send(p.id, `Small batch ${i}`);
    const run = async () => {
      let total = 0;
      for (;;) {
        const n = await dispatchBatch(h.container.deps, 7);
        total += n;
        if (n === 0) return total;
      }
    };
    const [x, y] = await Promise.all([run(), run()]);
    expect(x + y).toBe(30);
    await h.settle();
    const inbox = h.container.simulator!.inbox(p.phone).map((m) => m.body);
    expect(inbox).toHaveLength(30);
    expect(new Set(inbox).size).toBe(30);
  });
});
