import { createHmac } from 'node:crypto';
import type { AppDeps } from '../../app/context.ts';
import type { SecurityEventRecord } from '../../app/ports.ts';
import type { Secret } from '../../secret.ts';

export interface SecurityWebhookOptions {
  readonly url: string;
  readonly secret: Secret;
  /** How often to look for due deliveries. */
  readonly pollMs: number;
  readonly batchSize: number;
  /** Attempts before a delivery is marked failed (it stays visible in `GET /v1/security-events`). */
  readonly maxAttempts: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Injected for tests that fake the network; the default is the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface SecurityWebhookWorker {
  start(): void;
  /** Stops polling and waits for the deliveries in hand. */
  stop(): Promise<void>;
  /** Delivers what is due now, once; @returns how many deliveries were attempted */
  deliverDue(): Promise<number>;
}

/** The JSON body of a delivery: ids, kinds and times only, never PHI. */
export function webhookPayload(e: SecurityEventRecord): string {
  return JSON.stringify({ id: e.id, kind: e.kind, occurredAt: e.occurredAt.toISOString(), principalId: e.principalId, patientId: e.patientId, details: e.details });
}

/**
 * `X-Wardline-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the shared secret, of
 * `<X-Wardline-Timestamp>.<raw body>` (the timestamp is signed too, so a captured delivery cannot be replayed later
 * under a fresh timestamp).
 * @param secret - the shared secret
 * @param timestamp - the X-Wardline-Timestamp value (Unix seconds)
 * @param body - the raw body
 */
export function webhookSignature(secret: Secret, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret.expose()).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Delay before attempt `attempt + 1`: 30 s, 1 min, 2 min … capped at one hour. */
export function webhookBackoffMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

/**
 * Delivers security events to the security officer's endpoint (WARDLINE_SECURITY_WEBHOOK_URL). Events are written
 * `pending` in the transaction that raised them; this worker claims due rows (a lease, so several processes never
 * send one event twice at once), POSTs them signed, and marks them delivered, to retry with backoff, or failed.
 * Delivery is at least once: receivers deduplicate on `id`.
 * @param deps - the store, the clock and the logger
 * @param options - where, the secret, pacing and retry limits
 */
export function createSecurityWebhookWorker(deps: Pick<AppDeps, 'store' | 'clock' | 'logger'>, options: SecurityWebhookOptions): SecurityWebhookWorker {
  const doFetch = options.fetch ?? fetch;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;

  async function deliver(e: SecurityEventRecord): Promise<void> {
    const body = webhookPayload(e);
    const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
    let status: number;
    try {
      const res = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-wardline-timestamp': timestamp, 'x-wardline-signature': webhookSignature(options.secret, timestamp, body) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = 0;
    }
    const attempts = e.webhook.attempts + 1;
    if (status >= 200 && status < 300) {
      await deps.store.securityEvents.webhookAttempted(e.id, { state: 'delivered' });
      return;
    }
    const failed = attempts >= options.maxAttempts;
    await deps.store.securityEvents.webhookAttempted(e.id, failed ? { state: 'failed' } : { state: 'pending', nextAt: new Date(deps.clock.now().getTime() + webhookBackoffMs(attempts)) });
    deps.logger.warn({ securityEventId: e.id, status, attempts, failed }, 'security webhook delivery failed');
  }

  async function deliverDue(): Promise<number> {
    const now = deps.clock.now();
    const due = await deps.store.securityEvents.claimWebhooks(now, new Date(now.getTime() + 2 * options.timeoutMs), options.batchSize);
    await Promise.all(due.map(deliver));
    return due.length;
  }

  async function run(): Promise<void> {
    while (running) {
      let attempted = 0;
      try {
        attempted = await deliverDue();
      } catch (error) {
        deps.logger.error({ err: error }, 'security webhook batch failed');
      }
      if (attempted > 0 || !running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      loop = null;
    },
    deliverDue,
  };
}
