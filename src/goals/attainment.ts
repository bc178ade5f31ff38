import { and, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { type AttainmentStatus, goalAttainments, members, teams } from "../db/schema/index.ts";
import { type Period, periodRange } from "./calendar.ts";
import { type Figure, goalFigure } from "./figures.ts";
import { type GoalView, listGoals } from "./goals.ts";

export interface Attainment {
  /** The goal as it is now; the fields below are those the figures were computed with. */
  goal: GoalView;
  /** The team the figures are of: the goal's when they froze, which a later edit may move. */
  team: GoalView["team"];
  member: GoalView["member"];
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

type FrozenRow = typeof goalAttainments.$inferSelect & {
  frozenTeam: GoalView["team"];
  frozenMember: GoalView["member"];
};

/**
 * Attainment of every goal of the period's kind (monthly goals for `2026-11`, quarterly goals for
 * `2026-Q4`), of one team's when `teamId` is given. An open period is computed live; a period
 * past its grace time is answered from the frozen rows, freezing any goal not frozen yet (the
 * first reader or the worker does it, once). Frozen rows are answered whatever the goal became
 * since (another team or member, kind, metric or target, or deactivated): under the team they
 * froze with. A goal deactivated after a period ended still answers and freezes it.
 * `goalIds`, when given, limits the answer (and the freezing) to those goals.
 */
export async function attainmentFor({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { period: Period; teamId?: string; goalIds?: ReadonlySet<string> };
}): Promise<Attainment[]> {
  const { period, teamId, goalIds } = input;
  // Every goal: a frozen period stays answered after its goal moved to another team or kind.
  const all = (await listGoals({ ctx })).filter((goal) => !goalIds || goalIds.has(goal.id));
  if (all.length === 0) return [];
  const frozenByGoal = new Map(
    (await frozenRows(ctx, period.label)).map((row) => [row.goalId, row]),
  );
  const now = ctx.clock.now();
  const answers: Attainment[] = [];
  for (const goal of all) {
    const row = frozenByGoal.get(goal.id);
    if (row) {
      if (!teamId || row.teamId === teamId) answers.push(fromFrozen(goal, row));
      continue;
    }
    if (goal.periodKind !== period.kind || (teamId && goal.team.id !== teamId)) continue;
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

/** A period's frozen rows, with the team and member each froze with. */
async function frozenRows(
  ctx: Pick<ServiceContext, "db">,
  period: string,
  goalId?: string,
): Promise<FrozenRow[]> {
  const rows = await ctx.db
    .select({
      row: goalAttainments,
      team: { id: teams.id, key: teams.key, name: teams.name },
      member: { id: members.id, externalId: members.externalId, name: members.name },
    })
    .from(goalAttainments)
    .innerJoin(teams, eq(teams.id, goalAttainments.teamId))
    .leftJoin(members, eq(members.id, goalAttainments.memberId))
    .where(
      goalId === undefined
        ? eq(goalAttainments.period, period)
        : and(eq(goalAttainments.period, period), eq(goalAttainments.goalId, goalId)),
    );
  return rows.map(({ row, team, member }) => ({ ...row, frozenTeam: team, frozenMember: member }));
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
    team: goal.team,
    member: goal.member,
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
      teamId: live.team.id,
      memberId: live.member?.id ?? null,
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
  const [row] = await frozenRows(ctx, live.period, live.goal.id);
  return fromFrozen(live.goal, row!);
}

/** A frozen row: its team, metric and settings as frozen, with the goal as it is now. */
function fromFrozen(goal: GoalView, row: FrozenRow): Attainment {
  return {
    goal,
    team: row.frozenTeam,
    member: row.frozenMember,
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
