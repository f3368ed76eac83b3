import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/app/ports.ts';
import { totpCode } from '../src/core/auth/totp.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';
import { signInAtIdentityProvider, startIdentityProvider, type TestIdentityProvider } from './support/oidc-provider.ts';

/** A clock the suite moves forward (sessions go idle, locks run out, TOTP steps pass). */
function movableClock(): Clock & { advance(ms: number): void } {
  let now = Date.now();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

const PASSWORD = 'correct horse battery staple';
let addressCounter = 0;
/** Each test signs in from its own address, so the per-address throttle of one never touches another. */
function nextAddress(): string {
  addressCounter += 1;
  return `10.0.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
}

interface Browser {
  cookie: string | null;
  csrf: string | null;
  readonly address: string;
}

describe.each(DATABASES)('staff sign-in (%s)', (database) => {
  let h: Harness;
  const clock = movableClock();
  const secrets: string[] = [];

  beforeAll(async () => {
    h = await createHarness(database, {}, { clock });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function givenAccount(username: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username, displayName: username, permissionSets: ['administrator'], password: PASSWORD, ...extra } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  function browser(): Browser {
    return { cookie: null, csrf: null, address: nextAddress() };
  }

  async function signIn(b: Browser, username: string, password = PASSWORD, totp?: string): Promise<LightMyRequestResponse> {
    secrets.push(password);
    if (totp !== undefined) secrets.push(totp);
    const res = await h.app.inject({ method: 'POST', url: '/v1/session', remoteAddress: b.address, payload: { username, password, ...(totp === undefined ? {} : { totp }) } });
    const cookie = res.cookies.find((c) => c.name === 'wardline_session');
    if (res.statusCode === 200 && cookie !== undefined) {
      b.cookie = cookie.value;
      b.csrf = res.json<{ csrfToken: string }>().csrfToken;
      secrets.push(cookie.value);
    }
    return res;
  }

  function call(b: Browser, method: 'GET' | 'POST' | 'DELETE', url: string, options: { payload?: object; csrf?: string | null } = {}): Promise<LightMyRequestResponse> {
    const csrf = options.csrf === undefined ? b.csrf : options.csrf;
    return h.app.inject({
      method,
      url,
      remoteAddress: b.address,
      headers: { cookie: `wardline_session=${b.cookie ?? ''}`, ...(csrf === null ? {} : { 'x-csrf-token': csrf }) },
      ...(options.payload === undefined ? {} : { payload: options.payload }),
    });
  }

  async function audits(action: string): Promise<{ target_id: string | null; reason: string | null; details: Record<string, unknown> }[]> {
    return h.container.database.db.selectFrom('audit_event').select(['target_id', 'reason', 'details']).where('action', '=', action).execute();
  }

  it('refuses a weak password with PASSWORD_TOO_WEAK and never echoes it', async () => {
    for (const password of ['short-pass', 'nurse.kim-is-me-2024']) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username: 'nurse.kim', displayName: 'Kim', permissionSets: ['nurse'], password } });
      expect(res.statusCode).toBe(422);
      expect(res.json<{ code: string }>().code).toBe('PASSWORD_TOO_WEAK');
      expect(res.body).not.toContain(password);
    }
    const row = await h.container.database.db.selectFrom('principal').select('password_hash').where('username', '=', 'nurse.kim').executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('stores an Argon2id hash and signs in with a session cookie: httpOnly, SameSite=Strict, path /', async () => {
    const id = await givenAccount('dr.hale');
    const row = await h.container.database.db.selectFrom('principal').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const b = browser();
    const res = await signIn(b, 'dr.hale');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ csrfToken: string; expiresAt: string; user: { id: string; username: string } }>();
    expect(body.user).toMatchObject({ id, username: 'dr.hale' });
    expect(new Date(body.expiresAt).getTime()).toBe(clock.now().getTime() + 15 * 60_000);
    const cookie = res.cookies.find((c) => c.name === 'wardline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    expect(cookie?.maxAge).toBeUndefined();
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the SHA-256 of the cookie is stored.
    const stored = await h.container.database.db.selectFrom('staff_session').select('secret_hash').where('principal_id', '=', id).execute();
    expect(stored.map((s) => s.secret_hash)).not.toContain(cookie?.value);
    const me = await call(b, 'GET', '/v1/session');
    expect(me.statusCode).toBe(200);
    expect(me.json<{ user: { id: string }; csrfToken: string }>()).toMatchObject({ user: { id }, csrfToken: body.csrfToken });
    expect((await audits('auth.signed-in')).some((a) => a.details['sourceIp'] === b.address)).toBe(true);
  });

  it('answers a wrong password and an unknown username identically', async () => {
    await givenAccount('clerk.ortiz');
    const wrong = await signIn(browser(), 'clerk.ortiz', 'not the password at all');
    const unknown = await signIn(browser(), 'nobody.here', 'not the password at all');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.cookies).toHaveLength(0);
    }
    const strip = (r: LightMyRequestResponse): unknown => ({ ...r.json<Record<string, unknown>>(), instance: null });
    expect(strip(wrong)).toEqual(strip(unknown));
    expect(wrong.json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    const failed = await audits('auth.failed');
    expect(failed.map((a) => a.reason)).toEqual(expect.arrayContaining(['wrong-password', 'unknown-username']));
  });

  it('locks a username after 5 failures in 15 minutes, even against the right password, and audits auth.locked', async () => {
    const id = await givenAccount('tech.lind');
    for (let i = 0; i < 5; i++) expect((await signIn(browser(), 'tech.lind', `wrong password ${i}`)).statusCode).toBe(401);
    const locked = await signIn(browser(), 'tech.lind');
    expect(locked.statusCode).toBe(423);
    expect(locked.json<{ code: string }>().code).toBe('ACCOUNT_LOCKED');
    expect((await audits('auth.locked')).filter((a) => a.target_id === id)).toHaveLength(1);
    // An unknown username locks the same way: a lock says nothing about whether an account exists.
    for (let i = 0; i < 5; i++) await signIn(browser(), 'ghost.user', `wrong password ${i}`);
    expect((await signIn(browser(), 'ghost.user')).statusCode).toBe(423);
    clock.advance(15 * 60_000 + 1);
    expect((await signIn(browser(), 'tech.lind')).statusCode).toBe(200);
  });

  it('throttles one address after 20 failures, whatever the usernames', async () => {
    const b = browser();
    for (let i = 0; i < 20; i++) expect((await signIn(b, `spray.${i}`, 'Winter2024!Winter')).statusCode).toBe(401);
    const res = await signIn(b, 'spray.99', 'Winter2024!Winter');
    expect(res.statusCode).toBe(429);
    expect(res.json<{ code: string }>().code).toBe('RATE_LIMITED');
    clock.advance(15 * 60_000 + 1);
  });

  it('refuses a cookie-authenticated change without the CSRF token, or with another session\'s, and changes nothing', async () => {
    await givenAccount('sec.officer');
    const b = browser();
    const other = browser();
    expect((await signIn(b, 'sec.officer')).statusCode).toBe(200);
    expect((await signIn(other, 'sec.officer')).statusCode).toBe(200);
    const count = async (): Promise<number> => (await h.container.database.db.selectFrom('ward').select('id').where('name', '=', 'Ward CSRF').execute()).length;
    for (const csrf of [null, 'forged', other.csrf]) {
      const res = await call(b, 'POST', '/v1/wards', { payload: { name: 'Ward CSRF' }, csrf });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ code: string }>().code).toBe('CSRF_TOKEN_INVALID');
    }
    expect(await count()).toBe(0);
    expect((await audits('auth.csrf-rejected')).length).toBeGreaterThanOrEqual(3);
    const ok = await call(b, 'POST', '/v1/wards', { payload: { name: 'Ward CSRF' } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await count()).toBe(1);
  });

  it('ends a session after 15 idle minutes, keeps an active one alive, and audits the expiry', async () => {
    await givenAccount('nurse.idle');
    const b = browser();
    await signIn(b, 'nurse.idle');
    for (let i = 0; i < 3; i++) {
      clock.advance(10 * 60_000);
      expect((await call(b, 'GET', '/v1/session')).statusCode).toBe(200);
    }
    clock.advance(15 * 60_000);
    const res = await call(b, 'GET', '/v1/session');
    expect(res.statusCode).toBe(401);
    expect(res.json<{ code: string }>().code).toBe('SESSION_EXPIRED');
    expect((await audits('auth.session-expired')).some((a) => a.reason === 'idle')).toBe(true);
  });

  it('signs out: the copied cookie is worthless afterwards', async () => {
    await givenAccount('nurse.out');
    const b = browser();
    await signIn(b, 'nurse.out');
    const stolen = { ...b };
    expect((await call(b, 'DELETE', '/v1/session', { csrf: null })).statusCode).toBe(403);
    const out = await call(b, 'DELETE', '/v1/session');
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'wardline_session')?.value).toBe('');
    const reuse = await call(stolen, 'GET', '/v1/session');
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json<{ code: string }>().code).toBe('SESSION_EXPIRED');
    expect((await call(stolen, 'POST', '/v1/wards', { payload: { name: 'Stolen' } })).statusCode).toBe(401);
    expect(await audits('auth.signed-out')).toHaveLength(1);
  });

  it('enrols a TOTP second factor and then requires it, refusing wrong and replayed codes', async () => {
    const id = await givenAccount('dr.totp');
    const b = browser();
    await signIn(b, 'dr.totp');
    const enrol = await call(b, 'POST', '/v1/session/totp');
    expect(enrol.statusCode, enrol.body).toBe(201);
    const { secret, otpauthUri } = enrol.json<{ secret: string; otpauthUri: string }>();
    secrets.push(secret);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/.*dr\.totp\?.*secret=/);
    const stored = await h.container.database.db.selectFrom('principal_credential').selectAll().where('principal_id', '=', id).executeTakeFirstOrThrow();
    expect(stored.totp_pending_enc).toMatch(/^v1\./);
    expect(stored.totp_pending_enc).not.toContain(secret);
    expect((await call(b, 'POST', '/v1/session/totp/confirm', { payload: { code: '000000' === totpCode(secret, clock.now()) ? '111111' : '000000' } })).statusCode).toBe(401);
    expect((await call(b, 'POST', '/v1/session/totp/confirm', { payload: { code: totpCode(secret, clock.now()) } })).statusCode).toBe(204);
    expect((await call(b, 'POST', '/v1/session/totp')).statusCode).toBe(409);
    expect(await audits('auth.totp-enrolled')).toHaveLength(1);

    const missing = await signIn(browser(), 'dr.totp');
    expect(missing.statusCode).toBe(401);
    expect(missing.json<{ code: string }>().code).toBe('MFA_REQUIRED');
    clock.advance(30_000);
    const code = totpCode(secret, clock.now());
    const wrongCode = code === '123456' ? '654321' : '123456';
    expect((await signIn(browser(), 'dr.totp', PASSWORD, wrongCode)).json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    expect((await signIn(browser(), 'dr.totp', PASSWORD, code)).statusCode).toBe(200);
    const replay = await signIn(browser(), 'dr.totp', PASSWORD, code);
    expect(replay.statusCode).toBe(401);
    expect(replay.json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    expect((await audits('auth.failed')).filter((a) => a.target_id === id).map((a) => a.reason)).toEqual(expect.arrayContaining(['totp-wrong', 'totp-replayed', 'MFA_REQUIRED']));
    // A code one step old still works (clock drift), once.
    clock.advance(30_000);
    expect((await signIn(browser(), 'dr.totp', PASSWORD, totpCode(secret, new Date(clock.now().getTime() + 30_000)))).statusCode).toBe(200);
  });

  it('confines a user who must use a second factor but has none to enrolment', async () => {
    await givenAccount('nurse.mfa', { mfaRequired: true });
    const b = browser();
    const res = await signIn(b, 'nurse.mfa');
    expect(res.statusCode).toBe(200);
    expect(res.json<{ enrolmentRequired: boolean }>().enrolmentRequired).toBe(true);
    const blocked = await call(b, 'POST', '/v1/wards', { payload: { name: 'Ward MFA' } });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json<{ code: string }>().code).toBe('MFA_ENROLMENT_REQUIRED');
    expect((await call(b, 'GET', '/v1/session')).statusCode).toBe(200);
    expect((await call(b, 'POST', '/v1/session/totp')).statusCode).toBe(201);
  });

  it('deactivation ends every session and API token of the user at once', async () => {
    const id = await givenAccount('dr.leaving');
    const b = browser();
    await signIn(b, 'dr.leaving');
    const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id } });
    const bearer = { authorization: `Bearer ${token.json<{ token: string }>().token}` };
    // Warm the token cache: deactivation must not leave the cached look-up alive.
    expect((await h.app.inject({ method: 'POST', url: '/v1/wards', headers: bearer, payload: { name: 'Ward Before' } })).statusCode).toBe(201);
    const res = await h.app.inject({ method: 'POST', url: `/v1/users/${id}/deactivate`, headers: h.admin });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ sessionsEnded: 1, tokensRevoked: 1 });
    expect((await h.app.inject({ method: 'POST', url: '/v1/wards', headers: bearer, payload: { name: 'Ward After' } })).statusCode).toBe(401);
    expect((await call(b, 'GET', '/v1/session')).statusCode).toBe(401);
    expect((await signIn(browser(), 'dr.leaving')).json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    expect((await audits('principal.deactivated')).map((a) => a.target_id)).toContain(id);
  });

  it('lets an administrator reset a password and a lost second factor: sessions end, the lock clears, both audited', async () => {
    const id = await givenAccount('nurse.forgetful');
    const b = browser();
    await signIn(b, 'nurse.forgetful');
    const enrol = await call(b, 'POST', '/v1/session/totp');
    const { secret } = enrol.json<{ secret: string }>();
    secrets.push(secret);
    expect((await call(b, 'POST', '/v1/session/totp/confirm', { payload: { code: totpCode(secret, clock.now()) } })).statusCode).toBe(204);
    for (let i = 0; i < 5; i++) await signIn(browser(), 'nurse.forgetful', `wrong password ${i}`);
    expect((await signIn(browser(), 'nurse.forgetful')).statusCode).toBe(423);

    const NEW_PASSWORD = 'a brand new long passphrase';
    secrets.push(NEW_PASSWORD);
    const weak = await h.app.inject({ method: 'POST', url: `/v1/users/${id}/credentials-reset`, headers: h.admin, payload: { password: 'short' } });
    expect(weak.json<{ code: string }>().code).toBe('PASSWORD_TOO_WEAK');
    expect((await h.app.inject({ method: 'POST', url: `/v1/users/${id}/credentials-reset`, headers: h.admin, payload: {} })).statusCode).toBe(400);
    const notAdmin = await givenAccount('nurse.notadmin', { permissionSets: ['nurse'] });
    const nb = browser();
    await signIn(nb, 'nurse.notadmin');
    expect((await call(nb, 'POST', `/v1/users/${id}/credentials-reset`, { payload: { totp: true } })).json<{ code: string }>().code).toBe('ACCESS_DENIED');
    expect(notAdmin).not.toBe(id);
    expect((await call(b, 'GET', '/v1/session')).statusCode).toBe(200);

    const res = await h.app.inject({ method: 'POST', url: `/v1/users/${id}/credentials-reset`, headers: h.admin, payload: { password: NEW_PASSWORD, totp: true } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ sessionsEnded: 1 });
    expect((await call(b, 'GET', '/v1/session')).statusCode).toBe(401);
    expect((await signIn(browser(), 'nurse.forgetful')).json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    // Unlocked, and no second factor asked for until the user enrols a new one.
    expect((await signIn(browser(), 'nurse.forgetful', NEW_PASSWORD)).statusCode).toBe(200);
    expect((await audits('auth.password-reset')).map((a) => a.target_id)).toContain(id);
    expect((await audits('auth.totp-reset')).map((a) => a.target_id)).toContain(id);
    const ended = await h.container.database.db.selectFrom('staff_session').select('end_reason').where('principal_id', '=', id).where('end_reason', '=', 'credentials-reset').execute();
    expect(ended).toHaveLength(1);
  });

  it('revokes one API token at once', async () => {
    const id = await givenAccount('svc.revoke');
    const token = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: id } });
    const { id: tokenId, token: value } = token.json<{ id: string; token: string }>();
    const bearer = { authorization: `Bearer ${value}` };
    expect((await h.app.inject({ method: 'POST', url: '/v1/wards', headers: bearer, payload: { name: 'Ward Token' } })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/tokens/${tokenId}`, headers: h.admin })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'POST', url: '/v1/wards', headers: bearer, payload: { name: 'Ward Token 2' } })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/tokens/${tokenId}`, headers: h.admin })).statusCode).toBe(404);
  });

  it('never logs a password, a TOTP code or secret, or a session cookie', () => {
    const logs = h.logs();
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});

describe('staff sign-in over https', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite', { WARDLINE_PUBLIC_URL: 'https://wardline.example.org' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('marks the session cookie Secure and names it with the __Host- prefix', async () => {
    await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username: 'dr.secure', displayName: 'S', permissionSets: ['physician'], password: PASSWORD } });
    const res = await h.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'dr.secure', password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === '__Host-wardline_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const me = await h.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: `__Host-wardline_session=${cookie?.value ?? ''}` } });
    expect(me.statusCode).toBe(200);
  });
});

describe.each(DATABASES)('single sign-on with OpenID Connect (%s)', (database) => {
  const publicUrl = 'http://127.0.0.1:3999';
  const redirectUri = `${publicUrl}/v1/session/oidc/callback`;
  let idp: TestIdentityProvider;
  let h: Harness;

  beforeAll(async () => {
    idp = await startIdentityProvider(redirectUri);
    h = await createHarness(database, { WARDLINE_PUBLIC_URL: publicUrl, WARDLINE_OIDC_ISSUER: idp.issuer, WARDLINE_OIDC_CLIENT_ID: idp.clientId, WARDLINE_OIDC_CLIENT_SECRET: idp.clientSecret });
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  /** Starts at Wardline, signs in at the provider as `login`, and brings the callback back to Wardline. */
  async function ssoAs(login: string, tamper?: (callback: URL) => void): Promise<LightMyRequestResponse> {
    const start = await h.app.inject({ method: 'GET', url: '/v1/session/oidc/start' });
    expect(start.statusCode).toBe(302);
    const pending = start.cookies.find((c) => c.name === 'wardline_oidc');
    expect(pending).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/v1/session/oidc' });
    const location = String(start.headers.location);
    expect(location.startsWith(`${idp.issuer}/auth?`)).toBe(true);
    const params = new URL(location).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    for (const p of ['state', 'nonce', 'code_challenge']) expect(params.get(p)).toBeTruthy();
    const callback = await signInAtIdentityProvider(location, redirectUri, login);
    tamper?.(callback);
    return h.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: `wardline_oidc=${pending?.value ?? ''}` } });
  }

  it('signs a linked user in end to end through the identity provider', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/users', headers: h.admin, payload: { username: 'dr.sso', displayName: 'Dr SSO', permissionSets: ['physician'], oidcSubject: 'alice' } });
    expect(created.statusCode, created.body).toBe(201);
    const res = await ssoAs('alice');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ user: { id: string; method: string } }>().user).toEqual(expect.objectContaining({ id: created.json<{ id: string }>().id, method: 'oidc' }));
    const cookie = res.cookies.find((c) => c.name === 'wardline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const me = await h.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: `wardline_session=${cookie?.value ?? ''}` } });
    expect(me.statusCode).toBe(200);
    const audit = await h.container.database.db.selectFrom('audit_event').select(['details']).where('action', '=', 'auth.signed-in').execute();
    expect(audit.some((a) => a.details['method'] === 'oidc')).toBe(true);
  });

  it('refuses an identity no administrator linked, and a callback whose state was changed', async () => {
    const unknown = await ssoAs('mallory');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json<{ code: string }>().code).toBe('SIGN_IN_FAILED');
    expect(unknown.cookies.find((c) => c.name === 'wardline_session')).toBeUndefined();
    const tampered = await ssoAs('alice', (callback) => {
      callback.searchParams.set('state', 'forged-state');
    });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.cookies.find((c) => c.name === 'wardline_session')).toBeUndefined();
  });
});
