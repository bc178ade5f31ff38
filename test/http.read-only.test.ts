import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

// After a failover the old primary (or a standby the connection string now reaches) is read-only:
// every write fails with SQLSTATE 25006 (read_only_sql_transaction). That is the database being
// unavailable for writes, not a bug in the request: the README promises 503 + Retry-After while
// the database is not usable ("no 500"), and a 500 tells a client not to retry.
const server = process.env.TEST_DATABASE_URL;

describe.skipIf(!server)("a database that turned read-only (failover, PostgreSQL)", () => {
  let t: TestApp;
  let admin: postgres.Sql;
  let name: string;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp();
    const url = (t.services.database as unknown as { url: string }).url;
    name = new URL(url).pathname.slice(1);
    admin = postgres(server!, { max: 1, onnotice: () => {} });
    key = await t.key("admin");
    expect((await t.request("/v1/api-keys", { key })).status).toBe(200);
    // Only this file's own database: new sessions on it are read-only, and the app's current
    // sessions end, as they would when the primary goes away.
    await admin.unsafe(`alter database ${name} set default_transaction_read_only = on`);
    await admin`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = ${name} and pid <> pg_backend_pid()`;
    // Let the pool notice its closed connections.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  afterAll(async () => {
    await admin?.unsafe(`alter database ${name} reset default_transaction_read_only`);
    await admin?.end({ timeout: 5 });
    await t?.close();
  });

  it("answers a write 503 with Retry-After, not 500", async () => {
    // Reads still work on the read-only server (the pool reconnected).
    let reads = 0;
    for (let i = 0; i < 5 && reads === 0; i++) {
      const listed = await t.request("/v1/api-keys", { key });
      if (listed.status === 200) reads++;
    }
    expect(reads).toBe(1);
    const response = await t.request("/v1/api-keys", {
      key,
      json: { name: "during failover", scopes: ["admin"] },
    });
    const problem = await problemOf(response);
    expect({ status: response.status, retryAfter: response.headers.get("retry-after") }).toEqual({
      status: 503,
      retryAfter: "2",
    });
    expect(problem.title).toBe("Service unavailable");
  });
});
