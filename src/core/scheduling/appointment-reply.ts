import { classifyInboundReply } from '../consent/inbound-intent.ts';
import { APPOINTMENT_REPLY_KINDS, compactReplyWord, type AppointmentReplyKind, type ReminderPolicy } from './reminder-policy.ts';

/** An inbound reply read against a reminder policy. */
export type AppointmentReply = { readonly kind: AppointmentReplyKind } | { readonly kind: 'not-a-reply' };

/**
 * Reads an inbound reply as a confirm / cancel / rebook answer to a reminder (issue 8 item 1).
 *
 * Consent comes first and always wins (FCC 24-24, 47 CFR 64.1200(a)(10); compliance-and-protocols digest §2.2, §2.5):
 * when {@link classifyInboundReply} reads the text as an opt-out, opt-in or help request, the answer is `not-a-reply`
 * and the caller applies the consent intent instead — an opt-out is never swallowed as an appointment reply, even if
 * a policy stored before this check somehow holds that word.
 *
 * Otherwise the whole message must be one of the policy's reply words, compared case-, space- and
 * punctuation-insensitively ("c2", " C-2! " and "C 2" all match `C2`). Anything longer ("C2 but I'll be late") is
 * `not-a-reply` and goes to staff through the ordinary inbound path.
 *
 * @param text - the reply body exactly as received
 * @param policy - the reminder policy of the appointment the reply answers
 * @returns the reply kind, or `not-a-reply`
 */
export function classifyAppointmentReply(text: string, policy: ReminderPolicy): AppointmentReply {
  const consent = classifyInboundReply(text);
  if (consent.kind !== 'review') return { kind: 'not-a-reply' };
  const compact = compactReplyWord(text);
  if (compact === '') return { kind: 'not-a-reply' };
  for (const kind of APPOINTMENT_REPLY_KINDS) {
    if (policy.replyWords[kind].some((word) => compactReplyWord(word) === compact)) return { kind };
  }
  return { kind: 'not-a-reply' };
}
