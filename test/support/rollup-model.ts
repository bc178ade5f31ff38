import { eq, type SQL, sql } from "drizzle-orm";
import fc from "fast-check";
import { expect } from "vitest";
import { foldMetricRollups } from "../../src/attribution/positions.ts";
import type { ServiceContext } from "../../src/context.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { touches, workItems } from "../../src/db/schema/index.ts";
import type { GroupDim } from "../../src/metrics/query.ts";
import {
  type CountRow,
  type CountsInput,
  countScores,
  rollupDimFor,
} from "../../src/metrics/score-counts.ts";
import {
  createClient,
  createMember,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./factories.ts";

/*
 * The shared half of the rollup property tests: a small directory, random work on it (items,
 * touches moved, removed and corrected, boards changed, rollups folded), the query shapes and
 * windows to ask for, and the check that a rollup answer equals the recomputation from raw rows.
 */

/** Three teams, four members, two clients, a csat3 survey and an nps survey. */
export async function rollupDirectory(db: Db) {
  const ids = {
    teams: [] as string[],
    members: [] as string[],
    clients: [] as string[],
    surveys: [] as string[],
  };
  for (let i = 0; i < 3; i++) ids.teams.push((await createTeam(db)).id);
  for (let i = 0; i < 4; i++) ids.members.push((await createMember(db)).id);
  for (let i = 0; i < 2; i++) ids.clients.push((await createClient(db)).id);
  ids.surveys.push((await createSurvey(db, { scale: "csat3" })).id);
  ids.surveys.push((await createSurvey(db, { scale: "nps" })).id);
  return ids;
}

export type RollupDirectory = Awaited<ReturnType<typeof rollupDirectory>>;

// Mostly around the October/November edge, so month, day, hour and sub-hour ranges all occur.
export const instant = fc.oneof(
  fc
    .integer({ min: 0, max: 3 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-30T12:00:00Z") + m * 60_000)),
  fc
    .integer({ min: 0, max: 75 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-01T00:00:00Z") + m * 60_000)),
);

/** Writes to work items and their touches, and folding the rollups' deltas. */
export const workOps = [
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
] as const;

export type WorkOp = (typeof workOps)[number] extends fc.Arbitrary<infer T> ? T : never;

export const pick = <T>(list: T[], n: number) => list[n % list.length]!;

/** The work items made so far, and a count of writes that spreads touch times apart. */
export interface WorkState {
  items: string[];
  writes: number;
}

/** The item an op refers to; the first op of a run makes one when there is none yet. */
export async function ensureItem(
  db: Db,
  ids: RollupDirectory,
  state: WorkState,
  op: { kind: string },
) {
  if (op.kind === "item" || state.items.length === 0) {
    const o = op as Partial<Extract<WorkOp, { kind: "item" }>>;
    const client = op.kind === "item" ? o.client! : 0;
    const board = op.kind === "item" ? o.board! : "A";
    state.items.push((await createWorkItem(db, { clientId: ids.clients[client]!, board })).id);
  }
}

async function firstTouchOf(db: Db, workItemId: string) {
  const [touch] = await db
    .select()
    .from(touches)
    .where(eq(touches.workItemId, workItemId))
    .limit(1);
  return touch;
}

/** Applies one work op (after `ensureItem`). */
export async function applyWorkOp(
  ctx: ServiceContext,
  ids: RollupDirectory,
  state: WorkState,
  o: WorkOp,
) {
  const db = ctx.db;
  const item = (n: number) => pick(state.items, n);
  if (o.kind === "touch") {
    // Touches arrive at any time, also after the invitation was sent and answered.
    await createTouch(db, {
      workItemId: item(o.item),
      memberId: ids.members[o.member]!,
      teamId: ids.teams[o.team]!,
      minutes: o.minutes,
      at: new Date(Date.parse("2026-10-01T00:00:00Z") + state.writes * 1000 + o.item),
    }).catch(() => undefined); // the same touch twice is refused by its unique index
  } else if (o.kind === "board") {
    await db
      .update(workItems)
      .set({ board: o.board })
      .where(eq(workItems.id, item(o.item)));
  } else if (o.kind === "untouch") {
    const touch = await firstTouchOf(db, item(o.item));
    if (touch) await db.delete(touches).where(eq(touches.id, touch.id));
  } else if (o.kind === "retouch") {
    const touch = await firstTouchOf(db, item(o.item));
    if (touch) {
      await db
        .update(touches)
        .set({ workItemId: item(o.to), minutes: o.minutes })
        .where(eq(touches.id, touch.id))
        .catch(() => undefined); // the moved touch may already be on the other item
    }
  } else if (o.kind === "fold") {
    await foldMetricRollups(ctx);
  }
}

// Every shape the rollups serve (one dimension, maybe with the survey), and some they do not.
export const shapes: Array<{ groupBy: GroupDim[]; team?: number[]; client?: number }> = [
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

export const periodWindow = fc.record({
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
export const decimal = (text: string) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);

const canonical = (rows: CountRow[]) =>
  rows.map((r) => JSON.stringify([r.bucket, r.keys, r.surveyId, r.score, decimal(r.count)])).sort();

/**
 * Asks every shape in both credit modes, and expects each answer (rollups where they serve it)
 * to equal the recomputation from the raw rows; answers the rows and whether rollups served.
 */
export async function expectRollupsAgree(
  db: Db,
  ids: RollupDirectory,
  source: CountsInput["source"],
  segments: CountsInput["segments"],
  context: unknown,
): Promise<Array<{ rows: CountRow[]; served: boolean }>> {
  const answers: Array<{ rows: CountRow[]; served: boolean }> = [];
  for (const shape of shapes) {
    for (const credit of ["shared", "weighted"] as const) {
      const input: CountsInput = {
        source,
        segments,
        groupBy: shape.groupBy,
        filters: {
          ...(shape.team ? { team: shape.team.map((i) => ids.teams[i]!) } : {}),
          ...(shape.client !== undefined ? { client: [ids.clients[shape.client]!] } : {}),
        },
        credit,
        strategy: "auto",
      };
      const fast = await countScores(db, input);
      const raw = await countScores(db, { ...input, strategy: "raw", lines: "live" });
      expect(canonical(fast), JSON.stringify({ shape, credit, context })).toEqual(canonical(raw));
      answers.push({ rows: fast, served: rollupDimFor(input) !== null });
    }
  }
  return answers;
}

/** A rollup table's non-zero rows as sorted text, for comparing a rebuild with what was kept. */
export async function rollupSnapshot(db: Db, table: "metric_rollups" | "invitation_rollups") {
  const from: SQL = sql.raw(table);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select dim, grain, bucket, dim_key, survey_id, score, shared, weighted::text as weighted
      from ${from} where shared <> 0 or weighted <> 0`,
  );
  return rows
    .map((r) =>
      JSON.stringify({
        ...r,
        bucket: new Date(r.bucket as string).toISOString(),
        weighted: decimal(String(r.weighted)),
      }),
    )
    .sort();
}
