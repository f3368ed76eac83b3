import type { MessageId } from '../../../core/ids.ts';
import type { CarrierStatus } from '../../../core/messaging/delivery-status.ts';
import { reveal } from '../../../core/phi/phi.ts';
import type { CarrierStatusEvent, MessagingProvider } from '../../../app/ports.ts';

export interface SimulatorOptions {
  readonly latencyMs: number;
  readonly failureRate: number;
  readonly readReceipts: boolean;
  /** Randomness source in [0, 1); injected so tests can force failures. */
  readonly random: () => number;
  /** Where receipts go: the same status-ingest path real carriers' webhooks use. */
  readonly onStatus: (event: CarrierStatusEvent & { messageId: MessageId }) => Promise<unknown>;
  readonly onError: (error: unknown) => void;
}

/** What the simulated phone shows: messages received by one number. */
export interface SimulatedPhoneMessage {
  readonly messageId: MessageId;
  readonly channel: string;
  readonly body: string;
  readonly receivedAt: Date;
}

export interface SimulatorProvider extends MessagingProvider {
  /** Messages delivered to a number, newest last (development only: this is the patient's screen). */
  inbox(e164: string): readonly SimulatedPhoneMessage[];
  /** Resolves when every scheduled receipt has been ingested. */
  idle(): Promise<void>;
}

const INBOX_LIMIT = 50;

/**
 * A carrier that behaves like one, for development and tests: accepts a message, then sends `sent`,
 * `delivered` (or `failed`, at the configured rate) and `read` receipts after the configured latency through
 * the status-ingest path. Sends are idempotent on Wardline's message id, as the carrier contract requires.
 * @param options - latency, failure rate, read receipts and the receipt sink
 */
export function createSimulatorProvider(options: SimulatorOptions): SimulatorProvider {
  const accepted = new Map<string, string>();
  const phones = new Map<string, SimulatedPhoneMessage[]>();
  const pending = new Set<Promise<void>>();
  let counter = 0;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));

  async function receipts(messageId: MessageId, providerMessageId: string, fail: boolean): Promise<void> {
    const steps: CarrierStatus[] = fail ? ['sent', 'failed'] : options.readReceipts ? ['sent', 'delivered', 'read'] : ['sent', 'delivered'];
    for (const [i, status] of steps.entries()) {
      await wait(i === 0 ? Math.floor(options.latencyMs / 3) : options.latencyMs);
      await options.onStatus({
        provider: 'simulator',
        providerMessageId,
        messageId,
        status,
        errorCode: status === 'failed' ? 'SIMULATED_UNDELIVERABLE' : null,
        occurredAt: new Date(),
      });
    }
  }

  return {
    name: 'simulator',
    async send(envelope) {
      const previous = accepted.get(envelope.messageId);
      if (previous !== undefined) return { ok: true, providerMessageId: previous };
      counter += 1;
      const providerMessageId = `SIM${Date.now().toString(36)}${counter.toString(36).padStart(6, '0')}`;
      accepted.set(envelope.messageId, providerMessageId);
      const fail = options.random() < options.failureRate;
      if (!fail) {
        const to = reveal(envelope.to);
        const inbox = phones.get(to) ?? [];
        inbox.push({ messageId: envelope.messageId, channel: envelope.channel, body: reveal(envelope.body), receivedAt: new Date() });
        phones.set(to, inbox.slice(-INBOX_LIMIT));
      }
      const job = receipts(envelope.messageId, providerMessageId, fail)
        .catch(options.onError)
        .finally(() => pending.delete(job));
      pending.add(job);
      return { ok: true, providerMessageId };
    },
    inbox(e164) {
      return phones.get(e164) ?? [];
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
