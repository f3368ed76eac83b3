import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED_PERMISSION_SET_NAMES, SEEDED_PERMISSION_SETS, viewPermission, type SeededPermissionSetName } from '../src/core/access/permissions.ts';
import { CATEGORIES, type Category } from '../src/core/messaging/channel.ts';
import { givenPatient, givenUser, givenWard, grantConsent, sendMessage, type Headers } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * Access changes through the API, as properties on the real database (issue 5, "Prove it"): removing a user from a
 * ward takes that ward away at the very next request (the token cache is on, at its default), and granting a
 * permission set never hides a message that was visible. Every run creates a fresh user; the data is created once.
 */

const WARD_NAMES = ['North', 'South', 'East'] as const;
type WardName = (typeof WARD_NAMES)[number];

/** Sets whose holders see only their wards and some message category: ward membership decides what they see. */
const WARD_BOUND = SEEDED_PERMISSION_SET_NAMES.filter((n) => !SEEDED_PERMISSION_SETS[n].orgWide && CATEGORIES.some((c) => (SEEDED_PERMISSION_SETS[n].permissions as readonly string[]).includes(viewPermission(c))));

const viewable = (sets: readonly SeededPermissionSetName[]): Category[] =>
  CATEGORIES.filter((c) => sets.some((s) => (SEEDED_PERMISSION_SETS[s].permissions as readonly string[]).includes(viewPermission(c))));
const orgWide = (sets: readonly SeededPermissionSetName[]): boolean => sets.some((s) => SEEDED_PERMISSION_SETS[s].orgWide);

describe.each(DATABASES)('access changes through the API (properties, %s)', (database) => {
  let h: Harness;
  const ward = {} as Record<WardName, string>;
  const patient = {} as Record<WardName, string>;
  /** Message id → [ward, category]. */
  const messages = new Map<string, [WardName, Category]>();
  let users = 0;

  beforeAll(async () => {
    h = await createHarness(database);
    for (const name of WARD_NAMES) {
      ward[name] = await givenWard(h, `Ward ${name}`);
      patient[name] = (await givenPatient(h, { wardId: ward[name], consent: ['sms'] })).id;
      expect((await grantConsent(h, patient[name], 'sms', 'intake_form', 'billing')).statusCode).toBe(201);
      for (const c of CATEGORIES) {
        const sent = await sendMessage(h, { patientId: patient[name], category: c, body: 'Please call the clinic about your next visit.' });
        expect(sent.statusCode).toBe(202);
        messages.set(sent.json<{ id: string }>().id, [name, c]);
      }
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The message ids the caller lists (none when it may list nothing). */
  async function visible(headers: Headers): Promise<string[]> {
    const res = await h.app.inject({ method: 'GET', url: '/v1/messages?limit=500', headers });
    if (res.statusCode === 403) return [];
    expect(res.statusCode).toBe(200);
    return res.json<{ items: { id: string }[] }>().items.map((i) => i.id).sort();
  }

  /** What the model says the holder of `sets` in `wards` lists. */
  function expected(sets: readonly SeededPermissionSetName[], wards: readonly WardName[]): string[] {
    const cats = viewable(sets);
    return [...messages].filter(([, [wd, c]]) => cats.includes(c) && (orgWide(sets) || wards.includes(wd))).map(([id]) => id).sort();
  }

  const patientStatus = async (headers: Headers, wd: WardName): Promise<number> => (await h.app.inject({ method: 'GET', url: `/v1/patients/${patient[wd]}`, headers })).statusCode;

  const wardSubset = fc.uniqueArray(fc.constantFrom(...WARD_NAMES), { minLength: 1, maxLength: WARD_NAMES.length });

  it('removing a user from a ward removes access at the very next request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WARD_BOUND), wardSubset, fc.nat(), async (set, wards, pick) => {
        const removed = wards[pick % wards.length] as WardName;
        users += 1;
        const user = await givenUser(h, { username: `ward.prop.${String(users)}`, permissionSets: [set], wardIds: wards.map((wd) => ward[wd]) });
        // Warm the token cache: the removed ward is visible before the change.
        expect(await patientStatus(user.headers, removed)).toBe(200);
        expect(await visible(user.headers)).toEqual(expected([set], wards));
        const remaining = wards.filter((wd) => wd !== removed);
        const patched = await h.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: h.admin, payload: { wardIds: remaining.map((wd) => ward[wd]) } });
        expect(patched.statusCode).toBe(200);
        // The very next request: the patient is gone (404, like an unknown id) and so are the ward's messages.
        expect(await patientStatus(user.headers, removed)).toBe(404);
        const after = await visible(user.headers);
        expect(after).toEqual(expected([set], remaining));
        for (const id of after) expect(messages.get(id)?.[0]).not.toBe(removed);
        for (const wd of remaining) expect(await patientStatus(user.headers, wd)).toBe(200);
      }),
      { numRuns: 20 },
    );
  });

  it('granting a permission set never removes a visible message (or patient)', async () => {
    const sets = fc.uniqueArray(fc.constantFrom(...SEEDED_PERMISSION_SET_NAMES), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(sets, fc.constantFrom(...SEEDED_PERMISSION_SET_NAMES), wardSubset, async (held, extra, wards) => {
        users += 1;
        const user = await givenUser(h, { username: `grant.prop.${String(users)}`, permissionSets: [...held], wardIds: wards.map((wd) => ward[wd]) });
        const before = await visible(user.headers);
        expect(before).toEqual(expected(held, wards));
        const patientsBefore = await Promise.all(WARD_NAMES.map((wd) => patientStatus(user.headers, wd)));
        const granted = [...new Set([...held, extra])];
        const patched = await h.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: h.admin, payload: { permissionSets: granted } });
        expect(patched.statusCode).toBe(200);
        const after = await visible(user.headers);
        expect(after).toEqual(expect.arrayContaining(before));
        expect(after).toEqual(expected(granted, wards));
        const patientsAfter = await Promise.all(WARD_NAMES.map((wd) => patientStatus(user.headers, wd)));
        patientsBefore.forEach((status, i) => {
          if (status === 200) expect(patientsAfter[i]).toBe(200);
        });
      }),
      { numRuns: 20 },
    );
  });
});
