import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoRefused, runDemo } from "../src/cli/demo.ts";
import { queryRows } from "../src/db/client.ts";
import { createTestApp, type TestApp } from "./support/app.ts";

let t: TestApp;
let adminKey = "";
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function count(table: string, where = "true") {
  const [row] = await queryRows<{ n: number }>(
    t.ctx.db,
    sql.raw(`select count(*)::int as n from ${table} where ${where}`),
  );
  return row!.n;
}

describe("the demo command", () => {
  it("fills an empty database with teams, work, answers, follow-ups and goals", async () => {
    const summary = await runDemo({ ctx: t.ctx, input: { days: 40, ticketsPerDay: 4, seed: 7 } });
    adminKey = summary.adminKey;
    expect(summary.tickets).toBeGreaterThan(30);
    expect(summary.projects).toBeGreaterThanOrEqual(1);
    expect(await count("teams")).toBe(4);
    expect(await count("teams", "lead_email is not null")).toBe(4);
    expect(await count("members")).toBe(12);
    expect(await count("work_items")).toBe(summary.tickets + summary.projects);
    expect(await count("invitations", "status = 'sent'")).toBe(summary.invitations);
    expect(await count("outbox_emails")).toBe(summary.invitations);
    expect(await count("responses", "state = 'recorded'")).toBe(summary.responses);
    expect(await count("responses", "comment is not null")).toBeGreaterThan(0);
    expect(
      await count(
        "work_items w",
        "(select count(distinct team_id) from touches t where t.work_item_id = w.id) > 1",
      ),
    ).toBeGreaterThan(0);
    expect(await count("goals")).toBe(summary.goals);
    // Times are spread over the past weeks, not all "now".
    const [spread] = await queryRows<{ days: number }>(
      t.ctx.db,
      sql`select extract(day from max(responded_at) - min(responded_at))::int as days from responses`,
    );
    expect(spread!.days).toBeGreaterThan(10);
    // Every contact keeps one address of their own name: a project's survey greets the person
    // whose mailbox it goes to.
    const mismatched = await queryRows<{ external_id: string }>(
      t.ctx.db,
      sql`select external_id from contacts
          where email <> replace(lower(name), ' ', '.') || '@' || split_part(email, '@', 2)`,
    );
    expect(mismatched).toEqual([]);
  });

  it("gives an admin key with which the API shows figures at once", async () => {
    const now = t.clock.now();
    const from = new Date(now.getTime() - 40 * 86_400_000).toISOString();
    const csat = await t.request(
      `/v1/metrics/csat?from=${from}&to=${now.toISOString()}&groupBy=team`,
      { key: adminKey },
    );
    expect(csat.status).toBe(200);
    const body = await csat.json();
    expect(body.overall.n).toBeGreaterThan(5);
    expect(body.groups.map((g: { key: { team: string } }) => g.key.team)).toContain("help-desk");
    const goals = await t.request("/v1/goals/attainment?period=2026-11", { key: adminKey });
    expect((await goals.json()).data.length).toBeGreaterThan(0);
  });

  it("refuses to run on a database that already holds work", async () => {
    const before = await count("work_items");
    const outcome = await runDemo({
      ctx: t.ctx,
      input: { days: 1, ticketsPerDay: 1, seed: 1 },
    }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(DemoRefused);
    expect(await count("work_items")).toBe(before);
    expect(await count("api_keys", "name = 'demo admin'")).toBe(1);
  });
});
