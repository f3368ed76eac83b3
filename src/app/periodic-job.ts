import type { Logger } from '../logger.ts';

/** A job run every so often in a Wardline process (reminders, scheduled verification). */
export interface PeriodicJob {
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `job` every `intervalMs`, never two runs at once (a slow run delays the next). A failed run is logged by its
 * error's name only (an error message may carry data) and tried again at the next tick. The timer does not keep the
 * process alive.
 * @param name - what the job is, for the log line
 * @param intervalMs - how often (0: never in this process)
 * @param job - the work
 * @param logger - where failures go
 */
export function createPeriodicJob(name: string, intervalMs: number, job: () => Promise<unknown>, logger: Logger): PeriodicJob {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  return {
    start() {
      if (intervalMs <= 0 || timer !== null) return;
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        running = job()
          .catch((error: unknown) => {
            logger.error({ job: name, errorName: error instanceof Error ? error.name : 'unknown' }, 'a periodic job failed');
          })
          .finally(() => {
            busy = false;
          });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
