import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { type Config, ConfigError } from "./config.ts";
import { InFlightRequests } from "./http/in-flight.ts";
import type { Logger } from "./logger.ts";
import { createServices, describeDatabase } from "./runtime.ts";
import { type RunningWorker, startWorker } from "./worker/runner.ts";

/**
 * Runs the HTTP server until SIGTERM or SIGINT, then stops accepting connections, lets
 * in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS), and closes the database. A request
 * counts as in flight until its handler is done, also when its client has gone away.
 */
export async function runServer(config: Config, logger: Logger): Promise<void> {
  const services = await createServices(config, logger);
  const inFlight = new InFlightRequests();
  const app = createApp(services, { inFlight });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info(
      {
        url: `http://${hostForUrl(info)}:${info.port}`,
        port: info.port,
        database: describeDatabase(config),
      },
      `rapport listening on http://${hostForUrl(info)}:${info.port}`,
    );
  });
  // Rejects with the server's 'error' when it cannot listen (an unknown host, a port in use).
  try {
    await once(server, "listening");
  } catch (error) {
    await services.database.close();
    const { code, message } = error as NodeJS.ErrnoException;
    throw new ConfigError(
      `Invalid configuration: cannot listen on HOST ${JSON.stringify(config.HOST)} and PORT ${config.PORT} (${code ?? message})`,
    );
  }

  const background: RunningWorker[] = [];
  if (config.WORKER_ENABLED) {
    // Loaded only here: a server that leaves the jobs to worker processes never loads the email
    // renderer (React and jsx-email, some 40 MB of memory).
    const { jobs } = await import("./worker/jobs.ts");
    const ctx = { db: services.database.db, clock: services.clock, config, logger };
    background.push(startWorker(ctx, jobs, config.WORKER_INTERVAL_MS));
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      logger.info({ signal }, "shutting down: finishing in-flight requests");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections become idle as their last response ends: close them then.
      const reaper = setInterval(() => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      }, 50);
      reaper.unref();
      const timeout = new Promise<void>((resolve) =>
        setTimeout(() => {
          if ("closeAllConnections" in server) server.closeAllConnections();
          resolve();
        }, config.SHUTDOWN_TIMEOUT_MS).unref(),
      );
      // The sockets may all be gone while handlers still hold transactions: closing the
      // database under them would leave their connections open until the driver's idle timeout.
      await Promise.race([Promise.all([closed, inFlight.drained()]), timeout]);
      clearInterval(reaper);
      if (inFlight.active > 0) {
        logger.warn({ requests: inFlight.active }, "shutting down with requests still in flight");
      }
      // A job blocked in the database (a lock held by a migration, a server that stopped
      // answering) must not hold the process: after the same time, the database is closed
      // under it. Its work is claimed under a lease, and is taken up again after a restart.
      const stopped = await Promise.all(
        background.map((task) => task.stop(config.SHUTDOWN_TIMEOUT_MS)),
      );
      if (stopped.includes(false)) logger.warn("shutting down with a background job still running");
      await services.database.close();
      logger.info("stopped");
      // Whatever still holds the process open now (a connection of a request that outlived
      // the shutdown timeout) must not keep a stopped server alive.
      setTimeout(() => process.exit(), 1000).unref();
    })();
    return stopping;
  };

  await new Promise<void>((resolve) => {
    // Every signal is heard: a second SIGTERM (a supervisor repeating itself) joins the stop
    // under way instead of killing the process with Node's default action.
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.on(signal, () => {
        void shutdown(signal).then(resolve);
      });
    }
  });
}

function hostForUrl(info: AddressInfo): string {
  if (info.address === "0.0.0.0" || info.address === "::") return "localhost";
  return info.family === "IPv6" ? `[${info.address}]` : info.address;
}
