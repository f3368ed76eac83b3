import { sql, type Kysely } from 'kysely';
import type { Actor } from '../../core/access/actor.ts';
import type { PermissionSetName } from '../../core/access/permissions.ts';
import type { PrincipalId, WardId } from '../../core/ids.ts';
import type { StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/** Principals, their tokens (stored as SHA-256 hashes only) and wards. */
export function createDirectoryRepositories(
  db: Kysely<Database>,
): Pick<StoreSession, 'principals' | 'tokens' | 'wards'> {
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
        if (r === undefined) return null;
        return {
          id: r.id as PrincipalId,
          kind: r.kind,
          username: r.username,
          displayName: r.display_name,
          permissionSets: r.permission_sets as PermissionSetName[],
          wardIds: r.ward_ids as WardId[],
          disabledAt: r.disabled_at,
        };
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
          .values({ id: t.id, principal_id: t.principalId, token_hash: t.tokenHash, expires_at: t.expiresAt })
          .execute();
      },
      async resolve(tokenHash, now) {
        const r = await db
          .selectFrom('api_token as t')
          .innerJoin('principal as p', 'p.id', 't.principal_id')
          .select(['p.id', 'p.kind', 'p.permission_sets', 'p.ward_ids', 't.expires_at'])
          .where('t.token_hash', '=', tokenHash)
          .where('t.revoked_at', 'is', null)
          .where('p.disabled_at', 'is', null)
          .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
          .executeTakeFirst();
        if (r === undefined) return null;
        const actor: Actor = {
          id: r.id as PrincipalId,
          kind: r.kind,
          permissionSets: r.permission_sets as PermissionSetName[],
          wardIds: r.ward_ids as WardId[],
        };
        return { actor, expiresAt: r.expires_at };
      },
      async exists(tokenHash) {
        const r = await db.selectFrom('api_token').select('id').where('token_hash', '=', tokenHash).executeTakeFirst();
        return r !== undefined;
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
