import { auditActorOf, sendsInSomeCategory } from '../core/access/actor.ts';
import {
  CHANNELS_AND_PURPOSES,
  deriveConsentState,
  mayRecordGrant,
  SYSTEM_ONLY_SOURCES,
  type ConsentEvidence,
  type ConsentSource,
  type ConsentState,
  type ConsentStatus,
  type Purpose,
} from '../core/consent/consent.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import type { Channel } from '../core/messaging/channel.ts';
import { loadAccessiblePatient, requirePermission } from './access.ts';
import { applyConsentChange } from './consent-changes.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { ConsentEventRecord } from './ports.ts';

export interface RecordConsentCommand {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly status: ConsentStatus;
  readonly source: ConsentSource;
  readonly purpose: Purpose;
  readonly evidence: ConsentEvidence;
}

/**
 * Records a consent change made by staff or an integration on the patient's behalf (e.g. a phone request,
 * source `phone`). The evidence names who captured it; by default the recording principal.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `consent.manage`
 * @param cmd - the change
 */
export async function recordConsent(
  deps: AppDeps,
  ctx: RequestContext,
  cmd: RecordConsentCommand,
): Promise<{ state: ConsentState; cancelledMessages: number }> {
  await requirePermission(deps.store, ctx, 'consent.manage');
  if (SYSTEM_ONLY_SOURCES.includes(cmd.source)) {
    throw new DomainError('VALIDATION_FAILED', `Source ${cmd.source} is recorded by Wardline from the patient's own reply.`, {
      issues: [{ pointer: '/body/source', message: 'source is reserved for replies Wardline receives' }],
    });
  }
  const evidence: ConsentEvidence = {
    ...cmd.evidence,
    capturedBy: cmd.evidence.capturedBy ?? `principal:${ctx.actor.id}`,
    capturedAt: cmd.evidence.capturedAt ?? deps.clock.now().toISOString(),
  };
  await loadAccessiblePatient(deps.store, ctx, cmd.patientId);
  return deps.store.transaction(async (tx) => {
    await tx.consents.lockPatient(cmd.patientId);
    const before = deriveConsentState(await tx.consents.ledger(cmd.patientId), cmd.channel, cmd.purpose);
    if (cmd.status === 'granted' && !mayRecordGrant(before, cmd.source, new Date(evidence.capturedAt ?? 0))) {
      throw new DomainError(
        'CONSENT_REGRANT_REQUIRES_PATIENT',
        'The patient opted out of this channel; only the patient can opt back in (a START reply, or a form, call or portal request captured after the opt-out).',
      );
    }
    const cancelledMessages = await applyConsentChange(
      tx,
      {
        patientId: cmd.patientId,
        channels: [cmd.channel],
        purposes: [cmd.purpose],
        status: cmd.status,
        source: cmd.source,
        evidence,
        actor: auditActorOf(ctx.actor),
        ...auditOrigin(ctx),
        inboundMessageId: null,
        at: deps.clock.now(),
      },
      deps.ids.uuid,
    );
    const after = deriveConsentState(await tx.consents.ledger(cmd.patientId), cmd.channel, cmd.purpose);
    return { state: after, cancelledMessages };
  });
}

export interface ConsentOverview {
  readonly current: readonly { channel: Channel; purpose: Purpose; state: ConsentState }[];
  readonly history: readonly ConsentEventRecord[];
}

/**
 * The current state per channel and purpose, and the full ledger.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `consent.manage` or any message send permission
 * @param patientId - the patient
 */
export async function getConsents(deps: AppDeps, ctx: RequestContext, patientId: PatientId): Promise<ConsentOverview> {
  // Minimum necessary: those who record consent or send messages read it (a refusal is audited like any other).
  if (!sendsInSomeCategory(ctx.actor)) await requirePermission(deps.store, ctx, 'consent.manage');
  await loadAccessiblePatient(deps.store, ctx, patientId);
  const history = await deps.store.consents.ledger(patientId);
  await deps.store.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'consent.viewed',
    outcome: 'success',
    targetType: 'patient',
    targetId: patientId,
    patientId,
    reason: null,
    ...auditOrigin(ctx),
    details: { via: ctx.via },
  });
  return {
    current: CHANNELS_AND_PURPOSES.map(([channel, purpose]) => ({
      channel,
      purpose,
      state: deriveConsentState(history, channel, purpose),
    })),
    history,
  };
}
