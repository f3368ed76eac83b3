import { dispatchBatch } from '../../app/dispatch.ts';
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
 * The dispatcher loop: claim a batch, dispatch it, repeat while there is work; otherwise sleep until woken
 * or the poll interval passes (other processes may have queued work).
 * @param deps - app dependencies
 * @param options - batch size, poll interval, and how long to let sends gather after a wake-up (a few ms of
 *   latency buys full batches: one claim, one decision and one bookkeeping transaction per batch)
 */
export function createOutboxWorker(
  deps: AppDeps,
  options: { batchSize: number; pollMs: number; coalesceMs: number },
): OutboxWorker {
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let idleWaiters: (() => void)[] = [];
  let woken = false;

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await dispatchBatch(deps, options.batchSize);
      } catch (error) {
        deps.logger.error({ err: error }, 'dispatch batch failed');
      }
      // A partial batch means the outbox is drained: give concurrent sends a moment to gather into the next batch.
      if (claimed > 0 && claimed < options.batchSize) await sleep(options.coalesceMs);
      if (claimed > 0) continue;
      if (woken) continue;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
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
    },
    drain() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        wakeUp?.();
      });
    },
  };
}
