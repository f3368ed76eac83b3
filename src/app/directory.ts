import { createHash } from 'node:crypto';
import { auditActorOf, type Actor, type PrincipalKind } from '../core/access/actor.ts';
import type { Permission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import type { PrincipalId, WardId } from '../core/ids.ts';
import { requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import { requireKnownPermissionSets } from './permission-sets.ts';
import type { PrincipalChange, PrincipalRecord } from './ports.ts';

/** @param token - a bearer token @returns its SHA-256 digest, the only form stored */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Resolves a bearer token to its actor, or null for an unknown, expired or revoked token or a disabled principal.
 * `forget` drops a principal's cached look-ups (deactivation, revocation in this process).
 */
export type Authenticator = ((token: string) => Promise<Actor | null>) & { forget(principalId?: PrincipalId): void };

/**
 * Bearer-token authentication with a short cache of successful look-ups, because every API call authenticates.
 * An entry lives at most `ttlMs` and never past the token's own expiry, so a revoked token or a disabled principal
 * is refused within `ttlMs` on every process (see docs/decisions/0004-token-cache.md). Failures are not cached.
 * @param deps - the store and the clock
 * @param options - cache lifetime and size
 */
export function createAuthenticator(
  deps: Pick<AppDeps, 'store' | 'clock'>,
  options: { ttlMs: number; maxEntries: number },
): Authenticator {
  const cache = new Map<string, { actor: Actor; until: number }>();
  const authenticate = async (token: string): Promise<Actor | null> => {
    const hash = hashToken(token);
    const now = deps.clock.now();
    const hit = cache.get(hash);
    if (hit !== undefined && hit.until > now.getTime()) return hit.actor;
    cache.delete(hash);
    const found = await deps.store.tokens.resolve(hash, now);
    if (found === null) return null;
    if (options.ttlMs > 0) {
      const until = Math.min(now.getTime() + options.ttlMs, found.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
      cache.set(hash, { actor: found.actor, until });
      if (cache.size > options.maxEntries) cache.delete(cache.keys().next().value as string);
    }
    return found.actor;
  };
  return Object.assign(authenticate, {
    forget(principalId?: PrincipalId) {
      if (principalId === undefined) cache.clear();
      for (const [hash, entry] of cache) if (entry.actor.id === principalId) cache.delete(hash);
    },
  });
}

/**
 * Creates a ward, the unit of record-level sharing.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param name - the ward's name
 */
export async function createWard(deps: AppDeps, ctx: RequestContext, name: string): Promise<{ id: WardId }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  if (await deps.store.wards.nameTaken(name)) throw new DomainError('CONFLICT', 'A ward with this name exists.');
  const id = deps.ids.uuid() as WardId;
  await deps.store.transaction(async (tx) => {
    await tx.wards.insert({ id, name });
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'ward.created', outcome: 'success', targetType: 'ward', targetId: id, patientId: null, reason: null, ...auditOrigin(ctx) });
  });
  return { id };
}

export interface CreatePrincipalCommand {
  readonly kind: PrincipalKind;
  readonly username: string | null;
  readonly displayName: string;
  readonly passwordHash: string | null;
  readonly permissionSets: readonly string[];
  readonly wardIds: readonly WardId[];
}

/**
 * Creates a user, AI agent or integration principal.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param cmd - the principal
 */
export async function createPrincipal(
  deps: AppDeps,
  ctx: RequestContext,
  cmd: CreatePrincipalCommand,
): Promise<{ id: PrincipalId }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  if (cmd.username !== null && (await deps.store.principals.usernameTaken(cmd.username))) {
    throw new DomainError('CONFLICT', 'This username is taken.');
  }
  await requireKnownPermissionSets(deps, cmd.permissionSets, '/body/permissionSets');
  await requireKnownWards(deps, cmd.wardIds);
  const id = deps.ids.uuid() as PrincipalId;
  await deps.store.transaction(async (tx) => {
    await tx.principals.insert({ ...cmd, id, disabledAt: null, createdBy: ctx.actor.id });
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'principal.created',
      outcome: 'success',
      targetType: 'principal',
      targetId: id,
      patientId: null,
      reason: null,
      ...auditOrigin(ctx),
      details: { kind: cmd.kind, permissionSets: cmd.permissionSets.join(',') },
    });
  });
  return { id };
}

/**
 * The directory an administrator manages: principals of one kind with their sets and wards (no secrets).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param kind - users, agents or integrations
 * @param limit - at most this many
 */
export async function listPrincipals(deps: AppDeps, ctx: RequestContext, kind: PrincipalKind, limit: number): Promise<PrincipalRecord[]> {
  await requirePermission(deps.store, ctx, 'user.admin');
  return deps.store.principals.list(kind, limit);
}

/**
 * One principal, for an administrator.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - whom
 */
export async function getPrincipal(deps: AppDeps, ctx: RequestContext, principalId: PrincipalId): Promise<PrincipalRecord> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const p = await deps.store.principals.get(principalId);
  if (p === null) throw new DomainError('NOT_FOUND', 'No principal has this id.');
  return p;
}

async function requireKnownWards(deps: AppDeps, wardIds: readonly WardId[]): Promise<void> {
  for (const wardId of wardIds) {
    if (!(await deps.store.wards.exists(wardId))) {
      throw new DomainError('VALIDATION_FAILED', 'wardIds names a ward that does not exist.', {
        issues: [{ pointer: `/body/wardIds/${wardIds.indexOf(wardId)}`, message: 'names a ward that does not exist' }],
      });
    }
  }
}

/**
 * Changes a principal's permission sets, wards or display name (a permission change, audited). Its access changes
 * at its next request: this process forgets its cached look-ups at once.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - whose
 * @param change - what to replace (absent fields stay)
 */
export async function updatePrincipal(deps: AppDeps, ctx: RequestContext, principalId: PrincipalId, change: PrincipalChange): Promise<PrincipalRecord> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const before = await deps.store.principals.get(principalId);
  if (before === null) throw new DomainError('NOT_FOUND', 'No principal has this id.');
  if (change.permissionSets !== undefined) await requireKnownPermissionSets(deps, change.permissionSets, '/body/permissionSets');
  if (change.wardIds !== undefined) await requireKnownWards(deps, change.wardIds);
  const after: PrincipalRecord = { ...before, ...change };
  const listed = (xs: readonly string[]) => [...xs].sort().join(',');
  await deps.store.transaction(async (tx) => {
    await tx.principals.update(principalId, change);
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'principal.updated',
      outcome: 'success',
      targetType: 'principal',
      targetId: principalId,
      patientId: null,
      reason: null,
      ...auditOrigin(ctx),
      details: {
        permissionSetsBefore: listed(before.permissionSets),
        permissionSets: listed(after.permissionSets),
        wardIdsBefore: listed(before.wardIds),
        wardIds: listed(after.wardIds),
        displayNameChanged: after.displayName !== before.displayName,
      },
    });
  });
  deps.forgetAccess(principalId);
  return after;
}

/**
 * Issues a bearer token for a principal. The token is returned once; only its hash is kept.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param principalId - whose token
 * @param expiresAt - optional expiry
 * @param scopes - optional: the only permissions the token carries (of those its principal holds); null for all
 */
export async function issueToken(
  deps: AppDeps,
  ctx: RequestContext,
  principalId: PrincipalId,
  expiresAt: Date | null,
  scopes: readonly Permission[] | null = null,
): Promise<{ id: string; token: string }> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const principal = await deps.store.principals.get(principalId);
  if (principal === null) throw new DomainError('NOT_FOUND', 'No principal has this id.');
  if (expiresAt !== null && expiresAt.getTime() <= deps.clock.now().getTime()) {
    throw new DomainError('VALIDATION_FAILED', 'expiresAt is in the past.', { issues: [{ pointer: '/body/expiresAt', message: 'must be in the future' }] });
  }
  const token = deps.ids.token();
  const id = deps.ids.uuid();
  await deps.store.transaction(async (tx) => {
    await tx.tokens.insert({ id, principalId, tokenHash: hashToken(token), expiresAt, scopes });
    await tx.audit.append({ actor: auditActorOf(ctx.actor), action: 'token.issued', outcome: 'success', targetType: 'token', targetId: id, patientId: null, reason: null, ...auditOrigin(ctx), details: { principalId, scopes: scopes === null ? null : scopes.join(',') } });
  });
  return { id, token };
}

/**
 * First start: makes sure an administrator principal exists and holds a usable token. The token comes from
 * `WARDLINE_ADMIN_TOKEN`, or is generated once and returned so the caller can print it.
 * @param deps - app dependencies
 * @param configured - the configured admin token, if any
 * @returns the generated token (null when none was generated)
 */
export async function bootstrapAdmin(deps: AppDeps, configured: string | null): Promise<{ generatedToken: string | null }> {
  const adminId = '00000000-0000-4000-8000-000000000001' as PrincipalId;
  return deps.store.transaction(async (tx) => {
    const existing = await tx.principals.get(adminId);
    if (existing === null) {
      await tx.principals.insert({ id: adminId, kind: 'user', username: 'admin', displayName: 'Administrator', permissionSets: ['administrator'], wardIds: [], disabledAt: null, createdBy: null, passwordHash: null });
      await tx.audit.append({ actor: { type: 'system', id: 'wardline' }, action: 'principal.created', outcome: 'success', targetType: 'principal', targetId: adminId, patientId: null, reason: 'bootstrap', requestId: null });
    }
    if (configured !== null) {
      if (!(await tx.tokens.exists(hashToken(configured)))) {
        await tx.tokens.insert({ id: deps.ids.uuid(), principalId: adminId, tokenHash: hashToken(configured), expiresAt: null, scopes: null });
      }
      return { generatedToken: null };
    }
    if (existing !== null) return { generatedToken: null };
    const token = deps.ids.token();
    await tx.tokens.insert({ id: deps.ids.uuid(), principalId: adminId, tokenHash: hashToken(token), expiresAt: null, scopes: null });
    return { generatedToken: token };
  });
}
