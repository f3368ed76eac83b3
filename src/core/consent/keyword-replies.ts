/**
 * The automatic replies to keyword messages (CTIA Messaging Principles §5.1.3; Twilio keyword handling;
 * FCC 24-24 one-time confirmation: no marketing, sent at once). Each names the organisation and how to get help.
 */
export interface Organisation {
  readonly name: string;
  readonly contact: string;
}

/** @param org - the sender's name and contact @returns the one confirmation sent after an opt-out */
export function optOutConfirmation(org: Organisation): string {
  return `${org.name}: You are unsubscribed and will receive no more messages here. Reply START to resubscribe.`;
}

/** @param org - the sender's name and contact @returns the confirmation after START/UNSTOP/YES */
export function optInConfirmation(org: Organisation): string {
  return `${org.name}: You are subscribed to messages again. Reply HELP for help, STOP to cancel.`;
}

/** @param org - the sender's name and contact @returns the HELP/INFO answer */
export function helpReply(org: Organisation): string {
  return `${org.name}: For help, ${org.contact}. Message frequency varies. Msg & data rates may apply. Reply STOP to cancel.`;
}
