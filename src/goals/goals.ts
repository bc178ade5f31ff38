import { and, asc, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  type GoalCredit,
  type GoalMetric,
  type GoalPeriodKind,
  goals,
  members,
  teams,
} from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";

export interface GoalInput {
  team: string;
  member?: string | null;
  name?: string | null;
  metric: GoalMetric;
  target: number;
  periodKind: GoalPeriodKind;
  minN?: number;
  credit?: GoalCredit;
  timezone?: string;
  active?: boolean;
}

export type GoalRow = typeof goals.$inferSelect;

export interface GoalView extends GoalRow {
  team: { id: string; key: string; name: string };
  member: { id: string; externalId: string; name: string } | null;
}

const selection = {
  goal: goals,
  team: { id: teams.id, key: teams.key, name: teams.name },
  member: { id: members.id, externalId: members.externalId, name: members.name },
};

type Selected = { goal: GoalRow; team: GoalView["team"]; member: GoalView["member"] };

function toView(row: Selected): GoalView {
  return { ...row.goal, team: row.team, member: row.member };
}

function baseQuery(ctx: Pick<ServiceContext, "db">) {
  return ctx.db
    .select(selection)
    .from(goals)
    .innerJoin(teams, eq(teams.id, goals.teamId))
    .leftJoin(members, eq(members.id, goals.memberId));
}

export async function listGoals({
  ctx,
  input = {},
}: {
  ctx: Pick<ServiceContext, "db">;
  input?: { teamId?: string; activeOnly?: boolean };
}): Promise<GoalView[]> {
  const conditions = [];
  if (input.teamId) conditions.push(eq(goals.teamId, input.teamId));
  if (input.activeOnly) conditions.push(eq(goals.active, true));
  const rows = await baseQuery(ctx)
    .where(and(...conditions))
    .orderBy(asc(teams.key), asc(goals.createdAt), asc(goals.id));
  return rows.map(toView);
}

export async function getGoal({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { id: string };
}): Promise<GoalView | undefined> {
  const [row] = await baseQuery(ctx).where(eq(goals.id, input.id));
  return row ? toView(row) : undefined;
}

/** Team key and member external id -> ids; unknown ones are a 400 naming the field. */
async function resolveOwners(
  ctx: Pick<ServiceContext, "db">,
  input: { team: string; member?: string | null | undefined },
): Promise<{ teamId: string; memberId: string | null }> {
  const [team] = await ctx.db.select({ id: teams.id }).from(teams).where(eq(teams.key, input.team));
  if (!team) {
    throw new ApiError("validation_failed", `No team has the key "${input.team}".`, {
      errors: [{ path: "team", message: "unknown team", in: "body" }],
    });
  }
  if (!input.member) return { teamId: team.id, memberId: null };
  const [member] = await ctx.db
    .select({ id: members.id })
    .from(members)
    .where(eq(members.externalId, input.member));
  if (!member) {
    throw new ApiError("validation_failed", `No member has the id "${input.member}".`, {
      errors: [{ path: "member", message: "unknown member", in: "body" }],
    });
  }
  return { teamId: team.id, memberId: member.id };
}

export async function createGoal({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: GoalInput;
}): Promise<GoalView> {
  const owners = await resolveOwners(ctx, input);
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(goals)
    .values({
      ...owners,
      name: input.name ?? null,
      metric: input.metric,
      target: input.target,
      periodKind: input.periodKind,
      minN: input.minN ?? 30,
      credit: input.credit ?? "shared",
      timezone: input.timezone ?? "UTC",
      active: input.active ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: goals.id });
  return (await getGoal({ ctx, input: { id: row!.id } }))!;
}

/**
 * Changes a goal. Periods already finalised keep the settings they were frozen with, so an edit
 * applies from the first period not yet finalised.
 */
export async function updateGoal({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { id: string; changes: Partial<GoalInput> };
}): Promise<GoalView | undefined> {
  const existing = await getGoal({ ctx, input: { id: input.id } });
  if (!existing) return undefined;
  const { team, member, ...rest } = input.changes;
  if ((rest.metric ?? existing.metric) !== "nps" && (rest.target ?? existing.target) < 0) {
    throw new ApiError("validation_failed", "target must be 0-100 for a percentage metric.", {
      errors: [{ path: "target", message: "must be 0-100 for a percentage metric", in: "body" }],
    });
  }
  const owners =
    team !== undefined || member !== undefined
      ? await resolveOwners(ctx, {
          team: team ?? existing.team.key,
          member: member === undefined ? existing.member?.externalId : member,
        })
      : {};
  const set = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const now = ctx.clock.now();
  // The moment it stopped counting: kept while it stays inactive, whatever else is edited.
  const deactivation =
    rest.active === false && existing.active
      ? { deactivatedAt: now }
      : rest.active === true
        ? { deactivatedAt: null }
        : {};
  await ctx.db
    .update(goals)
    .set({ ...set, ...owners, ...deactivation, updatedAt: now })
    .where(eq(goals.id, input.id));
  return getGoal({ ctx, input: { id: input.id } });
}
