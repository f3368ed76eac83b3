import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import type { PatientId, PrincipalId, WardId } from '../ids.ts';
import {
  accessBasis,
  actorOf,
  canAccessPatient,
  canPlaceInWard,
  effectivePermissions,
  isAllowed,
  visibilityFilter,
  type Actor,
  type PatientScope,
  type Sharing,
} from './actor.ts';
import { PERMISSIONS, SEEDED_PERMISSION_SET_NAMES, SEEDED_PERMISSION_SETS, type Permission } from './permissions.ts';

/**
 * Access control as algebra (issue 5, "Prove it"): more grants never mean less access, no matching rule means deny,
 * token scopes only narrow, and the SQL-side filter says what the record-level check says. Small pools of ward and
 * patient ids make generated actors and patients collide often, so both the granted and the denied paths are hit.
 */

const WARD_POOL = ['w1', 'w2', 'w3', 'w4'] as unknown as readonly WardId[];
const PATIENT_POOL = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'] as unknown as readonly PatientId[];

const permission = fc.constantFrom(...PERMISSIONS);
const permissions = fc.uniqueArray(permission, { maxLength: PERMISSIONS.length });
const wardId = fc.constantFrom(...WARD_POOL);
const patientIdArb = fc.constantFrom(...PATIENT_POOL);
const wardIds = fc.uniqueArray(wardId, { maxLength: WARD_POOL.length });
const patientIds = fc.uniqueArray(patientIdArb, { maxLength: PATIENT_POOL.length });

const sharing: fc.Arbitrary<Sharing> = fc.record({ orgWide: fc.boolean(), wardIds, patientIds, breakGlassPatientIds: patientIds });
const patient: fc.Arbitrary<PatientScope> = fc.record({ id: patientIdArb, wardId: fc.option(wardId, { nil: null }) });

const actorArb: fc.Arbitrary<Actor> = fc.record({
  id: fc.constant('a1' as PrincipalId),
  kind: fc.constantFrom('user', 'agent', 'integration'),
  permissionSets: fc.constant([]),
  permissions,
  sharing,
});

/** A permission set as the database holds it: seeded or made up, with permissions Wardline may no longer know. */
const setDefinition = fc.oneof(
  fc.constantFrom(...SEEDED_PERMISSION_SET_NAMES).map((n) => SEEDED_PERMISSION_SETS[n]),
  fc.record({ orgWide: fc.boolean(), permissions: fc.uniqueArray(fc.oneof(permission, fc.constant('retired.permission')), { maxLength: 8 }) }),
);
const sets = fc.array(setDefinition, { maxLength: 4 });
const scopes = fc.option(fc.uniqueArray(fc.oneof(permission, fc.constant('not.a.permission')), { maxLength: 6 }), { nil: null });

/** Whether `isAllowed` holds for a permission on a patient, or for the action not tied to a patient. */
const query = fc.record({ permission, patient: fc.option(patient, { nil: undefined }) });
const allowed = (a: Actor, q: { permission: Permission; patient: PatientScope | undefined }): boolean => isAllowed(a, q.permission, q.patient);

describe('access control (properties)', () => {
  test.prop([actorArb, permission, query])('adding a permission never removes access', (actor, extra, q) => {
    const more: Actor = { ...actor, permissions: [...new Set([...actor.permissions, extra])] };
    if (allowed(actor, q)) expect(allowed(more, q)).toBe(true);
  });

  test.prop([actorArb, wardId, query])('adding a ward never removes access', (actor, extra, q) => {
    const more: Actor = { ...actor, sharing: { ...actor.sharing, wardIds: [...actor.sharing.wardIds, extra] } };
    if (allowed(actor, q)) expect(allowed(more, q)).toBe(true);
    if (canPlaceInWard(actor, q.patient?.wardId ?? null)) expect(canPlaceInWard(more, q.patient?.wardId ?? null)).toBe(true);
  });

  test.prop([actorArb, patientIdArb, fc.constantFrom('patientIds', 'breakGlassPatientIds'), query])(
    'granting a patient (care team, share or break-glass) never removes access',
    (actor, extra, rule, q) => {
      const more: Actor = { ...actor, sharing: { ...actor.sharing, [rule]: [...actor.sharing[rule], extra] } };
      if (allowed(actor, q)) expect(allowed(more, q)).toBe(true);
    },
  );

  test.prop([actorArb, query])('the organisation-wide grant never removes access', (actor, q) => {
    const more: Actor = { ...actor, sharing: { ...actor.sharing, orgWide: true } };
    if (allowed(actor, q)) expect(allowed(more, q)).toBe(true);
  });

  test.prop([sets, setDefinition, scopes, sharing, query])('adding a permission set never removes access', (held, extra, scope, s, q) => {
    const principal = { id: 'a1' as PrincipalId, kind: 'user' as const, permissionSets: [] };
    const { orgWide: _o, ...rest } = s;
    const before = actorOf(principal, held, rest, scope);
    const after = actorOf(principal, [...held, extra], rest, scope);
    expect(after.permissions).toEqual(expect.arrayContaining([...before.permissions]));
    if (allowed(before, q)) expect(allowed(after, q)).toBe(true);
  });

  test.prop([actorArb, patient, permission])('with no sharing rule matching the patient, access is denied', (actor, p, perm) => {
    // Remove every rule that could match: no organisation-wide grant, not the patient's ward, not the patient.
    const s = actor.sharing;
    const none: Actor = {
      ...actor,
      sharing: {
        orgWide: false,
        wardIds: s.wardIds.filter((w) => w !== p.wardId),
        patientIds: s.patientIds.filter((id) => id !== p.id),
        breakGlassPatientIds: s.breakGlassPatientIds.filter((id) => id !== p.id),
      },
    };
    expect(accessBasis(none, p)).toBeNull();
    expect(canAccessPatient(none, p)).toBe(false);
    expect(isAllowed(none, perm, p)).toBe(false);
  });

  test.prop([actorArb, query])('without the permission, nothing is allowed whatever the sharing', (actor, q) => {
    const without: Actor = { ...actor, permissions: actor.permissions.filter((p) => p !== q.permission) };
    expect(allowed(without, q)).toBe(false);
  });

  test.prop([sets, scopes])('token scopes only narrow: effective permissions with scopes are a subset of those without', (held, scope) => {
    const unscoped = effectivePermissions(held, null);
    const scoped = effectivePermissions(held, scope);
    expect(unscoped).toEqual(expect.arrayContaining(scoped));
    if (scope !== null) for (const p of scoped) expect(scope).toContain(p);
    // Without scopes: exactly the known permissions of the sets, in catalogue order.
    const granted = new Set<string>(held.flatMap((d) => d.permissions));
    expect(unscoped).toEqual(PERMISSIONS.filter((p) => granted.has(p)));
  });

  test.prop([sets, scopes, fc.array(permission, { maxLength: 4 })])('narrowing the scopes further never adds a permission', (held, scope, drop) => {
    if (scope === null) return;
    const narrower = scope.filter((s) => !drop.includes(s as Permission));
    expect(effectivePermissions(held, scope)).toEqual(expect.arrayContaining(effectivePermissions(held, narrower)));
  });

  test.prop([actorArb, fc.array(patient, { minLength: 1, maxLength: 12 })])('visibilityFilter keeps exactly the patients canAccessPatient grants', (actor, patients) => {
    const filter = visibilityFilter(actor);
    expect(filter === null).toBe(actor.sharing.orgWide);
    for (const p of patients) {
      const keptBySql = filter === null || (p.wardId !== null && filter.wardIds.includes(p.wardId)) || filter.patientIds.includes(p.id);
      expect(keptBySql).toBe(canAccessPatient(actor, p));
    }
  });
});
