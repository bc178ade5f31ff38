import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldMetricRollups } from "../src/attribution/positions.ts";
import { queryRows } from "../src/db/client.ts";
import { responses, touches, workItems } from "../src/db/schema/index.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import type { GroupDim } from "../src/metrics/query.ts";
import {
  type CountRow,
  type CountsInput,
  countScores,
  rollupDimFor,
} from "../src/metrics/score-counts.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./support/factories.ts";

let t: TestApp;
const ids = {
  teams: [] as string[],
  members: [] as string[],
  clients: [] as string[],
  surveys: [] as string[],
};
const items: string[] = [];
const made: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const db = t.ctx.db;
  for (let i = 0; i < 3; i++) ids.teams.push((await createTeam(db)).id);
  for (let i = 0; i < 4; i++) ids.members.push((await createMember(db)).id);
  for (let i = 0; i < 2; i++) ids.clients.push((await createClient(db)).id);
  ids.surveys.push((await createSurvey(db, { scale: "csat3" })).id);
  ids.surveys.push((await createSurvey(db, { scale: "nps" })).id);
});
afterAll(() => t.close());

// Mostly around the October/November edge, so month, day, hour and sub-hour ranges all occur.
const instant = fc.oneof(
  fc
    .integer({ min: 0, max: 3 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-30T12:00:00Z") + m * 60_000)),
  fc
    .integer({ min: 0, max: 75 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-01T00:00:00Z") + m * 60_000)),
);

const op = fc.oneof(
  fc.record({
    kind: fc.constant("item" as const),
    client: fc.nat(1),
    board: fc.constantFrom("A", "B", null),
  }),
  fc.record({
    kind: fc.constant("touch" as const),
    item: fc.nat(),
    member: fc.nat(3),
    team: fc.nat(2),
    minutes: fc.constantFrom(null, 0, 5, 7, 13, 30, 90),
  }),
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
  fc.record({
    kind: fc.constant("board" as const),
    item: fc.nat(),
    board: fc.constantFrom("A", "C", null),
  }),
  fc.record({ kind: fc.constant("untouch" as const), item: fc.nat() }),
  // A touch's minutes corrected, or the touch moved to another item.
  fc.record({
    kind: fc.constant("retouch" as const),
    item: fc.nat(),
    to: fc.nat(),
    minutes: fc.constantFrom(null, 0, 11, 60),
  }),
  fc.record({ kind: fc.constant("fold" as const) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function firstTouchOf(workItemId: string) {
  const [touch] = await t.ctx.db
    .select()
    .from(touches)
    .where(eq(touches.workItemId, workItemId))
    .limit(1);
  return touch;
}

async function apply(o: Op) {
  const db = t.ctx.db;
  const item = (n: number) => items[n % items.length]!;
  if (o.kind === "item" || items.length === 0) {
    const client = o.kind === "item" ? o.client : 0;
    const board = o.kind === "item" ? o.board : "A";
    items.push((await createWorkItem(db, { clientId: ids.clients[client]!, board })).id);
    if (o.kind === "item") return;
  }
  if (o.kind === "touch") {
    await createTouch(db, {
      workItemId: item(o.item),
      memberId: ids.members[o.member]!,
      teamId: ids.teams[o.team]!,
      minutes: o.minutes,
      at: new Date(Date.parse("2026-10-01T00:00:00Z") + made.length * 1000 + o.item),
    }).catch(() => undefined); // the same touch twice is refused by its unique index
  } else if (o.kind === "response") {
    const scale = o.survey === 0 ? "csat3" : "nps";
    const row = await createResponse(db, {
      surveyId: ids.surveys[o.survey]!,
      clientId: ids.clients[o.item === null ? 1 : 0]!,
      workItemId: o.item === null ? null : item(o.item),
      scale,
      score: scale === "csat3" ? 1 + (o.score % 3) : o.score,
      state: o.state as "recorded",
      respondedAt: o.at,
    });
    made.push(row.id);
  } else if (o.kind === "change" && made.length > 0) {
    const id = made[o.response % made.length]!;
    const [row] = await db.select().from(responses).where(eq(responses.id, id));
    await db
      .update(responses)
      .set({
        state: o.state as "recorded",
        score: row!.scale === "csat3" ? 1 + (o.score % 3) : o.score,
        respondedAt: o.at,
      })
      .where(eq(responses.id, id));
  } else if (o.kind === "board") {
    await db
      .update(workItems)
      .set({ board: o.board })
      .where(eq(workItems.id, item(o.item)));
  } else if (o.kind === "untouch") {
    const touch = await firstTouchOf(item(o.item));
    if (touch) await db.delete(touches).where(eq(touches.id, touch.id));
  } else if (o.kind === "retouch") {
    const touch = await firstTouchOf(item(o.item));
    if (touch) {
      await db
        .update(touches)
        .set({ workItemId: item(o.to), minutes: o.minutes })
        .where(eq(touches.id, touch.id))
        .catch(() => undefined); // the moved touch may already be on the other item
    }
  } else if (o.kind === "fold") {
    await foldMetricRollups(t.ctx);
  }
}

// Every shape the rollups serve (one dimension, maybe with the survey), and some they do not.
const shapes: Array<{ groupBy: GroupDim[]; team?: number[]; client?: number }> = [
  { groupBy: [] },
  { groupBy: ["team"] },
  { groupBy: ["member"] },
  { groupBy: ["client"] },
  { groupBy: ["board"] },
  { groupBy: ["escalation"] },
  { groupBy: ["survey"] },
  { groupBy: ["team", "survey"] },
  { groupBy: ["team"], team: [0, 2] },
  { groupBy: [], team: [1] },
  { groupBy: ["survey"], team: [0, 1] },
  { groupBy: [], client: 0 },
  { groupBy: ["member"], client: 1 },
];

const window = fc.record({
  tz: fc.constantFrom("UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"),
  from: fc.constantFrom(
    "2026-10-03",
    "2026-10-29",
    "2026-10-30T13:17:00Z",
    "2026-10-31T00:00:00+05:30",
  ),
  to: fc.constantFrom("2026-11-03", "2026-12-14T10:45:00Z", "2026-12-31"),
  interval: fc.constantFrom(
    undefined,
    "day" as const,
    "week" as const,
    "month" as const,
    "quarter" as const,
  ),
});

/** Decimal text without trailing zeros, so 1.50 and 1.5 compare equal (and exactly). */
const decimal = (text: string) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
const canonical = (rows: CountRow[]) =>
  rows.map((r) => JSON.stringify([r.bucket, r.keys, r.surveyId, r.score, decimal(r.count)])).sort();

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
        window,
        async (ops, w) => {
          for (const o of ops) await apply(o);
          const period = await resolvePeriod(t.ctx.db, w);
          months += segmentsOf(period.buckets).filter((s) => s.grain === "month").length;
          for (const shape of shapes) {
            for (const credit of ["shared", "weighted"] as const) {
              const input: CountsInput = {
                source: "responses",
                segments: segmentsOf(period.buckets),
                groupBy: shape.groupBy,
                filters: {
                  ...(shape.team ? { team: shape.team.map((i) => ids.teams[i]!) } : {}),
                  ...(shape.client !== undefined ? { client: [ids.clients[shape.client]!] } : {}),
                },
                credit,
                strategy: "auto",
              };
              const fast = await countScores(t.ctx.db, input);
              const raw = await countScores(t.ctx.db, { ...input, strategy: "raw", lines: "live" });
              expect(canonical(fast), JSON.stringify({ shape, credit, w })).toEqual(canonical(raw));
              if (rollupDimFor(input)) served += 1;
              if (fast.length > 0) nonEmpty += 1;
            }
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
    const snapshot = async () =>
      (
        await queryRows<Record<string, unknown>>(
          t.ctx.db,
          sql`select dim, grain, bucket, dim_key, survey_id, score, shared, weighted::text as weighted
            from metric_rollups where shared <> 0 or weighted <> 0`,
        )
      )
        .map((r) =>
          JSON.stringify({
            ...r,
            bucket: new Date(r.bucket as string).toISOString(),
            weighted: decimal(String(r.weighted)),
          }),
        )
        .sort();
    const kept = await snapshot();
    expect(kept.length).toBeGreaterThan(0);
    await queryRows(t.ctx.db, sql`select rapport_rollup_rebuild()`);
    expect(await snapshot()).toEqual(kept);
  });
});
