/** Branded identifiers: a PatientId can never be passed where a MessageId is expected. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type PatientId = Brand<string, 'PatientId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type PrincipalId = Brand<string, 'PrincipalId'>;
export type WardId = Brand<string, 'WardId'>;
export type InboundMessageId = Brand<string, 'InboundMessageId'>;
/** A phone number in E.164 form, e.g. +14155550100. It is PHI: keep it inside `Phi<E164>`. */
export type E164 = Brand<string, 'E164'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * @param value - a candidate identifier from outside (URL, body)
 * @returns true if it is a UUID, the shape of every Wardline id
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
