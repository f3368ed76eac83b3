import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

describe.each(DATABASES)('Idempotency-Key on POST /v1/messages (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  const consentedPatient = () => givenPatient(h, { consent: ['sms'] });

  function send(patientId: string, key: string, body?: string) {
    return sendMessage(h, { patientId, idempotencyKey: key, ...(body === undefined ? {} : { body }) });
  }

  async function messageRows(patientId: string): Promise<number> {
    const r = await h.container.database.db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('patient_id', '=', patientId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  it('returns the same message for a repeated request and sends it only once', async () => {
    const p = await consentedPatient();
    const first = await send(p.id, 'key-repeat-1');
    const second = await send(p.id, 'key-repeat-1');
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ replayed: false });
    expect(second.json()).toMatchObject({ replayed: true, id: first.json<{ id: string }>().id });
    await h.settle();
    const third = await send(p.id, 'key-repeat-1');
    expect(third.json()).toMatchObject({ replayed: true, id: first.json<{ id: string }>().id });
    await h.settle();
    expect(h.container.simulator!.inbox(p.phone)).toHaveLength(1);
    expect(await messageRows(p.id)).toBe(1);
  });

  it('refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const p = await consentedPatient();
    expect((await send(p.id, 'key-reuse-1', 'first body')).statusCode).toBe(202);
    const res = await send(p.id, 'key-reuse-1', 'second, different body');
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await messageRows(p.id)).toBe(1);
  });

  it('lets different keys create different messages', async () => {
    const p = await consentedPatient();
    const a = await send(p.id, 'key-distinct-a');
    const b = await send(p.id, 'key-distinct-b');
    expect(a.json<{ id: string }>().id).not.toBe(b.json<{ id: string }>().id);
    expect(await messageRows(p.id)).toBe(2);
  });

  it('answers concurrent requests with one key with one message', async () => {
    const p = await consentedPatient();
    const results = await Promise.all([send(p.id, 'key-race-1'), send(p.id, 'key-race-1'), send(p.id, 'key-race-1')]);
    for (const r of results) expect(r.statusCode).toBe(202);
    const ids = new Set(results.map((r) => r.json<{ id: string }>().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.json<{ replayed: boolean }>().replayed)).toHaveLength(1);
    expect(await messageRows(p.id)).toBe(1);
    await h.settle();
    expect(h.container.simulator!.inbox(p.phone)).toHaveLength(1);
  });
});
