import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/app/ports.ts';
import { givenUser, givenWard } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';
import { browser, givenSecureMessage, givenSecurePatient, lastCode } from './support/secure-links.ts';

/** A clock the suite moves forward (links and codes expire). */
function movableClock(): Clock & { advance(ms: number): void } {
  let now = Date.now();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

interface LinkState {
  links: { linkId: string; status: string; failedAttempts: number; codesSent: number; viewCount: number; firstViewedAt: string | null; revokedReason: string | null; noticeMessageId: string }[];
}

describe.each(DATABASES)('secure patient links (%s)', (database) => {
  let h: Harness;
  const clock = movableClock();

  beforeAll(async () => {
    h = await createHarness(database, { WARDLINE_SIMULATOR_READ_RECEIPTS: 'false', WARDLINE_ORG_NAME: 'Mercy Clinic' }, { clock });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function state(messageId: string): Promise<LinkState> {
    const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}/secure-link`, headers: h.admin });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LinkState>();
  }

  async function audits(action: string): Promise<{ actor_type: string; patient_id: string | null; request_id: string | null; details: Record<string, unknown> }[]> {
    const rows = await h.container.database.db.selectFrom('audit_event').select(['actor_type', 'patient_id', 'request_id', 'details']).where('action', '=', action).execute();
    return rows;
  }

  it('shows a generic, uncacheable page that previews nothing and consumes nothing', async () => {
    const patient = await givenSecurePatient(h, { givenName: 'Zebulon', familyName: 'Quackenbush', language: 'es-US' });
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Your biopsy shows no malignancy.');
    const b = browser(h);
    for (let i = 0; i < 2; i++) {
      const res = await b.open(token, { headers: { 'user-agent': 'facebookexternalhit/1.1' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.headers['pragma']).toBe('no-cache');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('script-src');
      expect(csp).not.toContain('unsafe-inline');
      expect(res.body).toContain('<html lang="es">');
      expect(res.body).toContain('<meta name="robots" content="noindex, nofollow, noarchive">');
      expect(res.body).toMatch(/<title>Mensaje seguro<\/title>/);
      const head = res.body.slice(0, res.body.indexOf('</head>'));
      for (const secret of ['Zebulon', 'Quackenbush', 'biopsy', patient.birthDate, token, 'Mercy']) expect(head).not.toContain(secret);
      expect(res.body).not.toContain('biopsy');
      expect(res.body).not.toContain('<script');
    }
    expect((await state(messageId)).links[0]).toMatchObject({ status: 'active', failedAttempts: 0, codesSent: 0, viewCount: 0 });
    expect((await audits('secure-link.opened')).length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a malformed date of birth with 400 without counting it', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Content');
    const b = browser(h);
    const html = await b.post(token, { dob: '12/10/1980' });
    expect(html.statusCode).toBe(400);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['cache-control']).toContain('no-store');
    const json = await b.json(token, { dob: '1980-02-30' });
    expect(json.statusCode).toBe(400);
    expect(json.headers['content-type']).toContain('application/problem+json');
    expect(json.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/body/dob' }] });
    expect(json.headers['cache-control']).toContain('no-store');
    expect((await b.post(token, { nothing: 'here' })).statusCode).toBe(400);
    expect((await state(messageId)).links[0]).toMatchObject({ failedAttempts: 0, status: 'active' });
  });

  it('locks the link at the fifth wrong date of birth and then refuses the right one', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Content');
    const b = browser(h);
    for (let i = 1; i <= 4; i++) {
      const res = await b.post(token, { dob: `1970-01-0${String(i)}` });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('does not match');
    }
    const fifth = await b.json(token, { dob: '1970-01-05' });
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json()).toMatchObject({ code: 'SECURE_LINK_LOCKED' });
    const right = await b.json(token, { dob: patient.birthDate });
    expect(right.statusCode).toBe(423);
    expect((await b.open(token)).statusCode).toBe(423);
    expect((await state(messageId)).links[0]).toMatchObject({ status: 'locked', failedAttempts: 5, codesSent: 0 });
    const locked = await audits('secure-link.locked');
    expect(locked.some((a) => a.patient_id === patient.id && a.actor_type === 'system' && a.details['sourceIp'] === b.ip)).toBe(true);
    const failed = (await audits('secure-link.verification-failed')).filter((a) => a.patient_id === patient.id);
    expect(failed).toHaveLength(5);
    expect(failed.every((a) => a.actor_type === 'patient' && a.request_id !== null)).toBe(true);
  });

  it('sends a code after the right date of birth, then shows the content and records the read', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Your A1C is 6.1 <b>& stable</b>');
    await h.settle();
    const b = browser(h);
    const dob = await b.post(token, { dob: patient.birthDate });
    expect(dob.statusCode).toBe(303);
    expect(dob.headers['location']).toBe(`/s/${token}`);
    await h.settle();
    const code = lastCode(h, patient.phone);
    const codeMessage = h.container.simulator!.inbox(patient.phone).at(-1)!;
    expect(codeMessage.body).toBe(`Mercy Clinic: your verification code is ${code}. It expires in 10 minutes.`);
    const form = await b.open(token);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="code"');
    const wrong = await b.post(token, { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(401);
    const right = await b.post(token, { code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(right.statusCode).toBe(303);
    const cookie = String(right.headers['set-cookie']);
    expect(cookie).toMatch(/^wl_secure_view=[A-Za-z0-9_-]{43}; Path=\/s\/; Max-Age=900; HttpOnly; SameSite=Strict$/);
    const shown = await b.open(token);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('Your A1C is 6.1 &#60;b&#62;&#38; stable&#60;/b&#62;');
    expect(shown.body).not.toContain('<b>');
    expect(shown.headers['cache-control']).toContain('no-store');
    // Another browser with the same link has no session.
    expect((await browser(h).open(token)).body).not.toContain('A1C');
    const msg = (await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.admin })).json<{ status: string; timeline: { status: string; source: string }[] }>();
    expect(msg.status).toBe('read');
    expect(msg.timeline.at(-1)).toMatchObject({ status: 'read', source: 'wardline' });
    expect((await state(messageId)).links[0]).toMatchObject({ viewCount: 1, failedAttempts: 1, codesSent: 1 });
    expect(await b.open(token)).toMatchObject({ statusCode: 200 });
    expect((await state(messageId)).links[0]!.viewCount).toBe(2);
    const viewed = (await audits('secure-message.viewed')).filter((a) => a.patient_id === patient.id);
    expect(viewed).toHaveLength(2);
    expect(viewed[0]).toMatchObject({ actor_type: 'patient', details: { sourceIp: b.ip } });
    expect((await audits('secure-link.code-sent')).some((a) => a.patient_id === patient.id)).toBe(true);
  });

  it('speaks JSON to clients that ask for it, and refuses an expired code', async () => {
    const patient = await givenSecurePatient(h);
    const { token } = await givenSecureMessage(h, patient.id, 'JSON content');
    const b = browser(h);
    const step = await b.json(token, { dob: patient.birthDate });
    expect(step.statusCode).toBe(200);
    expect(step.json()).toMatchObject({ step: 'code' });
    await h.settle();
    const code = lastCode(h, patient.phone);
    clock.advance(10 * 60_000 + 1);
    const late = await b.json(token, { code });
    expect(late.statusCode).toBe(410);
    expect(late.json()).toMatchObject({ code: 'VERIFICATION_CODE_EXPIRED' });
    const soon = await b.json(token, { dob: patient.birthDate });
    expect(soon.json()).toMatchObject({ step: 'code' });
    await h.settle();
    const again = await b.json(token, { code: lastCode(h, patient.phone) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ step: 'content', content: 'JSON content' });
    expect(String(again.headers['set-cookie'])).toContain('HttpOnly');
    // A code is single-use.
    expect((await b.json(token, { code: lastCode(h, patient.phone) })).statusCode).toBe(410);
  });

  it('spaces out code requests with 429 and Retry-After', async () => {
    const patient = await givenSecurePatient(h);
    const { token } = await givenSecureMessage(h, patient.id, 'Content');
    const b = browser(h);
    expect((await b.json(token, { dob: patient.birthDate })).statusCode).toBe(200);
    const again = await b.json(token, { dob: patient.birthDate });
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses an expired link and changes nothing', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Content');
    clock.advance(72 * 3_600_000);
    const b = browser(h);
    const page = await b.open(token);
    expect(page.statusCode).toBe(410);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('expired');
    const json = await b.json(token, { dob: patient.birthDate });
    expect(json.statusCode).toBe(410);
    expect(json.json()).toMatchObject({ code: 'SECURE_LINK_EXPIRED' });
    expect((await state(messageId)).links[0]).toMatchObject({ status: 'expired', failedAttempts: 0, codesSent: 0 });
  });

  it('revokes at once, ending a view session too', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Revocable content');
    const b = browser(h);
    await b.json(token, { dob: patient.birthDate });
    await h.settle();
    expect((await b.json(token, { code: lastCode(h, patient.phone) })).statusCode).toBe(200);
    expect((await b.open(token)).body).toContain('Revocable content');
    const revoke = await h.app.inject({ method: 'POST', url: `/v1/messages/${messageId}/secure-link/revoke`, headers: h.admin, payload: { reason: 'misdirected' } });
    expect(revoke.statusCode, revoke.body).toBe(200);
    expect(revoke.json()).toMatchObject({ revoked: 1, links: [{ status: 'revoked', revokedReason: 'misdirected' }] });
    const after = await b.open(token);
    expect(after.statusCode).toBe(410);
    expect(after.body).not.toContain('Revocable content');
    expect((await b.json(token, { dob: patient.birthDate })).json()).toMatchObject({ code: 'SECURE_LINK_REVOKED' });
    const bad = await h.app.inject({ method: 'POST', url: `/v1/messages/${messageId}/secure-link/revoke`, headers: h.admin, payload: { reason: 'the patient Ada called' } });
    expect(bad.statusCode).toBe(400);
    expect((await audits('secure-link.revoked')).some((a) => a.patient_id === patient.id)).toBe(true);
  });

  it('reissues a locked link: the old one is revoked, a new notice carries a new one', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Reissued content');
    const b = browser(h);
    for (let i = 1; i <= 5; i++) await b.post(token, { dob: `1970-01-0${String(i)}` });
    expect((await b.open(token)).statusCode).toBe(423);
    const res = await h.app.inject({ method: 'POST', url: `/v1/messages/${messageId}/secure-link/reissue`, headers: h.admin });
    expect(res.statusCode, res.body).toBe(202);
    const { noticeMessageId } = res.json<{ noticeMessageId: string; linkId: string }>();
    expect(res.body).not.toContain('/s/');
    await h.settle();
    const notice = h.container.simulator!.inbox(patient.phone).at(-1)!;
    const match = /^You have a new message from Mercy Clinic\. View securely: http:\/\/[^/]+\/s\/([A-Za-z0-9_-]+)$/.exec(notice.body);
    expect(match).not.toBeNull();
    const newToken = match![1]!;
    expect((await b.open(token)).statusCode).toBe(410);
    const c = browser(h);
    expect((await c.open(newToken)).statusCode).toBe(200);
    await c.json(newToken, { dob: patient.birthDate });
    await h.settle();
    expect((await c.json(newToken, { code: lastCode(h, patient.phone) })).json()).toMatchObject({ content: 'Reissued content' });
    const links = (await state(messageId)).links;
    expect(links.map((l) => l.status)).toEqual(['active', 'revoked']);
    expect(links[1]!.revokedReason).toBe('reissued');
    expect(links[0]!.noticeMessageId).toBe(noticeMessageId);
    const sent = (await h.app.inject({ method: 'GET', url: `/v1/messages/${noticeMessageId}`, headers: h.admin })).json<{ delivery: string; status: string }>();
    expect(sent).toMatchObject({ delivery: 'secure', status: 'read' });
    expect(JSON.stringify(await state(noticeMessageId))).not.toContain(newToken);
  });

  it('lets only staff who can see the message see or revoke its link, and senders reissue it', async () => {
    const ward = await givenWard(h, 'Secure ward');
    const patient = await givenSecurePatient(h, { wardId: ward });
    const { messageId } = await givenSecureMessage(h, patient.id, 'Content');
    const desk = await givenUser(h, { username: 'desk.secure', permissionSets: ['front_desk'], wardIds: [ward] });
    const otherNurse = await givenUser(h, { username: 'nurse.elsewhere', permissionSets: ['nurse'], wardIds: [] });
    const compliance = await givenUser(h, { username: 'compliance.secure', permissionSets: ['compliance_officer'], wardIds: [] });
    const url = `/v1/messages/${messageId}/secure-link`;
    for (const who of [desk, otherNurse]) expect((await h.app.inject({ method: 'GET', url, headers: who.headers })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const seen = await h.app.inject({ method: 'GET', url, headers: compliance.headers });
    expect(seen.statusCode).toBe(200);
    expect(seen.body).not.toMatch(/token|Content/);
    expect((await h.app.inject({ method: 'POST', url: `${url}/reissue`, headers: compliance.headers })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: `${url}/revoke`, headers: compliance.headers, payload: { reason: 'incident' } })).statusCode).toBe(200);
    const direct = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.admin, payload: { patientId: patient.id, channel: 'sms', category: 'administrative', body: 'See you tomorrow' } });
    expect((await h.app.inject({ method: 'GET', url: `/v1/messages/${direct.json<{ id: string }>().id}/secure-link`, headers: h.admin })).statusCode).toBe(404);
  });

  it('throttles token guessing per address with 429, without touching any link', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Content');
    const guesser = browser(h);
    for (let i = 0; i < 20; i++) {
      const res = await guesser.open(`${'A'.repeat(20)}${String(1000 + i)}`);
      expect(res.statusCode).toBe(404);
    }
    const blocked = await guesser.open('B'.repeat(24));
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['cache-control']).toContain('no-store');
    // A real token from the throttled address is refused too, and the link stays as it was.
    expect((await guesser.post(token, { dob: patient.birthDate })).statusCode).toBe(429);
    expect((await state(messageId)).links[0]).toMatchObject({ failedAttempts: 0, codesSent: 0 });
    expect((await browser(h).open(token)).statusCode).toBe(200);
    expect((await audits('secure-link.throttled')).some((a) => a.details['sourceIp'] === guesser.ip)).toBe(true);
  });

  it('throttles answers per link, whatever address they come from', async () => {
    const patient = await givenSecurePatient(h);
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Content');
    for (let i = 0; i < 10; i++) expect((await browser(h).post(token, { dob: 'not a date' })).statusCode).toBe(400);
    const res = await browser(h).json(token, { dob: patient.birthDate });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await state(messageId)).links[0]).toMatchObject({ failedAttempts: 0, codesSent: 0 });
  });

  it('keeps PHI canaries, tokens, codes and addresses out of logs, error bodies and the audit trail', async () => {
    const CANARY = 'CANARY_PHI_SL';
    const birthDate = '1929-03-17';
    const patient = await givenSecurePatient(h, { givenName: `${CANARY}_1`, familyName: `${CANARY}_2`, birthDate });
    const { token, messageId } = await givenSecureMessage(h, patient.id, `${CANARY}_3 your result is positive`);
    const b = browser(h);
    const errors: string[] = [];
    const keep = (res: { statusCode: number; body: string }) => {
      expect(res.statusCode).toBeLessThan(500);
      if (res.statusCode >= 400) errors.push(res.body);
      return res;
    };
    keep(await b.open(token));
    keep(await b.post(token, { dob: `${CANARY}_4` }));
    keep(await b.json(token, { dob: `${CANARY}_5` }));
    keep(await b.post(token, { dob: '1929-03-18' }));
    keep(await b.json(token, { dob: birthDate, code: `${CANARY}_6` }));
    keep(await b.post(token, { dob: birthDate }));
    await h.settle();
    const code = lastCode(h, patient.phone);
    keep(await b.post(token, { code: `${CANARY}_7` }));
    keep(await b.json(token, { code: code === '999999' ? '000001' : '999999' }));
    keep(await b.post(token, { code }));
    const shown = keep(await b.open(token));
    expect(shown.body).toContain(`${CANARY}_3`);
    keep(await b.open(`${CANARY}_8_${'x'.repeat(20)}`));
    keep(await b.json(`${CANARY}_9`, { dob: birthDate }));
    await h.app.inject({ method: 'POST', url: `/v1/messages/${messageId}/secure-link/revoke`, headers: h.admin, payload: { reason: 'other' } });
    keep(await b.open(token));
    keep(await b.json(token, { dob: birthDate }));
    expect(errors.length).toBeGreaterThanOrEqual(10);
    for (const body of errors) {
      expect(body).not.toContain(CANARY);
      expect(body).not.toContain(birthDate);
    }
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [CANARY, birthDate, token, code, b.ip]) expect(logs, `logs contain ${secret}`).not.toContain(secret);
    const audit = await sql<{ j: string }>`select row_to_json(a)::text as j from audit_event a`.execute(h.container.database.db);
    const auditText = audit.rows.map((r) => r.j).join('\n');
    for (const secret of [CANARY, birthDate, token, code]) expect(auditText, `audit contains ${secret}`).not.toContain(secret);
  });

  it('stores only hashes of tokens and codes', async () => {
    const patient = await givenSecurePatient(h);
    const { token } = await givenSecureMessage(h, patient.id, 'CANARY_PHI_STORED content');
    await browser(h).json(token, { dob: patient.birthDate });
    await h.settle();
    const code = lastCode(h, patient.phone);
    const rows = await sql<{ j: string }>`select row_to_json(t)::text as j from secure_link t union all select row_to_json(s)::text from secure_message s union all select row_to_json(a)::text from attempt_throttle a`.execute(h.container.database.db);
    const text = rows.rows.map((r) => r.j).join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(code);
    expect(text).not.toContain('CANARY_PHI_STORED');
    expect(text).not.toContain('198.51.100.');
  });
});

describe.each(DATABASES)('secure link codes at dispatch (%s)', (database) => {
  let h: Harness;
  // 23:00 in New York: inside quiet hours.
  const clock: Clock = { now: () => new Date('2026-03-02T04:00:00Z') };

  beforeAll(async () => {
    h = await createHarness(database, { WARDLINE_QUIET_HOURS: '08:00-21:00', WARDLINE_SIMULATOR_READ_RECEIPTS: 'false' }, { clock });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends the code the patient asked for during quiet hours, while ordinary messages wait', async () => {
    const patient = await givenSecurePatient(h, { timezone: 'America/New_York' });
    const { token, messageId } = await givenSecureMessage(h, patient.id, 'Night content');
    await h.settle();
    expect(h.container.simulator!.inbox(patient.phone)).toHaveLength(0);
    expect((await browser(h).json(token, { dob: patient.birthDate })).statusCode).toBe(200);
    await h.settle();
    expect(lastCode(h, patient.phone)).toMatch(/^\d{6}$/);
    const held = (await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.admin })).json<{ status: string; heldUntil: string | null }>();
    expect(held.status).toBe('queued');
    expect(held.heldUntil).not.toBeNull();
  });

  it('lets an opt-out win over a code', async () => {
    const patient = await givenSecurePatient(h, { timezone: 'America/New_York' });
    const { token } = await givenSecureMessage(h, patient.id, 'Content');
    expect((await browser(h).json(token, { dob: patient.birthDate })).statusCode).toBe(200);
    const stop = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: patient.phone, channel: 'sms', body: 'STOP' } });
    expect(stop.statusCode).toBeLessThan(300);
    await h.settle();
    const texts = h.container.simulator!.inbox(patient.phone).map((m) => m.body);
    expect(texts.some((t) => /verification code/.test(t))).toBe(false);
  });
});
