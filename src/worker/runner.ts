import type { ServiceContext } from "../context.ts";
import { within } from "../deadline.ts";

/** One kind of background work; `runOnce` handles a batch and answers how many items it did. */
export interface Job {
  name: string;
  runOnce(ctx: ServiceContext): Promise<number>;
}

export interface RunningWorker {
  /**
   * Stops after the job under way; with `withinMs`, waits for it that long at most (a job
   * blocked in the database is left to the lease of its work). True when it had finished.
   */
  stop(withinMs?: number): Promise<boolean>;
}

/**
 * Runs the jobs in a loop: each batch right after a busy one, otherwise after `intervalMs`.
 * The jobs claim their work in the database (`FOR UPDATE SKIP LOCKED`), so any number of
 * workers may run against one PostgreSQL database.
 */
export function startWorker(ctx: ServiceContext, jobs: Job[], intervalMs: number): RunningWorker {
  let stopped = false;
  let wake: (() => void) | undefined;
  const log = ctx.logger.child({ kind: "worker" });

  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      for (const job of jobs) {
        if (stopped) break;
        try {
          const done = await job.runOnce(ctx);
          if (done > 0) {
            busy = true;
            log.debug({ job: job.name, done }, "batch done");
          }
        } catch (error) {
          log.error({ job: job.name, err: error }, "job failed; retrying after the interval");
        }
        // Requests and timers get their turn between batches: the embedded database's queries
        // resolve without returning to the event loop, so a busy worker in the server's process
        // would otherwise hold every request until its whole backlog is done.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (!busy && !stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, intervalMs).unref();
        });
      }
    }
  })();

  return {
    stop: async (withinMs) => {
      stopped = true;
      wake?.();
      const finished = loop.then(() => true);
      return withinMs === undefined ? finished : within(finished, withinMs, () => false);
    },
  };
}
