import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/app/ports.ts';
import { givenPatient, givenUser, givenWard } from './support/builders.ts';
import { createHarness, DATABASES, freePort, type Harness } from './support/harness.ts';

/**
 * Break-glass (issue 5 item 4, docs/sharing.md) end to end over HTTP on every database: a physician opens a patient
 * outside her sharing with a written reason; every use is flagged in the audit trail; the access ends after the
 * configured time; the security officer gets a security event, delivered signed to a real loopback webhook; and the
 * reason (which may carry clinical facts) never reaches a log, an audit event, a security event or the webhook.
 */

type Headers = { authorization: string };

const SECRET = 'test-security-webhook-secret-0123456789';
const CANARY = 'CANARY_PHI_BREAKGLASS_7731 suspected overdose, patient unresponsive';

function movableClock(): Clock & { advance(ms: number): void } {
  let now = Date.now();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP receiver on loopback; answers with `status` (changeable) and keeps what it got. */
async function webhookReceiver(port: number): Promise<{ server: Server; deliveries: Delivery[]; status: { value: number } }> {
  const deliveries: Delivery[] = [];
  const status = { value: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = status.value;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, deliveries, status };
}

describe.each(DATABASES)('break-glass (%s)', (database) => {
  let h: Harness;
  const clock = movableClock();
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  let wardA: string;
  let wardB: string;
  let physician: { id: string; headers: Headers };
  let nurse: { id: string; headers: Headers };
  let compliance: { id: string; headers: Headers };

  beforeAll(async () => {
    const port = await freePort();
    receiver = await webhookReceiver(port);
    h = await createHarness(
      database,
      { WARDLINE_BREAKGLASS_MINUTES: '30', WARDLINE_SECURITY_WEBHOOK_URL: `http://127.0.0.1:${port}/security`, WARDLINE_SECURITY_WEBHOOK_SECRET: SECRET },
      { clock },
    );
    wardA = await givenWard(h, 'Emergency');
    wardB = await givenWard(h, 'Psychiatry');
    physician = await givenUser(h, { username: 'dr.grey', permissionSets: ['physician'], wardIds: [wardA] });
    nurse = await givenUser(h, { username: 'nurse.olsen', permissionSets: ['nurse'], wardIds: [wardA] });
    compliance = await givenUser(h, { username: 'compliance.c', permissionSets: ['compliance_officer'], wardIds: [] });
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  const db = () => h.container.database.db;
  const view = async (headers: Headers, patientId: string): Promise<number> => (await h.app.inject({ method: 'GET', url: `/v1/patients/${patientId}`, headers })).statusCode;
  const breakGlass = (headers: Headers, patientId: string, payload: object = { reason: CANARY }) => h.app.inject({ method: 'POST', url: `/v1/patients/${patientId}/break-glass`, headers, payload });

  async function expectProblem(res: Awaited<ReturnType<typeof breakGlass>>, status: number, code: string): Promise<void> {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ code: string }>().code).toBe(code);
  }

  async function grants(patientId: string): Promise<number> {
    return (await db().selectFrom('patient_grant').select('id').where('patient_id', '=', patientId).execute()).length;
  }

  /** Delivers due webhooks (the background worker may get there first) until `done` holds. */
  async function deliverUntil(done: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await h.container.securityWebhook?.deliverDue();
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('webhook delivery did not happen');
  }

  it('opens a patient outside the sharing for the configured time, flags every use, and ends on time', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    expect(await view(physician.headers, p.id)).toBe(404);
    const opened = await breakGlass(physician.headers, p.id);
    expect(opened.statusCode).toBe(201);
    const { id, expiresAt } = opened.json<{ id: string; expiresAt: string }>();
    expect(new Date(expiresAt).getTime()).toBe(clock.now().getTime() + 30 * 60_000);

    expect(await view(physician.headers, p.id)).toBe(200);
    expect(await view(physician.headers, p.id)).toBe(200);
    const used = await db().selectFrom('audit_event').select(['details', 'actor_id']).where('action', '=', 'breakglass.used').where('patient_id', '=', p.id).execute();
    expect(used).toHaveLength(2);
    expect(used.every((u) => u.actor_id === physician.id && (u.details as { breakGlass?: boolean }).breakGlass === true)).toBe(true);
    const openedAudit = await db().selectFrom('audit_event').select(['target_id', 'details']).where('action', '=', 'breakglass.opened').where('patient_id', '=', p.id).executeTakeFirstOrThrow();
    expect(openedAudit).toMatchObject({ target_id: id, details: { breakGlass: true, expiresAt } });

    // Opening again while open, or for a patient already visible, is refused.
    await expectProblem(await breakGlass(physician.headers, p.id), 409, 'CONFLICT');
    const own = await givenPatient(h, { wardId: wardA });
    await expectProblem(await breakGlass(physician.headers, own.id), 409, 'CONFLICT');

    clock.advance(30 * 60_000 + 1);
    expect(await view(physician.headers, p.id)).toBe(404);
  });

  it('ends early when closed, and audits the closing', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    expect((await breakGlass(physician.headers, p.id)).statusCode).toBe(201);
    expect(await view(physician.headers, p.id)).toBe(200);
    const close = () => h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/break-glass/close`, headers: physician.headers });
    expect((await close()).statusCode).toBe(204);
    expect(await view(physician.headers, p.id)).toBe(404);
    await expectProblem(await close(), 404, 'NOT_FOUND');
    const actions = await db().selectFrom('audit_event').select('action').where('patient_id', '=', p.id).where('action', 'like', 'breakglass.%').execute();
    expect(actions.map((a) => a.action).sort()).toEqual(['breakglass.closed', 'breakglass.opened', 'breakglass.used']);
  });

  it('raises a security event and delivers it, signed, to the webhook, without the reason', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const grantId = (await breakGlass(physician.headers, p.id)).json<{ id: string }>().id;
    const event = await db().selectFrom('security_event').selectAll().where('patient_id', '=', p.id).where('kind', '=', 'breakglass.opened').executeTakeFirstOrThrow();
    expect(event.principal_id).toBe(physician.id);
    const delivered = (): Delivery | undefined => receiver.deliveries.find((d) => d.body.includes(event.id));
    await deliverUntil(async () => delivered() !== undefined);
    const d = delivered()!;
    const timestamp = String(d.headers['x-wardline-timestamp']);
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${d.body}`).digest('hex')}`);
    const signature = Buffer.from(String(d.headers['x-wardline-signature']));
    expect(signature.length === expected.length && timingSafeEqual(signature, expected)).toBe(true);
    expect(JSON.parse(d.body)).toEqual({
      id: event.id,
      kind: 'breakglass.opened',
      occurredAt: event.occurred_at.toISOString(),
      principalId: physician.id,
      patientId: p.id,
      details: { grantId, expiresAt: expect.any(String) },
    });
    expect(d.body).not.toContain('CANARY_PHI');
    await deliverUntil(async () => (await db().selectFrom('security_event').select('webhook_state').where('id', '=', event.id).executeTakeFirstOrThrow()).webhook_state === 'delivered');
  });

  it('retries a failed delivery with backoff and marks it delivered once the receiver answers', async () => {
    receiver.status.value = 500;
    const p = await givenPatient(h, { wardId: wardB });
    expect(await view(nurse.headers, p.id)).toBe(404); // an attempt outside the sharing: a security event
    const event = await db().selectFrom('security_event').select('id').where('patient_id', '=', p.id).executeTakeFirstOrThrow();
    const state = () => db().selectFrom('security_event').select(['webhook_state', 'webhook_attempts', 'webhook_next_at']).where('id', '=', event.id).executeTakeFirstOrThrow();
    await deliverUntil(async () => (await state()).webhook_attempts >= 1);
    const failed = await state();
    expect(failed.webhook_state).toBe('pending');
    expect(failed.webhook_next_at!.getTime()).toBeGreaterThan(clock.now().getTime());
    receiver.status.value = 200;
    clock.advance(60_000);
    await deliverUntil(async () => (await state()).webhook_state === 'delivered');
  });

  it('refuses bad requests with clear codes and writes nothing', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    await expectProblem(await breakGlass(nurse.headers, p.id), 403, 'ACCESS_DENIED');
    await expectProblem(await breakGlass(physician.headers, p.id, {}), 400, 'VALIDATION_FAILED');
    await expectProblem(await breakGlass(physician.headers, p.id, { reason: 'urgent' }), 400, 'VALIDATION_FAILED');
    await expectProblem(await breakGlass(physician.headers, p.id, { reason: '          x' }), 400, 'VALIDATION_FAILED');
    await expectProblem(await breakGlass(physician.headers, p.id, { reason: 'x'.repeat(501) }), 400, 'VALIDATION_FAILED');
    await expectProblem(await breakGlass(physician.headers, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    await expectProblem(await breakGlass(h.admin, p.id), 403, 'ACCESS_DENIED'); // administrators do not hold breakglass.use
    expect(await grants(p.id)).toBe(0);
    expect(await db().selectFrom('security_event').select('id').where('patient_id', '=', p.id).where('kind', '=', 'breakglass.opened').execute()).toHaveLength(0);
  });

  it('shows the review list, with reasons, to audit.read holders only; a break-glass access cannot be shared on', async () => {
    const p = await givenPatient(h, { wardId: wardB });
    const grantId = (await breakGlass(physician.headers, p.id)).json<{ id: string }>().id;
    await expectProblem(await h.app.inject({ method: 'GET', url: '/v1/break-glass', headers: physician.headers }), 403, 'ACCESS_DENIED');
    const list = await h.app.inject({ method: 'GET', url: '/v1/break-glass', headers: compliance.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { id: string; reason: string; open: boolean; principalId: string }[] }>().items).toContainEqual(
      expect.objectContaining({ id: grantId, reason: CANARY, open: true, principalId: physician.id }),
    );
    const share = await h.app.inject({ method: 'POST', url: `/v1/patients/${p.id}/shares`, headers: physician.headers, payload: { principalId: nurse.id } });
    await expectProblem(share, 403, 'ACCESS_DENIED');
  });

  it('never writes the reason to logs, audit events or security events, and stores it only encrypted', async () => {
    const audit = await db().selectFrom('audit_event').select(['reason', 'details']).execute();
    expect(JSON.stringify(audit)).not.toContain('CANARY_PHI');
    const events = await db().selectFrom('security_event').selectAll().execute();
    expect(JSON.stringify(events)).not.toContain('CANARY_PHI');
    const stored = await db().selectFrom('patient_grant').select('reason_enc').where('kind', '=', 'breakglass').execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((g) => g.reason_enc !== null && !g.reason_enc.includes('CANARY'))).toBe(true);
    expect(h.logs()).not.toContain('CANARY_PHI');
    expect(receiver.deliveries.map((d) => d.body).join('')).not.toContain('CANARY_PHI');
  });
});
