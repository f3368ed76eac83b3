import { auditActorOf, hasPermission, type Actor } from '../core/access/actor.ts';
import { DomainError } from '../core/errors.ts';
import type { PatientId } from '../core/ids.ts';
import type { Channel } from '../core/messaging/channel.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';

/**
 * The policy for AI agents (issue 5 item 5), on top of their permission sets and enforced in the use cases, so the
 * HTTP API and the MCP server apply it alike: an agent sends approved templates only, never overrides consent (even
 * if a set grants `consent.override`), and sends at most `agentSendsPerMinute` times a minute, counted in the
 * database so every process shares the count. See docs/agents.md and docs/decisions/0011-agents-and-mcp.md.
 */

const WINDOW_MS = 60_000;

/** @param actor - the caller @returns true when the caller is an AI agent */
export function isAgent(actor: Actor): boolean {
  return actor.kind === 'agent';
}

/**
 * `consent.override` as it takes effect: never for an agent, whatever its sets say.
 * @param actor - the caller
 */
export function mayOverrideConsent(actor: Actor): boolean {
  return !isAgent(actor) && hasPermission(actor, 'consent.override');
}

/** What the policy looks at in a send (or a dry run). */
export interface AgentSendShape {
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly hasFreeText: boolean;
  readonly overrideRequested: boolean;
}

/**
 * Refuses (and audits) what an agent may never send: free text, or a send that asks to override consent.
 * Does nothing for people and integrations.
 * @param deps - app dependencies
 * @param ctx - the caller
 * @param send - the shape of the send
 */
export async function assertAgentMaySend(deps: AppDeps, ctx: RequestContext, send: AgentSendShape): Promise<void> {
  if (!isAgent(ctx.actor)) return;
  const refusal = send.hasFreeText
    ? { code: 'AGENT_FREE_TEXT_FORBIDDEN' as const, detail: 'AI agents may send approved templates only; use a template (GET /v1/templates or the list_templates tool).' }
    : send.overrideRequested
      ? { code: 'CONSENT_OVERRIDE_FORBIDDEN' as const, detail: 'AI agents never override consent; a person holding consent.override must send this message.' }
      : null;
  if (refusal === null) return;
  // The patient id is not checked yet (it may be unknown or in another ward): it is kept as the target only.
  await deps.store.audit.append({
    actor: auditActorOf(ctx.actor),
    action: 'message.blocked',
    outcome: 'denied',
    targetType: 'patient',
    targetId: send.patientId,
    patientId: null,
    reason: refusal.code,
    ...auditOrigin(ctx),
    details: { channel: send.channel, policy: 'agent' },
  });
  throw new DomainError(refusal.code, refusal.detail);
}

/**
 * Counts one send attempt of an agent and refuses it with RATE_LIMITED (429, `retryAfterSeconds`) when the
 * agent's window is full. The moment the limit engages is audited once per window.
 * @param deps - app dependencies
 * @param ctx - the caller
 */
export async function takeAgentSendSlot(deps: AppDeps, ctx: RequestContext): Promise<void> {
  if (!isAgent(ctx.actor)) return;
  const limit = deps.settings.sendingPolicy.agentSendsPerMinute;
  const now = deps.clock.now();
  const window = await deps.store.throttles.hit({ kind: 'agent-sends', principalId: ctx.actor.id }, now, WINDOW_MS);
  if (window.count <= limit) return;
  if (window.count === limit + 1) {
    await deps.store.audit.append({
      actor: auditActorOf(ctx.actor),
      action: 'agent.throttled',
      outcome: 'denied',
      targetType: 'principal',
      targetId: ctx.actor.id,
      patientId: null,
      reason: 'RATE_LIMITED',
      ...auditOrigin(ctx),
      details: { limit, windowSeconds: WINDOW_MS / 1000, severity: 'medium' },
    });
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt.getTime() + WINDOW_MS - now.getTime()) / 1000));
  throw new DomainError('RATE_LIMITED', `AI agents may send at most ${limit} messages a minute; try again in ${retryAfterSeconds} s.`, { extensions: { retryAfterSeconds } });
}
