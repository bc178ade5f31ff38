import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { createServices, describeDatabase } from "../runtime.ts";
import { jobs } from "./jobs.ts";
import { startWorker } from "./runner.ts";

/** `rapport worker`: the background jobs alone, until SIGTERM or SIGINT. */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  const services = await createServices(config, logger);
  const ctx = { db: services.database.db, clock: services.clock, config, logger };
  const worker = startWorker(ctx, jobs, config.WORKER_INTERVAL_MS);
  logger.info(
    { database: describeDatabase(config), jobs: jobs.map((job) => job.name) },
    "rapport worker started",
  );
  await new Promise<void>((resolve) => {
    // A repeated signal finds the same stop under way, never Node's default (an abrupt exit).
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => resolve());
  });
  logger.info("worker stopping: finishing the current batch");
  // A job blocked in the database does not hold the process past the shutdown timeout: its work
  // is claimed under a lease, and is taken up again after a restart.
  if (!(await worker.stop(config.SHUTDOWN_TIMEOUT_MS))) {
    logger.warn("stopping with a job still running");
  }
  await services.database.close();
  logger.info("stopped");
}
