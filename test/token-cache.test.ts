import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/app/directory.ts';
import { givenUser } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

describe.each(DATABASES)('bearer-token look-up cache (%s)', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(database);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A clock the test moves by hand, over the real store. */
  function authenticatorAt(start: number, ttlMs: number) {
    const clock = { t: start, now: () => new Date(clock.t) };
    return { clock, authenticate: createAuthenticator({ store: h.container.deps.store, clock }, { ttlMs, maxEntries: 100 }) };
  }

  async function revoke(principalId: string): Promise<void> {
    await h.container.database.db.updateTable('api_token').set({ revoked_at: new Date() }).where('principal_id', '=', principalId).execute();
  }

  it('refuses a revoked token once the cache lifetime has passed, never later', async () => {
    const user = await givenUser(h, { username: 'cache.one', permissionSets: ['nurse'], wardIds: [] });
    const token = user.headers.authorization.slice('Bearer '.length);
    const { clock, authenticate } = authenticatorAt(Date.now(), 5_000);
    expect((await authenticate(token))?.id).toBe(user.id);
    await revoke(user.id);
    expect((await authenticate(token))?.id).toBe(user.id); // within the documented 5 s window
    clock.t += 5_001;
    expect(await authenticate(token)).toBeNull();
  });

  it('never serves a token past its own expiry from the cache', async () => {
    const user = await givenUser(h, { username: 'cache.two', permissionSets: ['nurse'], wardIds: [] });
    const expiresAt = new Date(Date.now() + 60_000);
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.admin, payload: { principalId: user.id, expiresAt: expiresAt.toISOString() } });
    const token = issued.json<{ token: string }>().token;
    const { clock, authenticate } = authenticatorAt(expiresAt.getTime() - 1_000, 30_000);
    expect((await authenticate(token))?.id).toBe(user.id);
    clock.t = expiresAt.getTime() + 1;
    expect(await authenticate(token)).toBeNull();
  });

  it('with a lifetime of 0 checks the database on every call', async () => {
    const user = await givenUser(h, { username: 'cache.three', permissionSets: ['nurse'], wardIds: [] });
    const token = user.headers.authorization.slice('Bearer '.length);
    const { authenticate } = authenticatorAt(Date.now(), 0);
    expect((await authenticate(token))?.id).toBe(user.id);
    await revoke(user.id);
    expect(await authenticate(token)).toBeNull();
  });
});
