import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * The sending policy beyond consent (issue 3, items 2, 5, 7 and 8), through the public API with the simulator carrier
 * and a clock the test moves: quiet hours hold and release, urgent bypass only by policy, the WhatsApp 24-hour window,
 * the TCPA healthcare-exemption limits, and the encoding and segments each message records.
 */
describe.each(DATABASES)('sending policy (%s)', (database) => {
  let h: Harness;
  let now = new Date('2026-01-15T03:00:00Z'); // 22:00 the evening before in New York
  const at = (iso: string): void => {
    now = new Date(iso);
  };

  beforeAll(async () => {
    h = await createHarness(
      database,
      { WARDLINE_QUIET_HOURS: '08:00-21:00', WARDLINE_QUIET_HOURS_BYPASS: 'clinical', WARDLINE_EXEMPT_CATEGORIES: 'administrative' },
      { clock: { now: () => now } },
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  async function message(id: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ status: string; statusReason: string | null; heldUntil: string | null; encoding: string; segments: number; characters: number; exempt: boolean }>();
  }

  const patientIn = (timezone: string | null, consent: ('sms' | 'whatsapp')[] = ['sms']) =>
    givenPatient(h, { consent, whatsapp: consent.includes('whatsapp'), ...(timezone === null ? {} : { timezone }) });

  it('holds a non-urgent message outside 08:00–21:00 in the patient’s zone and releases it when the window opens', async () => {
    at('2026-01-15T03:00:00Z');
    const p = await patientIn('America/New_York');
    const sent = await sendMessage(h, { patientId: p.id, body: 'Your appointment is tomorrow at 9:30.' });
    expect(sent.statusCode).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await h.settle();
    const held = await message(id);
    expect(held).toMatchObject({ status: 'queued', heldUntil: '2026-01-15T13:00:00.000Z' });

    at('2026-01-15T12:59:00Z');
    await h.settle();
    expect((await message(id)).status).toBe('queued');

    at('2026-01-15T13:00:30Z');
    await h.settle();
    expect((await message(id)).status).toBe('read');
  });

  it('uses the most restrictive zone of the number’s area code when the patient’s zone is unknown (850: Central opens last)', async () => {
    at('2026-01-15T13:30:00Z'); // 08:30 in Tallahassee (Eastern), 07:30 in Pensacola (Central)
    const p = await givenPatient(h, { consent: ['sms'], phone: '+18505550142' });
    const id = (await sendMessage(h, { patientId: p.id, body: 'Results are ready in the portal.' })).json<{ id: string }>().id;
    await h.settle();
    expect(await message(id)).toMatchObject({ status: 'queued', heldUntil: '2026-01-15T14:00:00.000Z' });
    at('2026-01-15T14:00:01Z');
    await h.settle();
    expect((await message(id)).status).toBe('read');
  });

  it('lets an urgent message through quiet hours only in a category the policy names', async () => {
    at('2026-01-15T03:00:00Z');
    const p = await patientIn('America/New_York');
    const urgentClinical = await sendMessage(h, { patientId: p.id, category: 'clinical', body: 'Please call the ward tonight.', urgent: true });
    const urgentAdmin = await sendMessage(h, { patientId: p.id, category: 'administrative', body: 'Parking is closed tomorrow.', urgent: true });
    await h.settle();
    expect((await message(urgentClinical.json<{ id: string }>().id)).status).toBe('read');
    expect((await message(urgentAdmin.json<{ id: string }>().id)).heldUntil).toBe('2026-01-15T13:00:00.000Z');
  });

  it('never holds the confirmation of a STOP, even at night', async () => {
    at('2026-01-15T04:00:00Z');
    const p = await patientIn('America/New_York');
    const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'sms', body: 'STOP' } });
    expect(res.statusCode).toBe(202);
    const replyId = res.json<{ replyMessageId: string }>().replyMessageId;
    await h.settle();
    expect((await message(replyId)).status).toBe('read');
  });

  it('refuses WhatsApp free text outside the 24-hour window up front, and fails a queued one whose window closed', async () => {
    at('2026-01-15T15:00:00Z');
    const p = await patientIn('America/New_York', ['whatsapp']);
    const closed = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Hello on WhatsApp' });
    expect(closed.statusCode).toBe(409);
    expect(closed.json<{ code: string }>().code).toBe('WHATSAPP_WINDOW_CLOSED');

    const wrote = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: p.phone, channel: 'whatsapp', body: 'Hi, is my appointment still on?' } });
    expect(wrote.statusCode).toBe(202);
    const open = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Yes, see you at 9:30.' });
    expect(open.statusCode).toBe(202);

    // Queued inside the window, dispatched after it closed (the patient's night, then a day later).
    at('2026-01-15T15:30:00Z');
    const late = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'One more thing.' });
    expect(late.statusCode).toBe(202);
    await h.settle();
    expect((await message(open.json<{ id: string }>().id)).status).toBe('read');
    expect((await message(late.json<{ id: string }>().id)).status).toBe('read');
    at('2026-01-16T15:30:00Z');
    const tooLate = await sendMessage(h, { patientId: p.id, channel: 'whatsapp', body: 'Are you there?' });
    expect(tooLate.statusCode).toBe(409);
  });

  it('holds automated messages in exempt categories to the healthcare-exemption limits (160 characters, 1 a day, 3 a week)', async () => {
    at('2026-01-20T15:00:00Z');
    const ward = await givenWard(h, `Reminders ${database}`);
    const agent = await h.app.inject({ method: 'POST', url: '/v1/agents', headers: h.admin, payload: { displayName: 'Reminder bot', permissionSets: ['ai_agent'], wardIds: [ward] } });
    expect(agent.statusCode).toBe(201);
    const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: agent.json<{ id: string }>().id } });
    const bot = { authorization: `Bearer ${token.json<{ token: string }>().token}` };
    const p = await givenPatient(h, { consent: ['sms'], timezone: 'America/New_York', wardId: ward });
    // An AI agent sends approved templates only (docs/agents.md): the starter portal notice, whose length the link sets.
    const send = (path: string) =>
      h.app.inject({ method: 'POST', url: '/v1/messages', headers: bot, payload: { patientId: p.id, channel: 'sms', template: { id: 'general', params: { portal_link: `https://portal.example.org/${path}` } } } });

    const long = await send('x'.repeat(80));
    expect(long.statusCode).toBe(422);
    expect(long.json<{ code: string }>().code).toBe('EXEMPT_BODY_TOO_LONG');

    const first = await send('a');
    expect(first.statusCode).toBe(202);
    expect((await message(first.json<{ id: string }>().id)).exempt).toBe(true);
    const second = await send('b');
    expect(second.statusCode).toBe(409);
    expect(second.json<{ code: string }>().code).toBe('EXEMPT_LIMIT_REACHED');

    at('2026-01-21T15:01:00Z');
    expect((await send('a')).statusCode).toBe(202);
    at('2026-01-22T15:02:00Z');
    expect((await send('a')).statusCode).toBe(202);
    at('2026-01-23T15:03:00Z');
    const fourth = await send('a');
    expect(fourth.statusCode).toBe(409);

    // Staff sending by hand are not relying on the automated exemption.
    const nurse = await givenUser(h, { username: `nurse-${database}`, permissionSets: ['administrator'], wardIds: [] });
    const manual = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: nurse.headers, payload: { patientId: p.id, channel: 'sms', category: 'administrative', body: 'A call from the front desk.' } });
    expect(manual.statusCode).toBe(202);
    expect((await message(manual.json<{ id: string }>().id)).exempt).toBe(false);
  });

  it('records each message’s encoding, segments and characters as Twilio’s calculator counts them', async () => {
    at('2026-01-15T15:00:00Z');
    const p = await patientIn('America/New_York');
    const gsm = await sendMessage(h, { patientId: p.id, body: 'a'.repeat(160) });
    const twoGsm = await sendMessage(h, { patientId: p.id, body: `${'a'.repeat(160)}{` });
    const ucs = await sendMessage(h, { patientId: p.id, body: 'Your results are ready “today”.' });
    expect(await message(gsm.json<{ id: string }>().id)).toMatchObject({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(await message(twoGsm.json<{ id: string }>().id)).toMatchObject({ encoding: 'GSM-7', segments: 2, characters: 162 });
    expect(await message(ucs.json<{ id: string }>().id)).toMatchObject({ encoding: 'UCS-2', segments: 1 });
  });
});
