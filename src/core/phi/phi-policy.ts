import type { ContentClass } from '../templates/fields.ts';
import type { FindingClass, PhiFinding } from './scanner.ts';

/**
 * The decision per send (issue 4 item 4): content the message's kind allows goes as is; anything beyond it goes by
 * the organisation's policy for its class — behind a secure link, or refused with PHI_NOT_ALLOWED — unless the
 * patient has accepted the documented risk of unencrypted PHI on this channel (164.522(b), HHS FAQ 570, reference
 * 1.4). Pure.
 */

export type PhiAction = 'secure' | 'block';
export type PhiPolicy = Readonly<Record<FindingClass, PhiAction>>;

export type PhiDecision =
  | { readonly delivery: 'direct'; readonly basis: 'within-kind' | 'risk-accepted'; readonly excess: readonly PhiFinding[] }
  | { readonly delivery: 'secure'; readonly excess: readonly PhiFinding[] }
  | { readonly delivery: 'blocked'; readonly excess: readonly PhiFinding[] };

/**
 * @param input.findings - the scanner's findings in the text that would be sent
 * @param input.allowed - the classes the message's kind may carry
 * @param input.policy - the organisation's action per class
 * @param input.riskAccepted - the patient accepted unencrypted PHI on this channel and contact point
 */
export function decidePhiHandling(input: { findings: readonly PhiFinding[]; allowed: readonly ContentClass[]; policy: PhiPolicy; riskAccepted: boolean }): PhiDecision {
  const excess = input.findings.filter((f) => !input.allowed.includes(f.class));
  if (excess.length === 0) return { delivery: 'direct', basis: 'within-kind', excess };
  if (input.riskAccepted) return { delivery: 'direct', basis: 'risk-accepted', excess };
  // The strictest action any excess class calls for wins.
  return excess.some((f) => input.policy[f.class] === 'block') ? { delivery: 'blocked', excess } : { delivery: 'secure', excess };
}
