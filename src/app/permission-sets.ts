import { auditActorOf } from '../core/access/actor.ts';
import { SEEDED_PERMISSION_SETS, SEEDED_PERMISSION_SET_NAMES, type Permission } from '../core/access/permissions.ts';
import { DomainError } from '../core/errors.ts';
import { requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { PermissionSetRecord, Store } from './ports.ts';

/** The seeded sets as records. */
export const SEEDED_PERMISSION_SET_RECORDS: readonly PermissionSetRecord[] = SEEDED_PERMISSION_SET_NAMES.map((name) => ({
  name,
  ...SEEDED_PERMISSION_SETS[name],
  seeded: true,
}));

/**
 * Writes the seeded permission sets at start, so an upgrade that changes them takes effect everywhere at once.
 * @param store - the store
 * @param at - now
 */
export async function ensureSeededPermissionSets(store: Pick<Store, 'permissionSets'>, at: Date): Promise<void> {
  await store.permissionSets.seed(SEEDED_PERMISSION_SET_RECORDS, at);
}

/**
 * Refuses permission-set names that name no set (VALIDATION_FAILED, pointing at the field).
 * @param deps - app dependencies
 * @param names - the names given
 * @param pointer - where they were given (`/body/permissionSets`)
 */
export async function requireKnownPermissionSets(deps: AppDeps, names: readonly string[], pointer: string): Promise<void> {
  const unknown = await deps.store.permissionSets.unknown(names);
  if (unknown.length === 0) return;
  throw new DomainError('VALIDATION_FAILED', `${pointer.split('/').pop() ?? 'permissionSets'} names a permission set that does not exist.`, {
    issues: unknown.map((name) => ({ pointer: `${pointer}/${names.indexOf(name)}`, message: `no permission set is named ${name}` })),
  });
}

/**
 * Every permission set, seeded ones first. Any authenticated principal may read them (they hold no PHI).
 * @param deps - app dependencies
 */
export async function listPermissionSets(deps: AppDeps): Promise<PermissionSetRecord[]> {
  return deps.store.permissionSets.list();
}

export interface PermissionSetCommand {
  readonly label: string;
  readonly permissions: readonly Permission[];
  readonly orgWide: boolean;
}

/**
 * Creates a permission set of the administrator's own.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param name - the set's name (the route checks its form)
 * @param cmd - label, permissions and whether it carries the organisation-wide grant
 */
export async function createPermissionSet(deps: AppDeps, ctx: RequestContext, name: string, cmd: PermissionSetCommand): Promise<PermissionSetRecord> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const record: PermissionSetRecord = { name, label: cmd.label, permissions: [...new Set(cmd.permissions)], orgWide: cmd.orgWide, seeded: false };
  await deps.store.transaction(async (tx) => {
    if (!(await tx.permissionSets.insert({ ...record, createdBy: ctx.actor.id }))) {
      throw new DomainError('CONFLICT', 'A permission set with this name exists.');
    }
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'permission-set.created',
      outcome: 'success',
      targetType: 'permission-set',
      targetId: name,
      patientId: null,
      reason: null,
      ...auditOrigin(ctx),
      details: { permissions: record.permissions.join(','), orgWide: record.orgWide },
    });
  });
  return record;
}

/**
 * Changes a permission set administrators made (seeded sets are fixed: copy one to change it). Holders' access
 * changes at their next request.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `user.admin`
 * @param name - which set
 * @param cmd - its new label, permissions and organisation-wide grant
 */
export async function updatePermissionSet(deps: AppDeps, ctx: RequestContext, name: string, cmd: PermissionSetCommand): Promise<PermissionSetRecord> {
  await requirePermission(deps.store, ctx, 'user.admin');
  const existing = await deps.store.permissionSets.get(name);
  if (existing === null) throw new DomainError('NOT_FOUND', 'No permission set has this name.');
  if (existing.seeded) throw new DomainError('PERMISSION_SET_SEEDED', 'Seeded permission sets cannot be changed; create a set of your own instead.');
  const record: PermissionSetRecord = { name, label: cmd.label, permissions: [...new Set(cmd.permissions)], orgWide: cmd.orgWide, seeded: false };
  await deps.store.transaction(async (tx) => {
    await tx.permissionSets.update(name, record, deps.clock.now());
    await tx.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'permission-set.updated',
      outcome: 'success',
      targetType: 'permission-set',
      targetId: name,
      patientId: null,
      reason: null,
      ...auditOrigin(ctx),
      details: {
        added: record.permissions.filter((p) => !existing.permissions.includes(p)).join(','),
        removed: existing.permissions.filter((p) => !record.permissions.includes(p)).join(','),
        orgWide: record.orgWide,
      },
    });
  });
  deps.forgetAccess();
  return record;
}
