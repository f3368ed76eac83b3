import { auditActorOf, canAccessPatient, sendsInSomeCategory } from '../core/access/actor.ts';
import { DomainError, type FieldIssue } from '../core/errors.ts';
import type { E164, PatientId, WardId } from '../core/ids.ts';
import { PHONE_PROBLEM_TEXT, parsePhone } from '../core/patients/phone-number.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { loadAccessiblePatient, requirePermission, requireWardPlacement } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { NewPatient, PatientRecord, StoreSession } from './ports.ts';

export interface CreatePatientCommand {
  readonly givenName: Phi<string>;
  readonly familyName: Phi<string>;
  readonly birthDate: Phi<string>;
  readonly phone: Phi<string>;
  readonly whatsapp?: Phi<string> | undefined;
  readonly language?: string | undefined;
  readonly timezone?: string | undefined;
  readonly wardId?: string | undefined;
  readonly externalIds?: Phi<Record<string, string>> | undefined;
}

/**
 * Parses the phone numbers of a new patient into E.164; collects every problem with its JSON pointer.
 * @param deps - for the default region
 * @param cmd - the patient as submitted
 * @param pointerPrefix - where the fields sit in the request (e.g. '/body')
 */
export function parseContactPoints(
  deps: Pick<AppDeps, 'settings'>,
  cmd: Pick<CreatePatientCommand, 'phone' | 'whatsapp'>,
  pointerPrefix: string,
): { phone: Phi<E164>; whatsapp: Phi<E164> | null } {
  const issues: FieldIssue[] = [];
  const parseOne = (value: Phi<string>, field: string): Phi<E164> | null => {
    const result = parsePhone(reveal(value), deps.settings.defaultRegion);
    if (result.ok) return phi(result.e164);
    issues.push({ pointer: `${pointerPrefix}/${field}`, message: `${field} ${PHONE_PROBLEM_TEXT[result.problem]}` });
    return null;
  };
  const phone = parseOne(cmd.phone, 'phone');
  const whatsapp = cmd.whatsapp === undefined ? null : parseOne(cmd.whatsapp, 'whatsapp');
  if (phone === null || issues.length > 0) {
    throw new DomainError('INVALID_PHONE_NUMBER', issues.map((i) => i.message).join('; '), { issues });
  }
  return { phone, whatsapp };
}

/** A patient whose fields are already checked: phones in E.164, the ward known to exist and visible to the caller. */
export type ValidatedPatient = Omit<NewPatient, 'id' | 'createdBy'>;

/**
 * Inserts an already validated patient and audits `patient.created`, inside the caller's transaction.
 * Checks nothing: callers (createPatient, the CSV import) validate and check permission first.
 * @param tx - the transaction session to write in
 * @param ctx - the caller, recorded as creator and audit actor
 * @param id - the new patient's id
 * @param patient - the validated patient
 */
export async function insertPatient(
  tx: StoreSession,
  ctx: RequestContext,
  id: PatientId,
  patient: ValidatedPatient,
): Promise<void> {
  await tx.patients.insert({ ...patient, id, createdBy: ctx.actor.id });
  await tx.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'patient.created',
    outcome: 'success',
    targetType: 'patient',
    targetId: id,
    patientId: id,
    reason: null,
    ...auditOrigin(ctx),
  });
}

/**
 * Registers a patient (PHI encrypted at rest by the store) and audits it.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `patient.manage`
 * @param cmd - the patient
 */
export async function createPatient(
  deps: AppDeps,
  ctx: RequestContext,
  cmd: CreatePatientCommand,
): Promise<{ id: PatientId }> {
  await requirePermission(deps.store, ctx, 'patient.manage');
  const { phone, whatsapp } = parseContactPoints(deps, cmd, '/body');
  const wardId = (cmd.wardId ?? null) as WardId | null;
  if (wardId !== null && !(await deps.store.wards.exists(wardId))) {
    throw new DomainError('VALIDATION_FAILED', 'wardId names no ward.', {
      issues: [{ pointer: '/body/wardId', message: 'wardId names no ward' }],
    });
  }
  await requireWardPlacement(deps.store, ctx, [wardId]);
  const id = deps.ids.uuid() as PatientId;
  const patient: ValidatedPatient = {
    wardId,
    givenName: cmd.givenName,
    familyName: cmd.familyName,
    birthDate: cmd.birthDate,
    phone,
    whatsapp,
    externalIds: cmd.externalIds ?? null,
    language: cmd.language ?? null,
    timezone: cmd.timezone ?? null,
  };
  await deps.store.transaction((tx) => insertPatient(tx, ctx, id, patient));
  return { id };
}

/**
 * Reads one patient the caller may see; every read of PHI is audited.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param patientId - the patient
 */
export async function getPatient(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<PatientRecord> {
  const patient = await loadAccessiblePatient(deps.store, ctx, patientId);
  await deps.store.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'patient.viewed',
    outcome: 'success',
    targetType: 'patient',
    targetId: patientId,
    patientId,
    reason: null,
    ...auditOrigin(ctx),
    details: { via: ctx.via },
  });
  return patient;
}

/**
 * Finds the patients the caller may see who use a phone number (as their SMS/text number or their WhatsApp number):
 * how staff and agents find a patient who calls or writes in. Patients outside the caller's sharing are simply not
 * among the results. Each patient shown is audited as a read; the number itself is never logged or audited.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `patient.manage` or a `message.send.<category>` permission
 * @param phone - the number as typed (any common format; `WARDLINE_DEFAULT_REGION` for national numbers)
 */
export async function findPatientsByPhone(deps: AppDeps, ctx: RequestContext, phone: Phi<string>): Promise<PatientRecord[]> {
  if (!sendsInSomeCategory(ctx.actor)) await requirePermission(deps.store, ctx, 'patient.manage');
  const { phone: number } = parseContactPoints(deps, { phone }, '/body');
  const found = [...(await deps.store.patients.findByContact('sms', number)), ...(await deps.store.patients.findByContact('whatsapp', number))];
  const visible = [...new Map(found.map((p) => [p.id, p])).values()].filter((p) => canAccessPatient(ctx.actor, p));
  for (const p of visible) {
    await deps.store.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'patient.viewed',
      outcome: 'success',
      targetType: 'patient',
      targetId: p.id,
      patientId: p.id,
      reason: null,
      ...auditOrigin(ctx),
      details: { via: ctx.via, foundBy: 'phone' },
    });
  }
  return visible;
}
