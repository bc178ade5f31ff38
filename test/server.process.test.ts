import { writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createEmptyServerDatabase } from "./support/database.ts";
import { canonicalEvent } from "./support/factories.ts";
import { FakeResend } from "./support/fake-resend.ts";
import { migratedDataDir, runCli, startServer, tempDataDir } from "./support/process.ts";

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe("the real server process on the embedded database", { timeout: 180_000 }, () => {
  it("starts with no configuration, serves health, OpenAPI and problem 404s", async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ DATA_DIR: dataDir });
    try {
      expect(server.output()).toContain("rapport listening on http://127.0.0.1:");
      expect(await (await fetch(`${server.baseUrl}/healthz`)).json()).toEqual({ status: "ok" });
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);

      const spec = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
      expect(spec.openapi).toBe("3.1.0");
      expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ scheme: "bearer" });
      expect(spec.paths["/v1/api-keys"].get.security).toEqual([{ bearerAuth: [] }]);

      const missing = await fetch(`${server.baseUrl}/nowhere`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get("content-type")).toBe("application/problem+json");

      // A page for people, written from its plain header object, carries the same headers.
      const page = await fetch(`${server.baseUrl}/r/${"A".repeat(24)}/3`);
      expect(page.status).toBe(404);
      expect(page.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      expect(page.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(page.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(page.headers.get("referrer-policy")).toBe("same-origin");
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(Number(page.headers.get("content-length"))).toBe(Buffer.byteLength(await page.text()));

      const docs = await fetch(`${server.baseUrl}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain("/openapi.json");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("keeps its data across a restart, and the CLI refuses a data directory in use", async () => {
    const dataDir = await migratedDataDir();
    const created = await runCli(["keys", "create", "--name", "ci", "--scopes", "admin"], {
      DATA_DIR: dataDir,
    });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^rpk_[A-Za-z0-9_-]{43}$/);

    for (let run = 0; run < 2; run++) {
      const server = await startServer({ DATA_DIR: dataDir });
      try {
        const listed = await fetch(`${server.baseUrl}/v1/api-keys`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(listed.status).toBe(200);
        expect((await listed.json()).data).toHaveLength(1);

        const busy = await runCli(["keys", "list"], { DATA_DIR: dataDir });
        expect(busy.code).toBe(1);
        expect(busy.stderr).toMatch(/in use by another rapport process \(pid \d+\)/);
        if (run === 0) {
          // Hex and dashes of a UUID's length, but not a UUID: a usage error, told before the
          // data directory is even looked at.
          const notAnId = await runCli(["keys", "revoke", `${"0".repeat(34)}ab`], {
            DATA_DIR: dataDir,
          });
          expect(notAnId.code).toBe(2);
          expect(notAnId.stderr).toContain("is not a key ID");
        }
      } finally {
        expect(await server.stop()).toBe(0);
      }
    }

    const listed = await runCli(["keys", "list"], { DATA_DIR: dataDir });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("\tci\tadmin\tactive");
    const id = listed.stdout.split("\t")[0]!;
    const revoked = await runCli(["keys", "revoke", id], { DATA_DIR: dataDir });
    expect(revoked.code).toBe(0);
    expect((await runCli(["keys", "list"], { DATA_DIR: dataDir })).stdout).toContain("revoked");
  });

  it("runs the worker in the server process: an event's survey goes out through Resend", async () => {
    const dataDir = await migratedDataDir();
    const resend = await new FakeResend().start();
    cleanups.push(() => resend.stop());
    const created = await runCli(["keys", "create", "--name", "psa", "--scopes", "events:write"], {
      DATA_DIR: dataDir,
    });
    const server = await startServer({
      DATA_DIR: dataDir,
      WORKER_ENABLED: "true",
      WORKER_INTERVAL_MS: "100",
      RESEND_API_KEY: "re_process_test",
      RESEND_BASE_URL: resend.url,
    });
    try {
      const event = canonicalEvent();
      const answer = await fetch(`${server.baseUrl}/v1/events`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${created.stdout.trim()}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(event),
      });
      expect(answer.status).toBe(202);
      const { invitation } = await answer.json();
      expect(invitation.status).toBe("scheduled");
      await expect.poll(() => resend.count(invitation.id), { timeout: 30_000 }).toBe(1);
      expect(resend.sent[0]!.to).toBe(event.contact!.email);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("finishes a request in flight when SIGTERM arrives, also when it is sent twice", async () => {
    const dataDir = await migratedDataDir();
    const key = (
      await runCli(["keys", "create", "--name", "k", "--scopes", "admin"], { DATA_DIR: dataDir })
    ).stdout.trim();
    const server = await startServer({ DATA_DIR: dataDir });
    const body = JSON.stringify({ name: "made during shutdown", scopes: ["metrics:read"] });
    const url = new URL(`${server.baseUrl}/v1/api-keys`);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      // Half the body now; the rest after the signal, so the request is in flight.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.child.kill("SIGTERM");
        // A supervisor repeating itself: the second signal joins the stop under way.
        setTimeout(() => server.child.kill("SIGTERM"), 100);
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    const { status, body: text } = await answer;
    expect(status).toBe(201);
    expect(JSON.parse(text).name).toBe("made during shutdown");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("shutting down");
  });

  it("stops at start-up with one clear line for invalid configuration", async () => {
    const result = await runCli(["serve"], { PORT: "eighty", DATA_DIR: tempDataDir() });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("PORT");
  });

  it("stops with one line naming HOST and PORT when it cannot listen, and DATA_DIR when unusable", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const quiet = { WORKER_ENABLED: "false", LOG_LEVEL: "error" };
      const file = `${tempDataDir()}.file`;
      writeFileSync(file, "not a directory");
      const [inUse, typo, notADirectory, refused] = await Promise.all([
        runCli(["serve"], {
          ...quiet,
          DATA_DIR: await migratedDataDir(),
          HOST: "127.0.0.1",
          PORT: String(port),
        }),
        runCli(["serve"], { ...quiet, DATA_DIR: await migratedDataDir(), HOST: "localhost:3000" }),
        runCli(["keys", "list"], { DATA_DIR: file }),
        // A file system that refuses without saying why (Node's recursive mkdir never returns).
        runCli(["keys", "list"], { DATA_DIR: "/proc/rapport/data" }),
      ]);
      for (const [result, names] of [
        [inUse, ["HOST", "PORT", "EADDRINUSE"]],
        [typo, ["HOST", "localhost:3000"]],
        [notADirectory, ["DATA_DIR", "ENOTDIR"]],
        [refused, ["DATA_DIR", "/proc/rapport/data"]],
      ] as const) {
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        for (const name of names) expect(result.stderr).toContain(name);
      }
    } finally {
      taken.close();
    }
  });
});

/** A fresh server database, an API key the CLI made on it, and `rapport serve` on it. */
async function serveOnServerDatabase(keyName: string, scopes: string) {
  const database = (await createEmptyServerDatabase())!;
  cleanups.push(() => database.drop());
  const env = { DATABASE_URL: database.url, DATA_DIR: tempDataDir() };
  const created = await runCli(["keys", "create", "--name", keyName, "--scopes", scopes], env);
  return { database, env, key: created.stdout.trim(), server: await startServer(env) };
}

describe("the real server process on PostgreSQL", { timeout: 180_000 }, () => {
  it.runIf(process.env.TEST_DATABASE_URL)("migrates and serves a DATABASE_URL", async () => {
    const { env, key, server } = await serveOnServerDatabase("pg", "admin");
    try {
      expect(server.output()).toContain("PostgreSQL at");
      const listed = await fetch(`${server.baseUrl}/v1/api-keys`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect((await listed.json()).data[0].name).toBe("pg");
      // Two processes share a server database: the CLI works while the server runs.
      expect((await runCli(["keys", "list"], env)).code).toBe(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    "on SIGTERM, waits for a request whose client went away before closing the database",
    async () => {
      const { database, key, server } = await serveOnServerDatabase("psa", "events:write");
      const sql = postgres(database.url, { max: 2, onnotice: () => {} });
      cleanups.push(() => sql.end());
      // Another session holds the events table: the request's transaction waits inside it.
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const blocker = sql.begin(async (tx) => {
        await tx`lock table events in exclusive mode`;
        locked();
        await held;
      });
      await lockTaken;

      const event = canonicalEvent();
      const body = JSON.stringify(event);
      const req = httpRequest(`${server.baseUrl}/v1/events`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      });
      req.on("error", () => {});
      req.end(body);
      await expect
        .poll(
          async () =>
            (
              await sql`select count(*)::int as n from pg_stat_activity
                where wait_event_type = 'Lock' and query like 'insert into events%'`
            )[0]!.n,
          { timeout: 20_000 },
        )
        .toBe(1);
      // The client gives up; its request is still being handled.
      req.destroy();
      server.child.kill("SIGTERM");
      await expect.poll(() => server.output(), { timeout: 20_000 }).toContain("shutting down");
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(server.output()).not.toContain('"msg":"stopped"');

      release();
      await blocker;
      // The handler finishes, then the database closes and the process ends by itself (the
      // driver would otherwise keep the transaction's connection open for its idle timeout).
      expect(await server.exited).toBe(0);
      const output = server.output();
      expect(output.indexOf('"path":"/v1/events"')).toBeGreaterThan(-1);
      expect(output.indexOf('"path":"/v1/events"')).toBeLessThan(output.indexOf('"msg":"stopped"'));
      const [stored] =
        await sql`select count(*)::int as n from events where external_id = ${event.id}`;
      expect(stored!.n).toBe(1);
    },
    // Less than the driver's 60-second idle timeout: a connection left open fails the test.
    45_000,
  );
});
