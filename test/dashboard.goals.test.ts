import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, dashboardCookie, type TestApp } from "./support/app.ts";
import { createTeam } from "./support/factories.ts";

let t: TestApp;
let cookie: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  t.clock.set("2026-11-18T17:00:00Z");
  admin = await t.key("admin");
  cookie = await dashboardCookie(t, admin);
});
afterAll(() => t.close());

describe("goals page progress bar of a frozen entry", () => {
  it("draws a frozen NPS entry on the NPS scale after the goal became a CSAT goal", async () => {
    await createTeam(t.ctx.db, { key: "desk", name: "Desk" });
    const created = await t.request("/v1/goals", {
      key: admin,
      json: { team: "desk", metric: "nps", target: -10, periodKind: "month", minN: 1 },
    });
    expect(created.status).toBe(201);
    const goal = await created.json();
    // October ended more than 72 hours ago: the first read freezes it, as an NPS goal.
    const frozen = await (
      await t.request("/v1/goals/attainment?period=2026-10", { key: admin })
    ).json();
    expect(frozen.data[0]).toMatchObject({ metric: "nps", target: -10, final: true });
    const edited = await t.request(`/v1/goals/${goal.id}`, {
      method: "PATCH",
      key: admin,
      json: { metric: "csat", target: 80 },
    });
    expect(edited.status).toBe(200);
    const after = await (
      await t.request("/v1/goals/attainment?period=2026-10", { key: admin })
    ).json();
    expect(after.data[0]).toMatchObject({ metric: "nps", target: -10, final: true });

    const html = await (
      await t.request("/dashboard/goals?period=2026-10", { headers: { cookie } })
    ).text();
    const row = new RegExp(`data-goal="${goal.id}">(.*?)</tr>`, "s").exec(html)?.[1] ?? "";
    expect(row).toContain("<td>NPS</td>");
    expect(row).toContain(">-10<");
    // The bar is 160 wide; on the NPS scale (-100..100) a target of -10 sits at 72.
    const line = /<svg class="target-bar".*?<line x1="([^"]+)"/s.exec(row)?.[1];
    expect(Number(line)).toBe(72);
  });
});
