import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { canonicalEvent } from "./support/factories.ts";

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("events:write");
});
afterAll(() => t.close());

const count = async (table: string) =>
  (await queryRows<{ n: number }>(t.ctx.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]!
    .n;

describe("concurrent events sharing brand-new directory rows", () => {
  it("record every event once, with no error, however they interleave", async () => {
    // Eight tickets over two new clients, two new teams and three new members, each sent three
    // times at once: shared rows are created by whichever event comes first.
    const events = Array.from({ length: 8 }, (_, i) =>
      canonicalEvent({
        client: { externalId: `shared-client-${i % 2}`, name: `Shared ${i % 2}` },
        touches: [0, 1, 2].map((j) => ({
          member: { externalId: `shared-member-${(i + j) % 3}`, name: `Member ${(i + j) % 3}` },
          team: j === 2 ? "shared-escalations" : "shared-desk",
          at: `2026-11-18T1${j}:00:00Z`,
          minutes: 10 * (j + 1),
          role: j === 0 ? ("owner" as const) : ("resource" as const),
        })),
      }),
    );
    const before = { events: await count("events"), touches: await count("touches") };
    const answers = await Promise.all(
      events.flatMap((event) => [0, 1, 2].map(() => t.request("/v1/events", { key, json: event }))),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 202));
    const bodies = await Promise.all(answers.map((answer) => answer.json()));
    expect(bodies.filter((body) => body.duplicate === false)).toHaveLength(events.length);

    expect(await count("events")).toBe(before.events + events.length);
    expect(await count("touches")).toBe(before.touches + events.length * 3);
    const [shared] = await queryRows<{ clients: number; members: number; teams: number }>(
      t.ctx.db,
      sql`select
        (select count(*)::int from clients where external_id like 'shared-client-%') as clients,
        (select count(*)::int from members where external_id like 'shared-member-%') as members,
        (select count(*)::int from teams where key like 'shared-%') as teams`,
    );
    expect(shared).toEqual({ clients: 2, members: 3, teams: 2 });
  });
});
