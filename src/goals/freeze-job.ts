import { and, eq, gte, notExists, or } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { goalAttainments, goals } from "../db/schema/index.ts";
import type { Job } from "../worker/runner.ts";
import { attainmentFor, finalizesAt } from "./attainment.ts";
import { localParts, type Period, periodContaining, periodRange } from "./calendar.ts";

/**
 * The months and quarters before the one `now` is in (UTC calendar) whose grace time may have
 * ended lately. A month's grace (`GOALS_FINALIZE_AFTER_HOURS`, up to 90 days) can end months after
 * it: every month that ended within one grace time (plus the 12 hours the zones span and a month)
 * is looked at, and quarters likewise, so each is frozen on the first run after its grace.
 */
function pastPeriods(now: Date, graceHours: number): Period[] {
  const { year, month } = localParts(now, "UTC");
  const spanHours = graceHours + 12;
  // Months are at least 28 days long and quarters at least 90.
  const months = Math.ceil(spanHours / (28 * 24)) + 1;
  const quarters = Math.ceil(spanHours / (90 * 24)) + 1;
  const periods: Period[] = [];
  const monthIndex = year * 12 + (month - 1);
  for (let back = 1; back <= months; back++) {
    const index = monthIndex - back;
    periods.push(periodContaining("month", Math.floor(index / 12), (index % 12) + 1));
  }
  const quarterIndex = year * 4 + Math.floor((month - 1) / 3);
  for (let back = 1; back <= quarters; back++) {
    const index = quarterIndex - back;
    periods.push(periodContaining("quarter", Math.floor(index / 4), (index % 4) * 3 + 1));
  }
  return periods;
}

/**
 * Freezes each month's and quarter's attainment as soon as its grace time passes, so a goal
 * edited later cannot change a period nobody happened to read in time.
 */
export const goalFreezeJob: Job = {
  name: "goal-attainment-freeze",
  async runOnce(ctx: ServiceContext) {
    let frozen = 0;
    const now = ctx.clock.now();
    for (const period of pastPeriods(now, ctx.config.GOALS_FINALIZE_AFTER_HOURS)) {
      // Cheap guard before any query: the grace time has passed in every zone (UTC-12..+14).
      const { end } = periodRange(period, "UTC");
      if (
        now <
        finalizesAt(new Date(end.getTime() + 12 * 3_600_000), ctx.config.GOALS_FINALIZE_AFTER_HOURS)
      ) {
        continue;
      }
      const candidates = await ctx.db
        .select({
          id: goals.id,
          active: goals.active,
          deactivatedAt: goals.deactivatedAt,
          createdAt: goals.createdAt,
          timezone: goals.timezone,
        })
        .from(goals)
        .where(
          and(
            // Deactivated after the period ended (in the earliest zone, UTC+14): it still
            // freezes that period; `attainmentFor` decides in the goal's own zone.
            or(
              eq(goals.active, true),
              gte(goals.deactivatedAt, new Date(end.getTime() - 14 * 3_600_000)),
            ),
            eq(goals.periodKind, period.kind),
            notExists(
              ctx.db
                .select({ one: goalAttainments.id })
                .from(goalAttainments)
                .where(
                  and(
                    eq(goalAttainments.goalId, goals.id),
                    eq(goalAttainments.period, period.label),
                  ),
                ),
            ),
          ),
        );
      // As `attainmentFor` decides: a goal deactivated before the period ended in its own zone
      // never freezes it, and must not keep this job busy. A period that had ended before the
      // goal was made is frozen only if someone asks for it.
      const unfrozen = new Set(
        candidates
          .filter((goal) => {
            const periodEnd = periodRange(period, goal.timezone).end;
            return (
              goal.createdAt < periodEnd &&
              (goal.active || (goal.deactivatedAt !== null && goal.deactivatedAt >= periodEnd))
            );
          })
          .map((goal) => goal.id),
      );
      if (unfrozen.size === 0) continue;
      const answers = await attainmentFor({ ctx, input: { period, goalIds: unfrozen } });
      // Only what this run froze is work done: periods frozen before are none.
      frozen += answers.filter((entry) => entry.final && unfrozen.has(entry.goal.id)).length;
    }
    return frozen;
  },
};
