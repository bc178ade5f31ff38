import { and, eq, inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { type AttainmentStatus, goalAttainments } from "../db/schema/index.ts";
import { type Period, periodRange } from "./calendar.ts";
import { type Figure, goalFigure } from "./figures.ts";
import { type GoalView, listGoals } from "./goals.ts";

export interface Attainment {
  /** The goal as it is now; the fields below are those the figures were computed with. */
  goal: GoalView;
  metric: GoalView["metric"];
  period: string;
  from: Date;
  to: Date;
  target: number;
  minN: number;
  credit: GoalView["credit"];
  value: number | null;
  n: number;
  interval: { low: number; high: number } | null;
  status: AttainmentStatus;
  /** True once the period is frozen: the figures will never change again. */
  final: boolean;
  finalizedAt: Date | null;
}

/** `not_enough_data` below the goal's minimum n; otherwise the point estimate against the target. */
export function statusOf(figure: Figure, target: number, minN: number): AttainmentStatus {
  if (figure.value === null || figure.n < minN) return "not_enough_data";
  return figure.value >= target ? "met" : "not_met";
}

/** When a period's figures freeze: its end plus the grace time for late touches and changes. */
export function finalizesAt(end: Date, graceHours: number): Date {
  return new Date(end.getTime() + graceHours * 3_600_000);
}

/**
 * Attainment of every goal of the period's kind (monthly goals for `2026-11`, quarterly goals for
 * `2026-Q4`). An open period is computed live; a period past its grace time is answered from the
 * frozen rows, freezing any goal not frozen yet (the first reader or the worker does it, once).
 * Frozen rows are answered whatever the goal became since (another kind, metric or target, or
 * deactivated), and a goal deactivated after a period ended still answers and freezes it.
 */
export async function attainmentFor({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { period: Period; teamId?: string };
}): Promise<Attainment[]> {
  const { period } = input;
  // Every goal of the team: a frozen period stays answered after its goal changed kind.
  const all = await listGoals({ ctx, input: { teamId: input.teamId } });
  if (all.length === 0) return [];
  const frozen = await ctx.db
    .select()
    .from(goalAttainments)
    .where(
      and(
        eq(goalAttainments.period, period.label),
        inArray(
          goalAttainments.goalId,
          all.map((goal) => goal.id),
        ),
      ),
    );
  const frozenByGoal = new Map(frozen.map((row) => [row.goalId, row]));
  const now = ctx.clock.now();
  const answers: Attainment[] = [];
  for (const goal of all) {
    const row = frozenByGoal.get(goal.id);
    if (row) {
      answers.push(fromFrozen(goal, row));
      continue;
    }
    if (goal.periodKind !== period.kind) continue;
    const { start, end } = periodRange(period, goal.timezone);
    // A deactivated goal still answers (and freezes) the periods that ended while it was active.
    if (!goal.active && (goal.deactivatedAt ?? goal.updatedAt) < end) continue;
    const live = await computeAttainment(ctx, goal, period, start, end);
    if (now < finalizesAt(end, ctx.config.GOALS_FINALIZE_AFTER_HOURS)) {
      answers.push(live);
      continue;
    }
    answers.push(await freeze(ctx, live));
  }
  return answers;
}

async function computeAttainment(
  ctx: ServiceContext,
  goal: GoalView,
  period: Period,
  from: Date,
  to: Date,
): Promise<Attainment> {
  const figure = await goalFigure({
    ctx,
    input: {
      metric: goal.metric,
      team: goal.team.key,
      member: goal.member?.externalId ?? null,
      credit: goal.credit,
      from,
      to,
      timezone: goal.timezone,
    },
  });
  return {
    goal,
    metric: goal.metric,
    period: period.label,
    from,
    to,
    target: goal.target,
    minN: goal.minN,
    credit: goal.credit,
    value: figure.value,
    n: figure.n,
    interval: figure.interval,
    status: statusOf(figure, goal.target, goal.minN),
    final: false,
    finalizedAt: null,
  };
}

/** Stores the figures once; a concurrent freeze of the same goal and period keeps the first. */
async function freeze(ctx: ServiceContext, live: Attainment): Promise<Attainment> {
  await ctx.db
    .insert(goalAttainments)
    .values({
      goalId: live.goal.id,
      period: live.period,
      periodStart: live.from,
      periodEnd: live.to,
      metric: live.goal.metric,
      target: live.target,
      minN: live.minN,
      credit: live.credit,
      value: live.value,
      n: live.n,
      intervalLow: live.interval?.low ?? null,
      intervalHigh: live.interval?.high ?? null,
      status: live.status,
      finalizedAt: ctx.clock.now(),
    })
    .onConflictDoNothing();
  const [row] = await ctx.db
    .select()
    .from(goalAttainments)
    .where(and(eq(goalAttainments.goalId, live.goal.id), eq(goalAttainments.period, live.period)));
  return fromFrozen(live.goal, row!);
}

/** A frozen row: its metric and settings as frozen, with the goal as it is now. */
function fromFrozen(goal: GoalView, row: typeof goalAttainments.$inferSelect): Attainment {
  return {
    goal,
    metric: row.metric,
    period: row.period,
    from: row.periodStart,
    to: row.periodEnd,
    target: row.target,
    minN: row.minN,
    credit: row.credit,
    value: row.value,
    n: row.n,
    interval:
      row.intervalLow === null || row.intervalHigh === null
        ? null
        : { low: row.intervalLow, high: row.intervalHigh },
    status: row.status,
    final: true,
    finalizedAt: row.finalizedAt,
  };
}
