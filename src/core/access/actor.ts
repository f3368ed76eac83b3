import type { PrincipalId, WardId } from '../ids.ts';
import { PERMISSION_SETS, type Permission, type PermissionSetName } from './permissions.ts';

/** Kinds of principal that act in Wardline. Patients and the system act too, but never through a token. */
export const PRINCIPAL_KINDS = ['user', 'agent', 'integration'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** An authenticated caller, resolved once per request. */
export interface Actor {
  readonly id: PrincipalId;
  readonly kind: PrincipalKind;
  readonly permissionSets: readonly PermissionSetName[];
  readonly wardIds: readonly WardId[];
}

/** Who an audit event is attributed to. */
export type AuditActor =
  | { readonly type: PrincipalKind; readonly id: PrincipalId }
  | { readonly type: 'patient'; readonly id: string }
  | { readonly type: 'system'; readonly id: 'wardline' };

/** @param actor - the caller @param permission - a permission @returns true if any of the actor's sets grants it */
export function hasPermission(actor: Actor, permission: Permission): boolean {
  return actor.permissionSets.some((name) =>
    (PERMISSION_SETS[name].permissions as readonly Permission[]).includes(permission),
  );
}

/** The patient attributes record-level sharing looks at. */
export interface PatientScope {
  readonly wardId: WardId | null;
}

/**
 * Record-level sharing, default deny: an actor sees a patient only through a set that covers all wards, or
 * through an assignment to the patient's ward. A patient without a ward is visible to all-ward sets only.
 * @param actor - the caller
 * @param patient - the patient's sharing attributes
 */
export function canAccessPatient(actor: Actor, patient: PatientScope): boolean {
  if (actor.permissionSets.some((name) => PERMISSION_SETS[name].allWards)) return true;
  return patient.wardId !== null && actor.wardIds.includes(patient.wardId);
}

/**
 * The one question every handler asks: may this actor do `permission` on this patient?
 * @param actor - the caller
 * @param permission - what it wants to do
 * @param patient - on whom; omitted for actions not tied to a patient
 */
export function isAllowed(actor: Actor, permission: Permission, patient?: PatientScope): boolean {
  if (!hasPermission(actor, permission)) return false;
  return patient === undefined || canAccessPatient(actor, patient);
}

/** @param actor - the caller @returns the audit attribution of the caller */
export function auditActorOf(actor: Actor): AuditActor {
  return { type: actor.kind, id: actor.id };
}
