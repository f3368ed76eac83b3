import { sql, type Kysely } from 'kysely';
import type { PrincipalId } from '../../core/ids.ts';
import { phi, reveal } from '../../core/phi/phi.ts';
import type { LocalCredentials, SignInStore, SignInSubject } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { loadActor } from './access.repository.ts';
import type { Database } from './schema.ts';

/** Failure rows whose window ended this long ago count for nothing: pruned as we go. */
const PRUNE_AFTER_MS = 24 * 3_600_000;

function subjectKey(cipher: FieldCipher, subject: SignInSubject): string {
  return subject.kind === 'username'
    ? `user:${cipher.blindIndex(phi(`sign-in-user:${subject.username.toLowerCase()}`))}`
    : `address:${cipher.blindIndex(phi(`client-address:${reveal(subject.address)}`))}`;
}

/**
 * Staff sessions (stored as SHA-256 of the cookie secret only), local credentials with the TOTP secrets encrypted by
 * the field cipher, failed sign-in counters keyed by digests, and single sign-on identities.
 * @param db - the database or a transaction
 * @param cipher - field encryption (TOTP secrets) and blind indexes (counter subjects)
 */
export function createSignInRepository(db: Kysely<Database>, cipher: FieldCipher): SignInStore {
  function credentialsQuery() {
    return db
      .selectFrom('principal as p')
      .leftJoin('principal_credential as c', 'c.principal_id', 'p.id')
      .select(['p.id', 'p.kind', 'p.permission_sets', 'p.username', 'p.display_name', 'p.disabled_at', 'p.password_hash', 'c.mfa_required', 'c.totp_secret_enc', 'c.totp_pending_enc', 'c.totp_last_step']);
  }
  type CredRow = NonNullable<Awaited<ReturnType<ReturnType<typeof credentialsQuery>['executeTakeFirst']>>>;
  function credentialsOf(r: CredRow | undefined): LocalCredentials | null {
    if (r === undefined || r.username === null) return null;
    return {
      actor: { id: r.id as PrincipalId, kind: r.kind, permissionSets: r.permission_sets },
      username: r.username,
      displayName: r.display_name,
      disabled: r.disabled_at !== null,
      passwordHash: r.password_hash,
      mfaRequired: r.mfa_required === true,
      totpSecret: r.totp_secret_enc === null ? null : cipher.decrypt(r.totp_secret_enc),
      totpPendingSecret: r.totp_pending_enc === null ? null : cipher.decrypt(r.totp_pending_enc),
      totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    };
  }
  async function upsertCredential(principalId: PrincipalId, values: { mfa_required?: boolean; totp_pending_enc?: string | null }): Promise<void> {
    await db
      .insertInto('principal_credential')
      .values({ principal_id: principalId, ...values })
      .onConflict((oc) => oc.column('principal_id').doUpdateSet(values))
      .execute();
  }

  return {
    async credentialsByUsername(username) {
      return credentialsOf(await credentialsQuery().where('p.username', '=', username).where('p.kind', '=', 'user').executeTakeFirst());
    },
    async credentialsOf(principalId) {
      return credentialsOf(await credentialsQuery().where('p.id', '=', principalId).executeTakeFirst());
    },
    async setPassword(principalId, passwordHash) {
      await db.updateTable('principal').set({ password_hash: passwordHash }).where('id', '=', principalId).execute();
    },
    async setMfaRequired(principalId, required) {
      await upsertCredential(principalId, { mfa_required: required });
    },
    async setPendingTotp(principalId, secret) {
      await upsertCredential(principalId, { totp_pending_enc: secret === null ? null : cipher.encrypt(secret) });
    },
    async activateTotp(principalId, step, at) {
      await db
        .updateTable('principal_credential')
        .set({ totp_secret_enc: sql<string>`totp_pending_enc`, totp_pending_enc: null, totp_last_step: step, totp_enrolled_at: at })
        .where('principal_id', '=', principalId)
        .where('totp_pending_enc', 'is not', null)
        .execute();
    },
    async clearTotp(principalId) {
      const r = await db
        .updateTable('principal_credential')
        .set({ totp_secret_enc: null, totp_pending_enc: null, totp_last_step: null, totp_enrolled_at: null })
        .where('principal_id', '=', principalId)
        .where((eb) => eb.or([eb('totp_secret_enc', 'is not', null), eb('totp_pending_enc', 'is not', null)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async acceptTotpStep(principalId, step) {
      const r = await db
        .updateTable('principal_credential')
        .set({ totp_last_step: step })
        .where('principal_id', '=', principalId)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async failures(subject) {
      const r = await db.selectFrom('sign_in_failure').selectAll().where('subject', '=', subjectKey(cipher, subject)).forUpdate().executeTakeFirst();
      return r === undefined ? null : { startedAt: r.window_started_at, failures: r.failures, lockedUntil: r.locked_until };
    },
    async putFailures(subject, state) {
      await db.deleteFrom('sign_in_failure').where('window_started_at', '<', new Date(state.startedAt.getTime() - PRUNE_AFTER_MS)).where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', state.startedAt)])).execute();
      const values = { window_started_at: state.startedAt, failures: state.failures, locked_until: state.lockedUntil };
      await db
        .insertInto('sign_in_failure')
        .values({ subject: subjectKey(cipher, subject), ...values })
        .onConflict((oc) => oc.column('subject').doUpdateSet(values))
        .execute();
    },
    async clearFailures(subject) {
      await db.deleteFrom('sign_in_failure').where('subject', '=', subjectKey(cipher, subject)).execute();
    },
    async insertSession(s) {
      await db
        .insertInto('staff_session')
        .values({
          id: s.id,
          principal_id: s.principalId,
          secret_hash: s.secretHash,
          method: s.method,
          mfa: s.mfa,
          enrolment_only: s.enrolmentOnly,
          created_at: s.createdAt,
          last_seen_at: s.createdAt,
          idle_ms: s.idleMs,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    async sessionBySecretHash(secretHash, now) {
      const r = await db
        .selectFrom('staff_session as s')
        .innerJoin('principal as p', 'p.id', 's.principal_id')
        .select(['s.id as session_id', 's.method', 's.mfa', 's.enrolment_only', 's.created_at', 's.last_seen_at', 's.idle_ms', 's.expires_at', 's.ended_at', 's.end_reason'])
        .select(['p.id', 'p.username', 'p.display_name', 'p.disabled_at'])
        .where('s.secret_hash', '=', secretHash)
        .executeTakeFirst();
      if (r === undefined) return null;
      const actor = await loadActor(db, r.id as PrincipalId, now, null);
      if (actor === null) return null;
      return {
        id: r.session_id,
        principalId: r.id as PrincipalId,
        actor,
        username: r.username,
        displayName: r.display_name,
        principalDisabled: r.disabled_at !== null,
        method: r.method,
        mfa: r.mfa,
        enrolmentOnly: r.enrolment_only,
        createdAt: r.created_at,
        lastSeenAt: r.last_seen_at,
        idleMs: r.idle_ms,
        expiresAt: r.expires_at,
        endedAt: r.ended_at,
        endReason: r.end_reason,
      };
    },
    async touchSession(id, at) {
      await db.updateTable('staff_session').set({ last_seen_at: at }).where('id', '=', id).where('ended_at', 'is', null).where('last_seen_at', '<', at).execute();
    },
    async endSession(id, at, reason) {
      const r = await db.updateTable('staff_session').set({ ended_at: at, end_reason: reason }).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async endSessionsOf(principalId, at, reason) {
      const r = await db.updateTable('staff_session').set({ ended_at: at, end_reason: reason }).where('principal_id', '=', principalId).where('ended_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async deactivate(principalId, at) {
      const p = await db.updateTable('principal').set({ disabled_at: at }).where('id', '=', principalId).where('disabled_at', 'is', null).executeTakeFirst();
      const t = await db.updateTable('api_token').set({ revoked_at: at }).where('principal_id', '=', principalId).where('revoked_at', 'is', null).executeTakeFirst();
      return { deactivated: Number(p.numUpdatedRows) === 1, tokensRevoked: Number(t.numUpdatedRows) };
    },
    async revokeToken(id, at) {
      const r = await db.updateTable('api_token').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returning('principal_id').executeTakeFirst();
      return r === undefined ? null : (r.principal_id as PrincipalId);
    },
    async identity(issuer, subject) {
      const r = await db.selectFrom('principal_identity').select('principal_id').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
      return r === undefined ? null : (r.principal_id as PrincipalId);
    },
    async linkIdentity(issuer, subject, principalId) {
      const r = await db.insertInto('principal_identity').values({ issuer, subject, principal_id: principalId }).onConflict((oc) => oc.doNothing()).returning('principal_id').executeTakeFirst();
      return r !== undefined;
    },
  };
}
