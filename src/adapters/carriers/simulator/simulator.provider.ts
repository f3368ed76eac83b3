import type { MessageId } from '../../../core/ids.ts';
import type { CarrierStatus } from '../../../core/messaging/delivery-status.ts';
import { reveal } from '../../../core/phi/phi.ts';
import type { CarrierStatusEvent, MessagingProvider } from '../../../app/ports.ts';

type Receipt = CarrierStatusEvent & { messageId: MessageId };

export interface SimulatorOptions {
  readonly latencyMs: number;
  readonly failureRate: number;
  readonly readReceipts: boolean;
  /** Randomness source in [0, 1); injected so tests can force failures. */
  readonly random: () => number;
  /**
   * Where receipts go: the same status-ingest path real carriers' webhooks use. Receipts that fall due together
   * are delivered together, in order, as a carrier's batched callbacks would be.
   */
  readonly onStatuses: (events: readonly Receipt[]) => Promise<unknown>;
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
 * A carrier that behaves like one, for development and tests: accepts a message, then reports `sent`,
 * `delivered` (or `failed`, at the configured rate) and `read` after the configured latency through the
 * status-ingest path. Sends are idempotent on Wardline's message id, as the carrier contract requires.
 * @param options - latency, failure rate, read receipts and the receipt sink
 */
export function createSimulatorProvider(options: SimulatorOptions): SimulatorProvider {
  const accepted = new Map<string, string>();
  const phones = new Map<string, SimulatedPhoneMessage[]>();
  /** Receipts not yet delivered, in due order (stable for equal times). */
  let due: { at: number; receipt: Omit<Receipt, 'occurredAt'> }[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  let flushing: Promise<void> | null = null;
  let counter = 0;
  let idleWaiters: (() => void)[] = [];

  function arm(): void {
    if (timer !== null || flushing !== null) return;
    const next = due[0];
    if (next === undefined) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      return;
    }
    const wait = next.at - Date.now();
    timer = wait <= 0 ? setImmediate(flush) : setTimeout(flush, wait);
  }

  function flush(): void {
    timer = null;
    const now = Date.now();
    const cut = due.findIndex((d) => d.at > now);
    const ready = cut === -1 ? due : due.slice(0, cut);
    due = cut === -1 ? [] : due.slice(cut);
    const occurredAt = new Date(now);
    flushing = options
      .onStatuses(ready.map((d) => ({ ...d.receipt, occurredAt })))
      .then(
        () => undefined,
        (error: unknown) => {
          options.onError(error);
        },
      )
      .finally(() => {
        flushing = null;
        arm();
      });
  }

  function schedule(receipt: Omit<Receipt, 'occurredAt'>, at: number): void {
    let i = due.length;
    while (i > 0 && (due[i - 1]?.at ?? 0) > at) i -= 1;
    due.splice(i, 0, { at, receipt });
    arm();
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
      const steps: CarrierStatus[] = fail ? ['sent', 'failed'] : options.readReceipts ? ['sent', 'delivered', 'read'] : ['sent', 'delivered'];
      let at = Date.now() + Math.floor(options.latencyMs / 3);
      for (const status of steps) {
        schedule(
          { provider: 'simulator', providerMessageId, messageId: envelope.messageId, status, errorCode: status === 'failed' ? 'SIMULATED_UNDELIVERABLE' : null },
          at,
        );
        at += options.latencyMs;
      }
      return { ok: true, providerMessageId };
    },
    reconcile(envelope) {
      // The simulator knows everything it accepted: its answer is always certain.
      const previous = accepted.get(envelope.messageId);
      return Promise.resolve(previous === undefined ? { found: false, certain: true } : { found: true, providerMessageId: previous });
    },
    inbox(e164) {
      return phones.get(e164) ?? [];
    },
    idle() {
      if (timer === null && flushing === null && due.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
