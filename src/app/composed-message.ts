import { measureSegments } from '../core/messaging/segments.ts';
import { reveal } from '../core/phi/phi.ts';
import type { NewMessage } from './ports.ts';

type Required =
  'id' | 'patientId' | 'wardId' | 'channel' | 'category' | 'purpose' | 'body' | 'consentBasis' | 'sender';
type Optional = 'template' | 'delivery' | 'secure' | 'relatedRecord' | 'inReplyTo';

/**
 * A message Wardline composes itself (a keyword reply, a verification code, a reissued notice): no idempotency key,
 * override, media, urgency or exemption; direct unless said otherwise; its size measured from its body.
 * @param m - what differs between such messages
 */
export function composedMessage(
  m: Pick<NewMessage, Required> & Partial<Pick<NewMessage, Optional>>,
): NewMessage {
  return {
    template: null,
    delivery: 'direct',
    secure: null,
    relatedRecord: null,
    inReplyTo: null,
    overrideJustification: null,
    idempotencyKey: null,
    requestHash: null,
    mediaUrls: null,
    urgent: false,
    exempt: false,
    ...m,
    size: measureSegments(reveal(m.body)),
  };
}
