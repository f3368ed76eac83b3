import { sql, type Kysely } from 'kysely';
import type { VisibilityFilter } from '../../core/access/actor.ts';
import type { StoreSession } from '../../app/ports.ts';
import type { Database } from './schema.ts';

/**
 * Row-level security for staff reads (migration 0009, docs/decisions/0013-row-level-security.md). The connecting
 * role owns the tables (or is a superuser), and owners and superusers bypass RLS; so a staff read switches, for its
 * transaction only, to the NOLOGIN role `wardline_viewer`, which holds SELECT on the tables staff reads touch and
 * nothing else, and is admitted by the policies only to the rows the request's visibility names.
 */
export const VIEWER_ROLE = 'wardline_viewer';

/** A PostgreSQL array literal of ids (uuids only, so nothing needs quoting; a malformed one fails the cast). */
const idArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;

/**
 * One statement, one round trip: the role and the visibility, local to the current transaction (`is_local`), so
 * a pooled connection carries nothing into its next use, even when the transaction fails.
 * @param db - a transaction
 * @param visibility - the caller's visibility; null is organisation-wide
 */
async function enterScope(db: Kysely<Database>, visibility: VisibilityFilter | null): Promise<void> {
  await sql`SELECT set_config('role', ${VIEWER_ROLE}, true),
    set_config('wardline.org_wide', ${visibility === null ? 'on' : 'off'}, true),
    set_config('wardline.ward_ids', ${idArray(visibility?.wardIds ?? [])}, true),
    set_config('wardline.patient_ids', ${idArray(visibility?.patientIds ?? [])}, true)`.execute(db);
}

/** Back to the connecting role, within a transaction that goes on (system work may follow the reads). */
async function leaveScope(db: Kysely<Database>): Promise<void> {
  await sql`SELECT set_config('role', 'none', true), set_config('wardline.org_wide', '', true),
    set_config('wardline.ward_ids', '', true), set_config('wardline.patient_ids', '', true)`.execute(db);
}

/** A session already in a viewer scope: a nested call stays in it (it can neither widen nor end it early). */
function inScope(session: StoreSession): StoreSession {
  const scoped: StoreSession = { ...session, asViewer: (_visibility, fn) => fn(scoped) };
  return scoped;
}

/**
 * Runs `fn` on a transaction scoped to the viewer role and `visibility`. Outside a transaction it opens one (BEGIN,
 * one `set_config` statement, the reads, COMMIT); inside one it scopes `fn` and then returns the transaction to the
 * connecting role, since system work may follow.
 * @param db - the database, or a transaction
 * @param visibility - the caller's visibility; null is organisation-wide
 * @param fn - the reads, on the scoped transaction
 */
export async function inViewerScope<T>(db: Kysely<Database>, visibility: VisibilityFilter | null, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) {
    return db.transaction().execute(async (trx) => {
      await enterScope(trx, visibility);
      return fn(trx);
    });
  }
  await enterScope(db, visibility);
  let result: T;
  try {
    result = await fn(db);
  } catch (error) {
    // A failed statement aborts the transaction (its rollback ends the scope); anything else leaves it usable.
    await leaveScope(db).catch(() => undefined);
    throw error;
  }
  await leaveScope(db);
  return result;
}

/**
 * Builds a session's `asViewer` (the `StoreSession` port).
 * @param db - the database, or the transaction the session is bound to
 * @param sessionOf - builds the session `fn` runs on, bound to the scoped transaction
 */
export function viewerScope(db: Kysely<Database>, sessionOf: (trx: Kysely<Database>) => StoreSession): StoreSession['asViewer'] {
  return (visibility, fn) => inViewerScope(db, visibility, (trx) => fn(inScope(sessionOf(trx))));
}
