import { sql, type Kysely, type Selectable } from 'kysely';
import { isPermission } from '../../core/access/permissions.ts';
import type { PrincipalId, WardId } from '../../core/ids.ts';
import type { PermissionSetRecord, PrincipalRecord, StoreSession } from '../../app/ports.ts';
import { loadActor } from './access.repository.ts';
import type { Database, PermissionSetTable, PrincipalTable } from './schema.ts';

function permissionSetOf(r: Selectable<PermissionSetTable>): PermissionSetRecord {
  return { name: r.name, label: r.label, permissions: r.permissions.filter(isPermission), orgWide: r.org_wide, seeded: r.seeded };
}

function principalOf(r: Selectable<PrincipalTable>): PrincipalRecord {
  return {
    id: r.id as PrincipalId,
    kind: r.kind,
    username: r.username,
    displayName: r.display_name,
    permissionSets: r.permission_sets,
    wardIds: r.ward_ids as WardId[],
    disabledAt: r.disabled_at,
  };
}

/** Principals, their tokens (stored as SHA-256 hashes only), permission sets and wards. */
export function createDirectoryRepositories(
  db: Kysely<Database>,
): Pick<StoreSession, 'principals' | 'tokens' | 'permissionSets' | 'wards'> {
  return {
    principals: {
      async insert(p) {
        await db
          .insertInto('principal')
          .values({
            id: p.id,
            kind: p.kind,
            username: p.username,
            display_name: p.displayName,
            password_hash: p.passwordHash,
            permission_sets: [...p.permissionSets],
            ward_ids: [...p.wardIds],
            created_by: p.createdBy,
          })
          .execute();
      },
      async get(id) {
        const r = await db.selectFrom('principal').selectAll().where('id', '=', id).executeTakeFirst();
        return r === undefined ? null : principalOf(r);
      },
      async list(kind, limit) {
        const rows = await db.selectFrom('principal').selectAll().where('kind', '=', kind).orderBy('display_name').orderBy('id').limit(limit).execute();
        return rows.map(principalOf);
      },
      async update(id, change) {
        const r = await db
          .updateTable('principal')
          .set({
            ...(change.displayName === undefined ? {} : { display_name: change.displayName }),
            ...(change.permissionSets === undefined ? {} : { permission_sets: [...change.permissionSets] }),
            ...(change.wardIds === undefined ? {} : { ward_ids: [...change.wardIds] }),
          })
          .where('id', '=', id)
          .executeTakeFirst();
        return r.numUpdatedRows > 0n;
      },
      async usernameTaken(username) {
        const r = await db.selectFrom('principal').select('id').where('username', '=', username).executeTakeFirst();
        return r !== undefined;
      },
    },
    tokens: {
      async insert(t) {
        await db
          .insertInto('api_token')
          .values({ id: t.id, principal_id: t.principalId, token_hash: t.tokenHash, expires_at: t.expiresAt, scopes: t.scopes === null ? null : [...t.scopes] })
          .execute();
      },
      async resolve(tokenHash, now) {
        const r = await db
          .selectFrom('api_token as t')
          .innerJoin('principal as p', 'p.id', 't.principal_id')
          .select(['t.principal_id', 't.scopes', 't.expires_at'])
          .where('t.token_hash', '=', tokenHash)
          .where('t.revoked_at', 'is', null)
          .where('p.disabled_at', 'is', null)
          .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
          .executeTakeFirst();
        if (r === undefined) return null;
        const actor = await loadActor(db, r.principal_id as PrincipalId, now, r.scopes);
        return actor === null ? null : { actor, expiresAt: r.expires_at };
      },
      async exists(tokenHash) {
        const r = await db.selectFrom('api_token').select('id').where('token_hash', '=', tokenHash).executeTakeFirst();
        return r !== undefined;
      },
    },
    permissionSets: {
      async list() {
        const rows = await db.selectFrom('permission_set').selectAll().orderBy('seeded', 'desc').orderBy('name').execute();
        return rows.map(permissionSetOf);
      },
      async get(name) {
        const r = await db.selectFrom('permission_set').selectAll().where('name', '=', name).executeTakeFirst();
        return r === undefined ? null : permissionSetOf(r);
      },
      async unknown(names) {
        if (names.length === 0) return [];
        const rows = await db.selectFrom('permission_set').select('name').where('name', 'in', [...names]).execute();
        const known = new Set(rows.map((r) => r.name));
        return names.filter((n) => !known.has(n));
      },
      async insert(s) {
        const r = await db
          .insertInto('permission_set')
          .values({ name: s.name, label: s.label, permissions: [...s.permissions], org_wide: s.orgWide, seeded: false, created_by: s.createdBy, updated_at: new Date() })
          .onConflict((oc) => oc.column('name').doNothing())
          .executeTakeFirst();
        return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
      },
      async update(name, change, at) {
        const r = await db
          .updateTable('permission_set')
          .set({ label: change.label, permissions: [...change.permissions], org_wide: change.orgWide, updated_at: at })
          .where('name', '=', name)
          .where('seeded', '=', false)
          .executeTakeFirst();
        return r.numUpdatedRows > 0n;
      },
      async seed(sets, at) {
        for (const s of sets) {
          await db
            .insertInto('permission_set')
            .values({ name: s.name, label: s.label, permissions: [...s.permissions], org_wide: s.orgWide, seeded: true, updated_at: at })
            .onConflict((oc) =>
              oc.column('name').doUpdateSet({ label: s.label, permissions: [...s.permissions], org_wide: s.orgWide, seeded: true, updated_at: at }),
            )
            .execute();
        }
      },
    },
    wards: {
      async insert(w) {
        await db.insertInto('ward').values({ id: w.id, name: w.name }).execute();
      },
      async exists(id) {
        const r = await db.selectFrom('ward').select('id').where('id', '=', id).executeTakeFirst();
        return r !== undefined;
      },
      async nameTaken(name) {
        const r = await db
          .selectFrom('ward')
          .select('id')
          .where(sql<string>`lower(name)`, '=', name.toLowerCase())
          .executeTakeFirst();
        return r !== undefined;
      },
    },
  };
}
