import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { InFlightRequests } from "../src/http/in-flight.ts";
import { createTestApp, type TestApp } from "./support/app.ts";

// Needs a real PostgreSQL server: a second connection holds a lock the request must wait for.
const server = process.env.TEST_DATABASE_URL;

describe.skipIf(!server)("a request answered 503 by REQUEST_TIMEOUT_MS (PostgreSQL)", () => {
  let t: TestApp;
  let locker: postgres.Sql;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ REQUEST_TIMEOUT_MS: "300" });
    const url = (t.services.database as unknown as { url: string }).url;
    locker = postgres(url, { max: 1, onnotice: () => {} });
    admin = await t.key("admin");
    // First use writes the key's lastUsedAt; the test clock stands still, so later uses do not.
    expect((await t.request("/v1/api-keys", { key: admin })).status).toBe(200);
  });

  afterAll(async () => {
    await locker?.end({ timeout: 5 });
    await t?.close();
  });

  /** Runs `during` while another session holds api_keys locked against writes (reads pass). */
  async function withKeysLocked(during: () => Promise<void>) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = locker.begin(async (tx) => {
      await tx`lock table api_keys in exclusive mode`;
      locked();
      await released;
    });
    await isLocked;
    try {
      await during();
    } finally {
      release();
      await holder;
    }
  }

  it("stays in flight (for the SIGTERM drain) until its handler is really done", async () => {
    const inFlight = new InFlightRequests();
    const app = createApp(t.services, { inFlight });
    let activeAfter503 = -1;
    let drainedWhileHandlerRuns = false;
    await withKeysLocked(async () => {
      const response = await app.request("/v1/api-keys", {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "in flight", scopes: ["admin"] }),
      });
      expect(response.status).toBe(503);
      activeAfter503 = inFlight.active;
      // The handler is still blocked on its INSERT here: a shutdown's drain must not pass.
      drainedWhileHandlerRuns = await Promise.race([
        inFlight.drained().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
    });
    expect({ activeAfter503, drainedWhileHandlerRuns }).toEqual({
      activeAfter503: 1,
      drainedWhileHandlerRuns: false,
    });
  });
});
