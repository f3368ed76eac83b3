import { auditActorOf } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import { CHANNELS, type Channel } from '../core/messaging/channel.ts';
import { loadPatientSendState, requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { PatientSendState, PhiPreferenceRecord, PhiPreferenceSource } from './ports.ts';

/**
 * The patient's acceptance of unencrypted PHI on a channel (issue 4 item 4; 164.522(b), HHS FAQ 570, the Omnibus
 * Rule's right-of-access commentary — reference 1.4): recorded like consent, with the warning text shown, who
 * captured it and when, bound to the contact point it was given for. Without it, content beyond a message's kind
 * goes behind a secure link (or is blocked). Withdrawing takes effect for every later send.
 */

export interface RecordPhiPreferenceCommand {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly status: 'accepted' | 'withdrawn';
  /** The exact risk warning the patient was shown (required to accept). */
  readonly warningText: string;
  readonly source: PhiPreferenceSource;
  readonly capturedBy?: string | undefined;
  readonly capturedAt?: Date | undefined;
}

/** One channel's standing: whether PHI may go unencrypted, and the record that says so. */
export interface PhiPreferenceState {
  readonly channel: Channel;
  readonly accepted: boolean;
  /** The latest record for the channel; an acceptance for an earlier number does not count. */
  readonly latest: PhiPreferenceRecord | null;
  readonly forCurrentContactPoint: boolean;
}

/** @param state - the patient's send state @returns each channel's standing */
export function phiPreferenceStates(state: Pick<PatientSendState, 'patient' | 'phiPreferences'>): PhiPreferenceState[] {
  return CHANNELS.map((channel) => {
    const latest = state.phiPreferences.filter((p) => p.channel === channel).at(-1) ?? null;
    const index = channel === 'whatsapp' ? state.patient.contactIndex.whatsapp : state.patient.contactIndex.phone;
    const forCurrentContactPoint = latest !== null && latest.contactPointIndex === index;
    return { channel, accepted: latest?.status === 'accepted' && forCurrentContactPoint, latest, forCurrentContactPoint };
  });
}

/**
 * @param deps - app dependencies
 * @param ctx - the caller; needs `consent.manage`
 * @param cmd - the acceptance or withdrawal
 */
export async function recordPhiPreference(deps: AppDeps, ctx: RequestContext, cmd: RecordPhiPreferenceCommand): Promise<PhiPreferenceState> {
  await requirePermission(deps.store, ctx, 'consent.manage');
  const state = await loadPatientSendState(deps.store, ctx, cmd.patientId);
  const index = cmd.channel === 'whatsapp' ? state.patient.contactIndex.whatsapp : state.patient.contactIndex.phone;
  if (index === null) throw new DomainError('NO_CONTACT_POINT', 'The patient has no WhatsApp number on record.');
  const actor = auditActorOf(ctx.actor);
  const id = deps.ids.uuid();
  const capturedAt = cmd.capturedAt ?? deps.clock.now();
  if (capturedAt.getTime() > deps.clock.now().getTime() + 60_000) {
    throw new DomainError('VALIDATION_FAILED', 'The capture time is in the future.', { issues: [{ pointer: '/body/capturedAt', message: 'must not be in the future' }] });
  }
  await deps.store.transaction(async (tx) => {
    await tx.phiPreferences.append({
      id,
      patientId: cmd.patientId,
      channel: cmd.channel,
      status: cmd.status,
      contactPointIndex: index,
      warningText: cmd.warningText,
      source: cmd.source,
      capturedBy: cmd.capturedBy ?? `principal:${ctx.actor.id}`,
      capturedAt,
      recordedBy: actor,
    });
    await tx.audit.append({
      actor,
      action: cmd.status === 'accepted' ? 'phi-preference.accepted' : 'phi-preference.withdrawn',
      outcome: 'success',
      targetType: 'phi-preference',
      targetId: id,
      patientId: cmd.patientId,
      reason: null,
      ...auditOrigin(ctx),
      details: { channel: cmd.channel, source: cmd.source },
    });
  });
  const after = await loadPatientSendState(deps.store, ctx, cmd.patientId);
  const standing = phiPreferenceStates(after).find((s) => s.channel === cmd.channel);
  if (standing === undefined) throw new Error('unreachable: every channel has a standing');
  return standing;
}

/**
 * @param deps - app dependencies
 * @param ctx - the caller; needs `consent.manage`
 * @param patientId - the patient
 */
export async function getPhiPreferences(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<{ current: PhiPreferenceState[]; history: PhiPreferenceRecord[] }> {
  await requirePermission(deps.store, ctx, 'consent.manage');
  const state = await loadPatientSendState(deps.store, ctx, patientId);
  return { current: phiPreferenceStates(state), history: state.phiPreferences };
}
