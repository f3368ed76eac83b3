import type { PatientId, PrincipalId, WardId } from '../ids.ts';
import { CATEGORIES } from '../messaging/channel.ts';
import { PERMISSIONS, sendPermission, type Permission } from './permissions.ts';

/** Kinds of principal that act in Wardline. Patients and the system act too, but never through a token. */
export const PRINCIPAL_KINDS = ['user', 'agent', 'integration'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/**
 * Which patients an actor may see, resolved from the sharing rules at each request. Default deny: a patient is
 * visible only through one of these.
 */
export interface Sharing {
  /** The organisation-wide grant (carried by a permission set): every patient. */
  readonly orgWide: boolean;
  /** Same ward: patients whose ward is one of these. */
  readonly wardIds: readonly WardId[];
  /** Care teams the actor is on and explicit shares to it (unexpired, unrevoked). */
  readonly patientIds: readonly PatientId[];
  /** Break-glass accesses still open; every use is flagged in the audit trail. */
  readonly breakGlassPatientIds: readonly PatientId[];
}

/** An authenticated caller, resolved once per request. */
export interface Actor {
  readonly id: PrincipalId;
  readonly kind: PrincipalKind;
  /** The names of its permission sets (for display and audit). */
  readonly permissionSets: readonly string[];
  /** The effective permissions: the union of its sets, narrowed by the token's scopes when it has any. */
  readonly permissions: readonly Permission[];
  readonly sharing: Sharing;
}

/** Who an audit event is attributed to. */
export type AuditActor =
  | { readonly type: PrincipalKind; readonly id: PrincipalId }
  | { readonly type: 'patient'; readonly id: string }
  /** A carrier's callback (its provider name): status reports, refused webhooks. */
  | { readonly type: 'carrier'; readonly id: string }
  | { readonly type: 'system'; readonly id: 'wardline' };

export const NO_SHARING: Sharing = { orgWide: false, wardIds: [], patientIds: [], breakGlassPatientIds: [] };

/**
 * The effective permissions of a principal: the union of its sets, intersected with the token's scopes when the
 * token carries any. Permissions a set names but Wardline no longer knows are dropped.
 * @param sets - the definitions of the principal's permission sets
 * @param scopes - the token's scopes, or null (a session, or an unscoped token)
 */
export function effectivePermissions(sets: readonly { readonly permissions: readonly string[] }[], scopes: readonly string[] | null): Permission[] {
  const granted = new Set<string>(sets.flatMap((s) => s.permissions));
  return PERMISSIONS.filter((p) => granted.has(p) && (scopes === null || scopes.includes(p)));
}

/**
 * Builds an actor from what the directory holds about a principal.
 * @param principal - who, of which kind, holding which sets
 * @param sets - the definitions of those sets (unknown names are simply absent)
 * @param sharing - the wards and individually granted patients, without the organisation-wide grant
 * @param scopes - the token's scopes, or null
 */
export function actorOf(
  principal: { readonly id: PrincipalId; readonly kind: PrincipalKind; readonly permissionSets: readonly string[] },
  sets: readonly { readonly permissions: readonly string[]; readonly orgWide: boolean }[],
  sharing: Omit<Sharing, 'orgWide'>,
  scopes: readonly string[] | null,
): Actor {
  return {
    id: principal.id,
    kind: principal.kind,
    permissionSets: principal.permissionSets,
    permissions: effectivePermissions(sets, scopes),
    sharing: { ...sharing, orgWide: sets.some((s) => s.orgWide) },
  };
}

/** @param actor - the caller @param permission - a permission @returns true if the actor holds it */
export function hasPermission(actor: Actor, permission: Permission): boolean {
  return actor.permissions.includes(permission);
}

/** @param actor - the caller @returns true if it may send in at least one message category */
export function sendsInSomeCategory(actor: Actor): boolean {
  return CATEGORIES.some((c) => hasPermission(actor, sendPermission(c)));
}

/** The patient attributes record-level sharing looks at. */
export interface PatientScope {
  readonly id: PatientId;
  readonly wardId: WardId | null;
}

/** Why an actor may see a patient; `breakglass` is the only basis that is flagged on every use. */
export type AccessBasis = 'org_wide' | 'ward' | 'granted' | 'breakglass';

/**
 * Record-level sharing, default deny: the first rule that grants the patient, or null when none does.
 * @param actor - the caller
 * @param patient - the patient's sharing attributes
 */
export function accessBasis(actor: Actor, patient: PatientScope): AccessBasis | null {
  const s = actor.sharing;
  if (s.orgWide) return 'org_wide';
  if (patient.wardId !== null && s.wardIds.includes(patient.wardId)) return 'ward';
  if (s.patientIds.includes(patient.id)) return 'granted';
  if (s.breakGlassPatientIds.includes(patient.id)) return 'breakglass';
  return null;
}

/** @param actor - the caller @param patient - the patient @returns true when a sharing rule grants the patient */
export function canAccessPatient(actor: Actor, patient: PatientScope): boolean {
  return accessBasis(actor, patient) !== null;
}

/**
 * Whether an actor may place a new patient in a ward (or leave it without one): only an organisation-wide grant
 * or an assignment to that ward allows it, since individual grants name existing patients.
 * @param actor - the caller
 * @param wardId - the new patient's ward
 */
export function canPlaceInWard(actor: Actor, wardId: WardId | null): boolean {
  return actor.sharing.orgWide || (wardId !== null && actor.sharing.wardIds.includes(wardId));
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

/** What a list query must keep: everything (null), or rows in these wards or of these patients. */
export interface VisibilityFilter {
  readonly wardIds: readonly WardId[];
  readonly patientIds: readonly PatientId[];
}

/** @param actor - the caller @returns the SQL-side form of its sharing rules, or null when it sees every patient */
export function visibilityFilter(actor: Actor): VisibilityFilter | null {
  const s = actor.sharing;
  if (s.orgWide) return null;
  return { wardIds: s.wardIds, patientIds: [...new Set([...s.patientIds, ...s.breakGlassPatientIds])] };
}

/** @param actor - the caller @returns the audit attribution of the caller */
export function auditActorOf(actor: Pick<Actor, 'id' | 'kind'>): AuditActor {
  return { type: actor.kind, id: actor.id };
}
