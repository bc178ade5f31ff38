import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goals } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createTeam } from "./support/factories.ts";

let t: TestApp;
let admin: string;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.key("admin");
  reader = await t.key("metrics:read");
  await createTeam(t.ctx.db, { key: "help-desk" });
});
afterAll(() => t.close());

const valid = { team: "help-desk", metric: "csat", target: 90, periodKind: "month" };

describe("goal requests that are refused", () => {
  it("a bad period is a 400 naming the field", async () => {
    // With goals of both kinds: the last periods of 9999 would end in the year 10000.
    for (const periodKind of ["month", "quarter"]) {
      const created = await t.request("/v1/goals", { key: admin, json: { ...valid, periodKind } });
      expect(created.status).toBe(201);
    }
    const last = await t.request("/v1/goals/attainment?period=9999-11", { key: reader });
    expect(last.status).toBe(200);
    await t.ctx.db.delete(goals);
    for (const period of [
      "2026-13",
      "2026-Q5",
      "November",
      "",
      "0026-11",
      "1899-Q4",
      "9999-12",
      "9999-Q4",
    ]) {
      const response = await t.request(`/v1/goals/attainment?period=${period}`, { key: reader });
      expect(response.status).toBe(400);
      const problem = await problemOf(response);
      expect(problem.errors?.[0]?.path).toBe("period");
    }
  });

  it("invalid goals are 400 with field paths and write nothing", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...valid, team: "no-such-team" }, "team"],
      [{ ...valid, member: "nobody" }, "member"],
      [{ ...valid, metric: "happiness" }, "metric"],
      [{ ...valid, target: -5 }, "target"],
      [{ ...valid, target: 101 }, "target"],
      [{ ...valid, periodKind: "week" }, "periodKind"],
      [{ ...valid, minN: 0 }, "minN"],
      [{ ...valid, timezone: "Mars/Olympus" }, "timezone"],
      // A raw offset: the runtime and PostgreSQL read its sign the opposite way.
      [{ ...valid, timezone: "+01:00" }, "timezone"],
      [{ ...valid, credit: "split" }, "credit"],
    ];
    for (const [body, path] of cases) {
      const response = await t.request("/v1/goals", { key: admin, json: body });
      expect(response.status, path).toBe(400);
      expect((await problemOf(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect(await t.ctx.db.select().from(goals)).toHaveLength(0);
  });

  it("a change that would make a percentage target negative is refused and changes nothing", async () => {
    const created = await (
      await t.request("/v1/goals", { key: admin, json: { ...valid, metric: "nps", target: -10 } })
    ).json();
    const response = await t.request(`/v1/goals/${created.id}`, {
      key: admin,
      method: "PATCH",
      json: { metric: "csat" },
    });
    expect(response.status).toBe(400);
    const after = await (await t.request(`/v1/goals/${created.id}`, { key: reader })).json();
    expect(after.metric).toBe("nps");
  });

  it("reading needs metrics:read and writing needs admin", async () => {
    expect((await t.request("/v1/goals")).status).toBe(401);
    expect((await t.request("/v1/goals/attainment?period=2026-11")).status).toBe(401);
    const events = await t.key("events:write");
    expect((await t.request("/v1/goals", { key: events })).status).toBe(403);
    const write = await t.request("/v1/goals", { key: reader, json: valid });
    expect(write.status).toBe(403);
    expect((await problemOf(write)).detail).toContain("admin");
  });

  it("an unknown goal is a 404", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    expect((await t.request(`/v1/goals/${id}`, { key: reader })).status).toBe(404);
    const patch = await t.request(`/v1/goals/${id}`, { key: admin, method: "PATCH", json: {} });
    expect(patch.status).toBe(404);
    expect((await t.request(`/v1/goals/${id}`, { key: admin, method: "DELETE" })).status).toBe(404);
  });
});
