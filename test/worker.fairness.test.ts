import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { goalFreezeJob } from "../src/goals/freeze-job.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { startWorker } from "../src/worker/runner.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createDueInvitations, createTeam } from "./support/factories.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.key("admin");
});
afterAll(() => t.close());

describe("an idle worker rests", () => {
  it("the goal freeze job reports no work once all it can freeze is frozen, also with a goal retired just before the month ended", async () => {
    await createTeam(t.ctx.db, { key: "freeze-desk" });
    const goal = (body: Record<string, unknown>) =>
      t.request("/v1/goals", {
        key: admin,
        json: { team: "freeze-desk", metric: "csat", periodKind: "month", ...body },
      });
    t.clock.set("2026-10-01T00:00:00Z");
    expect((await goal({ target: 80 })).status).toBe(201);
    const retired = await goal({ target: 90 });
    expect(retired.status).toBe(201);
    const { id } = (await retired.json()) as { id: string };
    // Retired on the evening of October's last day (a UTC goal): it does not answer October.
    t.clock.set("2026-10-31T20:00:00Z");
    expect(
      (await t.request(`/v1/goals/${id}`, { key: admin, method: "DELETE" })).status,
    ).toBeLessThan(300);

    // Past October's grace time: the active goal's October is frozen, once.
    t.clock.set("2026-11-05T00:00:00Z");
    expect(await goalFreezeJob.runOnce(t.ctx)).toBe(1);
    expect(await goalFreezeJob.runOnce(t.ctx)).toBe(0);
    t.clock.set("2026-11-20T00:00:00Z");
    expect(await goalFreezeJob.runOnce(t.ctx)).toBe(0);

    // So a worker with nothing to do runs its jobs once, then waits for its interval.
    let runs = 0;
    const counted = {
      name: goalFreezeJob.name,
      // Past three runs the wrapper answers 0 itself, so a spinning worker cannot hang the test.
      runOnce: async (ctx: typeof t.ctx) => (++runs > 3 ? 0 : goalFreezeJob.runOnce(ctx)),
    };
    const worker = startWorker(t.ctx, [counted], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.stop();
    expect(runs).toBe(1);
  });
});

describe("a busy worker in the server's process", () => {
  it("lets timers and requests run between its batches (the embedded database's queries never yield)", async () => {
    t.clock.set("2026-11-18T17:00:00Z");
    await createDueInvitations(t.ctx.db, await appSecret(t.ctx), t.clock.now(), 400);
    // A timer set after the first batch stands for a request arriving then: it must not wait
    // for the rest of the backlog (400 invitations are four batches of 100).
    let batches = 0;
    let batchesBeforeTimer = -1;
    let timer: Promise<void> | undefined;
    const counted = {
      name: "sendDueInvitations",
      runOnce: async (ctx: typeof t.ctx) => {
        const done = await sendDueInvitations.runOnce(ctx);
        if (done > 0) batches++;
        timer ??= new Promise<void>((resolve) =>
          setTimeout(() => {
            batchesBeforeTimer = batches - 1;
            resolve();
          }, 0),
        );
        return done;
      },
    };
    const worker = startWorker(t.ctx, [counted], 60_000);
    while (!timer) await new Promise((resolve) => setTimeout(resolve, 5));
    await timer;
    await worker.stop();
    expect(batches).toBeGreaterThan(0);
    expect(batchesBeforeTimer).toBeLessThanOrEqual(1);
  });
});
