import { startBatch } from '../../app/dispatch.ts';
import type { AppDeps } from '../../app/context.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface OutboxWorker {
  start(): void;
  /** Wakes the loop now instead of at the next poll. */
  wake(): void;
  /** Stops claiming and waits for the batch in hand. */
  stop(): Promise<void>;
  /** Resolves once the outbox has no due rows (tests, benchmarks). */
  drain(): Promise<void>;
}

/**
 * The dispatcher loop: claim a batch, decide it, and while its sends wait for their slots and the carrier, claim the
 * next (up to `maxInFlight` batches at once, so a paced sender's queue keeps moving without gaps); otherwise sleep
 * until woken or the poll interval passes (other processes may have queued work, or deferred rows come due).
 * @param deps - app dependencies
 * @param options - batch size, poll interval, how long to let sends gather after a wake-up (a few ms of latency buys
 *   full batches: one claim, one decision and one bookkeeping transaction per batch), and batches in flight
 */
export function createOutboxWorker(
  deps: AppDeps,
  options: { batchSize: number; pollMs: number; coalesceMs: number; maxInFlight?: number },
): OutboxWorker {
  const maxInFlight = options.maxInFlight ?? 4;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let idleWaiters: (() => void)[] = [];
  let woken = false;
  const inFlight = new Set<Promise<void>>();

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      let claimed = 0;
      try {
        const batch = await startBatch(deps, options.batchSize);
        claimed = batch.claimed;
        const tracked = batch.completion.catch((error: unknown) => {
          deps.logger.error({ err: error }, 'dispatch batch failed');
        });
        inFlight.add(tracked);
        void tracked.finally(() => inFlight.delete(tracked));
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      } catch (error) {
        deps.logger.error({ err: error }, 'dispatch batch failed');
      }
      // A partial batch means the outbox is drained: give concurrent sends a moment to gather into the next batch.
      if (claimed > 0 && claimed < options.batchSize) await sleep(options.coalesceMs);
      if (claimed > 0) continue;
      if (woken) continue;
      // Nothing due. Batches still sending keep `drain` waiting, and the loop looks again sooner: their completion
      // may schedule retries, and paced rows come due shortly before their turn.
      if (inFlight.size === 0) {
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, inFlight.size === 0 ? options.pollMs : Math.min(options.pollMs, 50));
        wakeUp = () => {
          clearTimeout(timer);
          setTimeout(resolve, options.coalesceMs);
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
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      await Promise.all(inFlight);
    },
    drain() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        wakeUp?.();
      });
    },
  };
}
