import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createEmptyServerDatabase } from "./support/database.ts";
import { type RunningServer, startServer, tempDataDir } from "./support/process.ts";

// A worker job blocked in the database (here: a table another session holds locked, as a
// long migration or VACUUM FULL would; equally a query on a connection to a host that stopped
// answering) must not keep SIGTERM from ending the server: SHUTDOWN_TIMEOUT_MS bounds it too.
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe("SIGTERM while a worker job is stuck in the database (PostgreSQL)", {
  timeout: 120_000,
}, () => {
  it.runIf(process.env.TEST_DATABASE_URL)(
    "still ends the server within SHUTDOWN_TIMEOUT_MS (plus the database close)",
    async () => {
      const database = (await createEmptyServerDatabase())!;
      cleanups.push(() => database.drop());
      const server: RunningServer = await startServer({
        DATABASE_URL: database.url,
        DATA_DIR: tempDataDir(),
        WORKER_ENABLED: "true",
        WORKER_INTERVAL_MS: "50",
        SHUTDOWN_TIMEOUT_MS: "1000",
        LOG_LEVEL: "info",
      });
      cleanups.push(async () => {
        if (server.child.exitCode === null) server.child.kill("SIGKILL");
      });
      const sql = postgres(database.url, { max: 2, onnotice: () => {} });
      cleanups.push(() => sql.end({ timeout: 5 }));

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const blocker = sql.begin(async (tx) => {
        await tx`lock table followups in access exclusive mode`;
        locked();
        await held;
      });
      cleanups.push(async () => {
        release();
        await blocker;
      });
      await lockTaken;
      // The worker's first job (follow-up overdue) now waits for the lock.
      await expect
        .poll(
          async () =>
            (
              await sql`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'
                  and query like '%from followups%'`
            )[0]!.n,
          { timeout: 20_000 },
        )
        .toBe(1);

      const signalled = Date.now();
      server.child.kill("SIGTERM");
      // 1 s of drain, up to 5 s for the driver to close its connections, some slack.
      const code = await Promise.race([
        server.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 12_000)),
      ]);
      const seconds = Math.round((Date.now() - signalled) / 1000);
      const output = server.output();
      expect({
        code,
        seconds: code === "still running" ? `>${seconds}` : "ok",
        drainStarted: output.includes("shutting down: finishing in-flight requests"),
        stopped: output.includes('"msg":"stopped"'),
      }).toEqual({ code: 0, seconds: "ok", drainStarted: true, stopped: true });
    },
  );
});
