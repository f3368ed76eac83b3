import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Secret as OtpSecret } from 'otpauth';
import { auditActorOf, type Actor, type AuditActor } from '../core/access/actor.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import { checkPasswordPolicy } from '../core/auth/password-policy.ts';
import { LOCKOUT_RULES, lockedUntil, recordFailure } from '../core/auth/lockout.ts';
import { sessionDeadline, sessionState } from '../core/auth/session-lifetime.ts';
import { totpUri, verifyTotp } from '../core/auth/totp.ts';
import { DomainError } from '../core/errors.ts';
import type { PrincipalId } from '../core/ids.ts';
import { phi, reveal } from '../core/phi/phi.ts';
import { requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { hashToken } from './directory.ts';
import type { LocalCredentials, SignInServices, SignInSubject, StaffSessionRecord, StoreSession } from './ports.ts';

/** Where a sign-in request came from: audited (the address as a detail), never logged with the password. */
export interface ClientInfo {
  readonly sourceIp: string;
  readonly requestId: string;
}

/** What the browser is told about its session (never the cookie's secret). */
export interface SessionView {
  readonly csrfToken: string;
  readonly expiresAt: string;
  /** True while the account must enrol a second factor before doing anything else. */
  readonly enrolmentRequired: boolean;
  readonly user: {
    readonly id: string;
    readonly username: string | null;
    readonly displayName: string;
    readonly kind: string;
    readonly permissionSets: readonly string[];
    readonly method: 'password' | 'oidc';
  };
}

const SYSTEM: AuditActor = { type: 'system', id: 'wardline' };

/** @param deps - app dependencies @returns the sign-in services, which the container always provides */
export function signInServices(deps: Pick<AppDeps, 'signIn'>): SignInServices {
  if (deps.signIn === undefined) throw new DomainError('INTERNAL', 'Sign-in is not configured.');
  return deps.signIn;
}

/**
 * The CSRF token of a session: an HMAC of a fixed label under the cookie's secret. It is bound to the session (a
 * token from another session never matches) and needs no storage; it cannot be derived from the stored hash.
 * @param secret - the session cookie's value
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('wardline-csrf-v1').digest('base64url');
}

/** @param secret - the session cookie's value @param presented - the X-CSRF-Token header @returns true when they belong together */
export function isCsrfTokenValid(secret: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function audit(client: ClientInfo, e: Omit<AuditEventInput, 'requestId' | 'patientId' | 'details'> & { details?: Record<string, string | number | boolean | null> }): AuditEventInput {
  return { ...e, patientId: null, requestId: client.requestId, sourceAddress: client.sourceIp, details: { ...e.details, sourceIp: client.sourceIp } };
}

function viewOf(secret: string, s: Pick<StaffSessionRecord, 'username' | 'displayName' | 'method' | 'enrolmentOnly' | 'idleMs' | 'expiresAt'> & { actor: Pick<Actor, 'id' | 'kind' | 'permissionSets'> }, now: Date): SessionView {
  return {
    csrfToken: csrfTokenOf(secret),
    expiresAt: sessionDeadline(s, now).toISOString(),
    enrolmentRequired: s.enrolmentOnly,
    user: { id: s.actor.id, username: s.username, displayName: s.displayName, kind: s.actor.kind, permissionSets: s.actor.permissionSets, method: s.method },
  };
}

/**
 * Opens a session for a principal that proved who it is.
 * @returns the cookie's secret (shown once; only its SHA-256 is stored) and the session's view
 */
async function openSession(
  deps: AppDeps,
  session: StoreSession,
  who: { actor: Pick<Actor, 'id' | 'kind' | 'permissionSets'>; username: string | null; displayName: string },
  how: { method: 'password' | 'oidc'; mfa: boolean; enrolmentOnly: boolean },
  client: ClientInfo,
): Promise<{ secret: string; view: SessionView }> {
  const services = signInServices(deps);
  const now = deps.clock.now();
  const secret = randomBytes(32).toString('base64url');
  const record = { id: deps.ids.uuid(), principalId: who.actor.id, ...how, createdAt: now, idleMs: services.idleMs, expiresAt: new Date(now.getTime() + services.maxMs) };
  await session.signIn.insertSession({ ...record, secretHash: hashToken(secret) });
  await session.audit.append(
    audit(client, { actor: auditActorOf(who.actor), action: 'auth.signed-in', outcome: 'success', targetType: 'session', targetId: record.id, reason: null, details: { method: how.method, mfa: how.mfa, enrolmentOnly: how.enrolmentOnly } }),
  );
  return { secret, view: viewOf(secret, { ...who, ...record }, now) };
}

/**
 * Counts a failed sign-in against the username and the address, locks the username when the rule says so (audited
 * as `auth.locked`), and audits the failure. The reason is for the audit trail only; the caller answers the same.
 */
async function recordSignInFailure(deps: AppDeps, username: string, account: LocalCredentials | null, client: ClientInfo, reason: string): Promise<void> {
  const now = deps.clock.now();
  const target = account === null ? null : account.actor.id;
  await deps.store.transaction(async (tx) => {
    let locked = false;
    for (const [subject, rule] of [[{ kind: 'username', username }, LOCKOUT_RULES.username], [{ kind: 'address', address: phi(client.sourceIp) }, LOCKOUT_RULES.address]] as const) {
      const next = recordFailure(await tx.signIn.failures(subject), rule, now);
      await tx.signIn.putFailures(subject, next.state);
      if (next.lockedNow && subject.kind === 'username') locked = true;
      if (next.lockedNow && subject.kind === 'address') {
        await tx.audit.append(audit(client, { actor: SYSTEM, action: 'auth.locked', outcome: 'denied', targetType: 'system', targetId: null, reason: 'RATE_LIMITED', details: { subject: 'address', severity: 'medium' } }));
      }
    }
    await tx.audit.append(audit(client, { actor: SYSTEM, action: 'auth.failed', outcome: 'failure', targetType: 'principal', targetId: target, reason, details: { usernameKnown: account !== null } }));
    if (locked) {
      await tx.audit.append(
        audit(client, { actor: SYSTEM, action: 'auth.locked', outcome: 'denied', targetType: 'principal', targetId: target, reason: 'ACCOUNT_LOCKED', details: { subject: 'username', usernameKnown: account !== null, severity: 'high', lockedForMinutes: LOCKOUT_RULES.username.lockMs / 60_000 } }),
      );
    }
  });
}

/**
 * Local sign-in: username, password and, when the account has one, a TOTP code. Every way of failing answers
 * `SIGN_IN_FAILED` alike (an unknown username costs a dummy Argon2 verification, so timing says nothing either).
 * @param deps - app dependencies
 * @param credentials - what the user typed
 * @param client - source address and request id
 * @returns the session cookie's secret and what the browser may know
 */
export async function signInWithPassword(
  deps: AppDeps,
  credentials: { readonly username: string; readonly password: string; readonly totp?: string | undefined },
  client: ClientInfo,
): Promise<{ secret: string; view: SessionView }> {
  const services = signInServices(deps);
  const now = deps.clock.now();
  const username = credentials.username.toLowerCase();
  const addressSubject: SignInSubject = { kind: 'address', address: phi(client.sourceIp) };
  if (lockedUntil(await deps.store.signIn.failures(addressSubject), now) !== null) {
    await deps.store.audit.append(audit(client, { actor: SYSTEM, action: 'auth.failed', outcome: 'denied', targetType: 'principal', targetId: null, reason: 'RATE_LIMITED', details: {} }));
    throw new DomainError('RATE_LIMITED', 'Too many failed sign-ins from this address; wait and try again.');
  }
  const account = await deps.store.signIn.credentialsByUsername(username);
  if (lockedUntil(await deps.store.signIn.failures({ kind: 'username', username }), now) !== null) {
    await deps.store.audit.append(audit(client, { actor: SYSTEM, action: 'auth.failed', outcome: 'denied', targetType: 'principal', targetId: account?.actor.id ?? null, reason: 'ACCOUNT_LOCKED', details: { usernameKnown: account !== null } }));
    throw new DomainError('ACCOUNT_LOCKED', 'Too many failed sign-ins for this username; try again later.');
  }
  const passwordOk = account !== null && account.passwordHash !== null ? await services.passwords.verify(account.passwordHash, credentials.password) : (await services.passwords.verifyDummy(credentials.password), false);
  if (account === null || !passwordOk || account.disabled) {
    await recordSignInFailure(deps, username, account, client, account === null ? 'unknown-username' : account.disabled ? 'disabled' : account.passwordHash === null ? 'no-password' : 'wrong-password');
    throw new DomainError('SIGN_IN_FAILED');
  }
  let mfa = false;
  if (account.totpSecret !== null) {
    if (credentials.totp === undefined) {
      await deps.store.audit.append(audit(client, { actor: SYSTEM, action: 'auth.failed', outcome: 'denied', targetType: 'principal', targetId: account.actor.id, reason: 'MFA_REQUIRED', details: {} }));
      throw new DomainError('MFA_REQUIRED', 'Send the code from the authenticator app as `totp`.');
    }
    const verdict = verifyTotp(reveal(account.totpSecret), credentials.totp, now, account.totpLastStep);
    const accepted = verdict.ok && (await deps.store.signIn.acceptTotpStep(account.actor.id, verdict.step));
    if (!accepted) {
      await recordSignInFailure(deps, username, account, client, verdict.ok || verdict.reason === 'replayed' ? 'totp-replayed' : 'totp-wrong');
      throw new DomainError('SIGN_IN_FAILED');
    }
    mfa = true;
  }
  const enrolmentOnly = !mfa && (services.requireMfa || account.mfaRequired);
  return deps.store.transaction(async (tx) => {
    await tx.signIn.clearFailures({ kind: 'username', username });
    return openSession(deps, tx, { actor: account.actor, username: account.username, displayName: account.displayName }, { method: 'password', mfa, enrolmentOnly }, client);
  });
}

/**
 * Single sign-on: the identity provider vouched for `subject`; the principal linked to (issuer, subject) signs in.
 * An unlinked or deactivated identity is refused alike and audited with its (issuer, sub), so an administrator can link it.
 * @param deps - app dependencies
 * @param issuer - the identity provider
 * @param subject - the ID token's `sub`
 * @param client - source address and request id
 */
export async function signInWithOidc(deps: AppDeps, issuer: string, subject: string, client: ClientInfo): Promise<{ secret: string; view: SessionView }> {
  const principalId = await deps.store.signIn.identity(issuer, subject);
  const account = principalId === null ? null : await deps.store.signIn.credentialsOf(principalId);
  if (account === null || account.disabled) {
    await deps.store.audit.append(audit(client, { actor: SYSTEM, action: 'auth.failed', outcome: 'failure', targetType: 'principal', targetId: principalId, reason: principalId === null ? 'oidc-identity-not-linked' : 'disabled', details: { method: 'oidc', issuer, subject } }));
    throw new DomainError('SIGN_IN_FAILED', 'This identity is not linked to an active Wardline account.');
  }
  return deps.store.transaction((tx) => openSession(deps, tx, { actor: account.actor, username: account.username, displayName: account.displayName }, { method: 'oidc', mfa: false, enrolmentOnly: false }, client));
}

/** A live session, resolved from its cookie. */
export interface ResolvedSession {
  readonly actor: Actor;
  readonly record: StaffSessionRecord;
}

/**
 * Resolves a session cookie, checked against the database on every request (no cache: sign-out and deactivation
 * take effect at once). An idle or expired session is ended here and audited once as `auth.session-expired`.
 * @param deps - app dependencies
 * @param secret - the cookie's value
 * @param client - source address and request id
 * @returns the session, or null when it is unknown or over
 */
export async function resolveSession(deps: AppDeps, secret: string, client: ClientInfo): Promise<ResolvedSession | null> {
  const now = deps.clock.now();
  const record = await deps.store.signIn.sessionBySecretHash(hashToken(secret), deps.clock.now());
  if (record === null || record.endedAt !== null) return null;
  const state = record.principalDisabled ? 'deactivated' : sessionState(record, now);
  if (state === 'active') {
    await deps.store.signIn.touchSession(record.id, now);
    return { actor: record.actor, record };
  }
  const reason = state === 'deactivated' ? 'deactivated' : state === 'idle' ? 'idle' : 'expired';
  if (await deps.store.signIn.endSession(record.id, now, reason)) {
    await deps.store.audit.append(audit(client, { actor: auditActorOf(record.actor), action: 'auth.session-expired', outcome: 'success', targetType: 'session', targetId: record.id, reason, details: {} }));
  }
  return null;
}

/** @param deps - app dependencies @param secret - the cookie @param session - the resolved session @returns its view */
export function describeSession(deps: AppDeps, secret: string, session: ResolvedSession): SessionView {
  return viewOf(secret, session.record, deps.clock.now());
}

/** Ends the caller's session; its cookie is worthless from now on, wherever a copy of it is. */
export async function signOut(deps: AppDeps, session: ResolvedSession, client: ClientInfo): Promise<void> {
  if (await deps.store.signIn.endSession(session.record.id, deps.clock.now(), 'signed-out')) {
    await deps.store.audit.append(audit(client, { actor: auditActorOf(session.actor), action: 'auth.signed-out', outcome: 'success', targetType: 'session', targetId: session.record.id, reason: null, details: {} }));
  }
}

/** Audits a refused cookie-authenticated change (a possible cross-site request forgery). */
export async function recordCsrfRejection(deps: AppDeps, actor: Actor | null, client: ClientInfo & { method: string; route: string }): Promise<void> {
  await deps.store.audit.append(audit(client, { actor: actor === null ? SYSTEM : auditActorOf(actor), action: 'auth.csrf-rejected', outcome: 'denied', targetType: 'session', targetId: null, reason: 'CSRF_TOKEN_INVALID', details: { method: client.method, route: client.route, severity: 'medium' } }));
}

/**
 * Starts TOTP enrolment for the caller: a new secret, returned once (as base32 and as an otpauth URI for a QR code)
 * and kept encrypted until a code confirms it. An account with an active second factor cannot replace it here.
 */
export async function startTotpEnrolment(deps: AppDeps, ctx: RequestContext, issuerName: string): Promise<{ secret: string; otpauthUri: string }> {
  const account = await deps.store.signIn.credentialsOf(ctx.actor.id);
  if (account === null || ctx.actor.kind !== 'user') throw new DomainError('ACCESS_DENIED', 'Only users with a username enrol a second factor.');
  if (account.totpSecret !== null) throw new DomainError('CONFLICT', 'A second factor is already active for this account.');
  const secret = new OtpSecret({ buffer: randomBytes(20).buffer }).base32;
  await deps.store.transaction(async (tx) => {
    await tx.signIn.setPendingTotp(ctx.actor.id, phi(secret));
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'auth.totp-enrolment-started', outcome: 'success', targetType: 'principal', targetId: ctx.actor.id, patientId: null, reason: null, ...auditOrigin(ctx) });
  });
  return { secret, otpauthUri: totpUri(secret, account.username, issuerName) };
}

/** Confirms TOTP enrolment with a code from the app; the second factor is active from then on. */
export async function confirmTotpEnrolment(deps: AppDeps, ctx: RequestContext, code: string): Promise<void> {
  const account = await deps.store.signIn.credentialsOf(ctx.actor.id);
  if (account === null || account.totpPendingSecret === null) throw new DomainError('CONFLICT', 'No enrolment is in progress; start one with POST /v1/session/totp.');
  const verdict = verifyTotp(reveal(account.totpPendingSecret), code, deps.clock.now(), null);
  if (!verdict.ok) throw new DomainError('SIGN_IN_FAILED', 'The code does not match; check the device clock and try the next code.');
  await deps.store.transaction(async (tx) => {
    await tx.signIn.activateTotp(ctx.actor.id, verdict.step, deps.clock.now());
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'auth.totp-enrolled', outcome: 'success', targetType: 'principal', targetId: ctx.actor.id, patientId: null, reason: null, ...auditOrigin(ctx) });
  });
}

/**
 * Checks a password against the policy and hashes it (Argon2id). The password is never echoed: a refusal names rules.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param username - the account's username
 * @param password - the proposed password
 */
export async function hashNewPassword(deps: AppDeps, ctx: RequestContext, username: string, password: string): Promise<string> {
  // Only an administrator sets passwords: checked before any Argon2 time is spent or any policy detail is given.
  await requirePermission(deps.store, ctx, 'user.admin');
  const verdict = checkPasswordPolicy(password, username);
  if (!verdict.ok) {
    throw new DomainError('PASSWORD_TOO_WEAK', 'See docs/sign-in.md for the password policy.', { issues: verdict.problems.map((p) => ({ pointer: '/body/password', message: p })) });
  }
  return signInServices(deps).passwords.hash(password);
}

/**
 * Sign-in settings of a user just created: second factor required, single sign-on identity.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - the user
 * @param settings - what to set
 */
export async function configureSignIn(deps: AppDeps, ctx: RequestContext, principalId: PrincipalId, settings: { mfaRequired?: boolean | undefined; oidcSubject?: string | undefined }): Promise<void> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const oidc = signInServices(deps).oidc;
  if (settings.oidcSubject !== undefined && oidc === null) throw new DomainError('VALIDATION_FAILED', 'Single sign-on is not configured.', { issues: [{ pointer: '/body/oidcSubject', message: 'WARDLINE_OIDC_ISSUER is not set' }] });
  await deps.store.transaction(async (tx) => {
    if (settings.mfaRequired !== undefined) await tx.signIn.setMfaRequired(principalId, settings.mfaRequired);
    if (settings.oidcSubject !== undefined && oidc !== null && !(await tx.signIn.linkIdentity(oidc.issuer, settings.oidcSubject, principalId))) {
      throw new DomainError('CONFLICT', 'This single sign-on identity is linked to another user.');
    }
  });
}

/**
 * An administrator resets a user's password and/or second factor (a forgotten password, a lost phone). Every open
 * session of the user ends, the username's failure counter and lock are cleared, and the reset is audited; the
 * user signs in with the new password and, when a second factor is required, enrols a new one.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - the user
 * @param reset - a new password (checked against the policy) and/or `totp: true` to remove the second factor
 */
export async function resetCredentials(deps: AppDeps, ctx: RequestContext, principalId: PrincipalId, reset: { password?: string | undefined; totp?: boolean | undefined }): Promise<{ sessionsEnded: number }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const account = await deps.store.signIn.credentialsOf(principalId);
  if (account === null || account.actor.kind !== 'user') throw new DomainError('NOT_FOUND', 'No user with a username has this id.');
  const passwordHash = reset.password === undefined ? null : await hashNewPassword(deps, ctx, account.username, reset.password);
  const now = deps.clock.now();
  const result = await deps.store.transaction(async (tx) => {
    if (passwordHash !== null) await tx.signIn.setPassword(principalId, passwordHash);
    const totpRemoved = reset.totp === true ? await tx.signIn.clearTotp(principalId) : false;
    await tx.signIn.clearFailures({ kind: 'username', username: account.username });
    const sessionsEnded = await tx.signIn.endSessionsOf(principalId, now, 'credentials-reset');
    const audit = { actor: auditActorOf(ctx.actor), outcome: 'success', targetType: 'principal', targetId: principalId, patientId: null, reason: null, ...auditOrigin(ctx) } as const;
    if (passwordHash !== null) await tx.audit.append({ ...audit, action: 'auth.password-reset', details: { sessionsEnded } });
    if (reset.totp === true) await tx.audit.append({ ...audit, action: 'auth.totp-reset', details: { sessionsEnded, totpRemoved } });
    return { sessionsEnded };
  });
  return result;
}

/**
 * Deactivates a principal: every session ends and every API token is revoked in one transaction, and this
 * process's token cache forgets it (other processes within WARDLINE_TOKEN_CACHE_MS; docs/decisions/0010-staff-sign-in.md).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - whom
 */
export async function deactivatePrincipal(deps: AppDeps, ctx: RequestContext, principalId: PrincipalId): Promise<{ sessionsEnded: number; tokensRevoked: number }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  if (principalId === ctx.actor.id) throw new DomainError('CONFLICT', 'Administrators cannot deactivate themselves.');
  if ((await deps.store.principals.get(principalId)) === null) throw new DomainError('NOT_FOUND', 'No principal has this id.');
  const now = deps.clock.now();
  const result = await deps.store.transaction(async (tx) => {
    const { tokensRevoked } = await tx.signIn.deactivate(principalId, now);
    const sessionsEnded = await tx.signIn.endSessionsOf(principalId, now, 'deactivated');
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'principal.deactivated', outcome: 'success', targetType: 'principal', targetId: principalId, patientId: null, reason: null, ...auditOrigin(ctx), details: { sessionsEnded, tokensRevoked } });
    return { sessionsEnded, tokensRevoked };
  });
  deps.forgetAccess(principalId);
  return result;
}

/**
 * Revokes one API token at once (this process's cache forgets its principal's look-ups).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param tokenId - the token's id (from POST /v1/tokens)
 */
export async function revokeToken(deps: AppDeps, ctx: RequestContext, tokenId: string): Promise<void> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const principalId = await deps.store.transaction(async (tx) => {
    const owner = await tx.signIn.revokeToken(tokenId, deps.clock.now());
    if (owner === null) throw new DomainError('NOT_FOUND', 'No active token has this id.');
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'token.revoked', outcome: 'success', targetType: 'token', targetId: tokenId, patientId: null, reason: null, ...auditOrigin(ctx), details: { principalId: owner } });
    return owner;
  });
  deps.forgetAccess(principalId);
}
