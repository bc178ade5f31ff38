import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldMetricRollups } from "../src/attribution/positions.ts";
import { queryRows } from "../src/db/client.ts";
import { responses } from "../src/db/schema/index.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createResponse } from "./support/factories.ts";
import {
  applyWorkOp,
  ensureItem,
  expectRollupsAgree,
  instant,
  periodWindow,
  pick,
  type RollupDirectory,
  rollupDirectory,
  rollupSnapshot,
  type WorkState,
  workOps,
} from "./support/rollup-model.ts";

let t: TestApp;
let ids: RollupDirectory;
const work: WorkState = { items: [], writes: 0 };
const made: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  ids = await rollupDirectory(t.ctx.db);
});
afterAll(() => t.close());

const op = fc.oneof(
  ...workOps,
  fc.record({
    kind: fc.constant("response" as const),
    item: fc.option(fc.nat(), { freq: 5 }),
    survey: fc.nat(1),
    score: fc.nat(10),
    state: fc.constantFrom("recorded", "recorded", "quarantined", "flagged"),
    at: instant,
  }),
  fc.record({
    kind: fc.constant("change" as const),
    response: fc.nat(),
    state: fc.constantFrom("recorded", "quarantined"),
    score: fc.nat(10),
    at: instant,
  }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(o: Op) {
  const db = t.ctx.db;
  await ensureItem(db, ids, work, o);
  if (o.kind === "item") return;
  if (o.kind === "response") {
    const scale = o.survey === 0 ? "csat3" : "nps";
    const row = await createResponse(db, {
      surveyId: ids.surveys[o.survey]!,
      clientId: ids.clients[o.item === null ? 1 : 0]!,
      workItemId: o.item === null ? null : pick(work.items, o.item),
      scale,
      score: scale === "csat3" ? 1 + (o.score % 3) : o.score,
      state: o.state as "recorded",
      respondedAt: o.at,
    });
    made.push(row.id);
    work.writes += 1;
  } else if (o.kind === "change") {
    if (made.length === 0) return;
    const id = pick(made, o.response);
    const [row] = await db.select().from(responses).where(eq(responses.id, id));
    await db
      .update(responses)
      .set({
        state: o.state as "recorded",
        score: row!.scale === "csat3" ? 1 + (o.score % 3) : o.score,
        respondedAt: o.at,
      })
      .where(eq(responses.id, id));
  } else {
    await applyWorkOp(t.ctx, ids, work, o);
  }
}

describe("rollups answer exactly what a recomputation from the raw rows answers", () => {
  it("for random writes, both credit modes, any grouping, filter and zone", async () => {
    // A base of a few hundred random writes, then more before every check.
    for (const o of fc.sample(op, { numRuns: 300, seed: 7 })) await apply(o);
    let served = 0;
    let nonEmpty = 0;
    let months = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 30, size: "max" }),
        periodWindow,
        async (ops, w) => {
          for (const o of ops) await apply(o);
          const period = await resolvePeriod(t.ctx.db, w);
          const segments = segmentsOf(period.buckets);
          months += segments.filter((s) => s.grain === "month").length;
          for (const answer of await expectRollupsAgree(t.ctx.db, ids, "responses", segments, w)) {
            if (answer.served) served += 1;
            if (answer.rows.length > 0) nonEmpty += 1;
          }
        },
      ),
      { numRuns: 20, seed: 4242 },
    );
    // The property must have exercised the rollups on real data, not only empty answers.
    expect(served).toBeGreaterThan(400);
    expect(nonEmpty).toBeGreaterThan(300);
    expect(months).toBeGreaterThan(3);
    // The stored credit lines agree with a recomputation from the touches, too.
    const drift = await queryRows<{ n: number }>(
      t.ctx.db,
      sql`select count(*)::int as n from (
        (select work_item_id, member_id, team_id, weight from work_item_credits
          except select work_item_id, member_id, team_id, weight from work_item_credit_lines)
        union all
        (select work_item_id, member_id, team_id, weight from work_item_credit_lines
          except select work_item_id, member_id, team_id, weight from work_item_credits)) d`,
    );
    expect(drift[0]!.n).toBe(0);
  });

  it("a rebuild from scratch gives the same rollups as the triggers kept", async () => {
    await foldMetricRollups(t.ctx);
    const snapshot = () => rollupSnapshot(t.ctx.db, "metric_rollups");
    const kept = await snapshot();
    expect(kept.length).toBeGreaterThan(0);
    await queryRows(t.ctx.db, sql`select rapport_rollup_rebuild()`);
    expect(await snapshot()).toEqual(kept);
  });
});
