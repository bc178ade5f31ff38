import { eq, inArray } from "drizzle-orm";
import type { Clock, ServiceContext } from "../context.ts";
import { clients, followups, members, teams } from "../db/schema/index.ts";
import { updateFollowup } from "../followups/manage.ts";
import { createGoal } from "../goals/goals.ts";
import { demoClients, demoMembers, demoTeams } from "./demo-data.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A clock the demo moves through the past, so every row carries a realistic time. */
export class DemoClock implements Clock {
  constructor(public at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
}

/** A small seeded generator: the same seed gives the same demo. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** Team names and leads, and client tenure (one long-standing client left recently). */
export async function finishDirectory(ctx: ServiceContext, start: Date, end: Date) {
  // Every team and member exists even when a short demo never reached their work.
  for (const team of demoTeams) {
    await ctx.db
      .insert(teams)
      .values({ key: team.key, name: team.name, leadEmail: team.lead })
      .onConflictDoUpdate({ target: teams.key, set: { name: team.name, leadEmail: team.lead } });
  }
  const teamIds = await ctx.db.select({ id: teams.id, key: teams.key }).from(teams);
  for (const member of demoMembers) {
    const teamId = teamIds.find((team) => team.key === member.team)!.id;
    await ctx.db
      .insert(members)
      .values({ externalId: member.externalId, name: member.name, teamId })
      .onConflictDoUpdate({ target: members.externalId, set: { teamId } });
  }
  await ctx.db
    .update(clients)
    .set({ activeSince: new Date(start.getTime() - 400 * DAY) })
    .where(
      inArray(
        clients.externalId,
        demoClients.map((client) => client.externalId),
      ),
    );
  await ctx.db
    .update(clients)
    .set({ endedAt: new Date(end.getTime() - 12 * DAY) })
    .where(eq(clients.externalId, "fjord"));
}

/** Most older cases resolved with a note, some acknowledged, the newest left open. */
export async function workFollowups(
  ctx: ServiceContext,
  rng: ReturnType<typeof random>,
  end: Date,
) {
  const clock = ctx.clock as DemoClock;
  const cases = await ctx.db
    .select({ id: followups.id, openedAt: followups.openedAt })
    .from(followups);
  for (const followup of cases) {
    const age = end.getTime() - followup.openedAt.getTime();
    if (age < 2 * DAY) continue;
    clock.at = new Date(followup.openedAt.getTime() + rng.int(1, 20) * HOUR);
    if (age > 10 * DAY && rng.chance(0.85)) {
      await updateFollowup({
        ctx,
        input: {
          id: followup.id,
          author: "Ana Lopez",
          state: "resolved",
          note: rng.pick([
            "Called the client, issue fixed and apology made.",
            "Root cause found (expired certificate); renewed and monitored.",
            "Walked the contact through the fix on site.",
          ]),
        },
      });
    } else if (rng.chance(0.5)) {
      await updateFollowup({
        ctx,
        input: { id: followup.id, author: "Ben Kim", state: "acknowledged", owner: "Ben Kim" },
      });
    }
  }
  clock.at = end;
  return cases.length;
}

export async function addGoals(ctx: ServiceContext): Promise<number> {
  const goals = [
    { team: "help-desk", metric: "csat", target: 85, periodKind: "month", minN: 20 },
    { team: "help-desk", metric: "response-rate", target: 40, periodKind: "quarter", minN: 30 },
    { team: "projects", metric: "nps", target: 30, periodKind: "quarter", minN: 3 },
    { team: "centralized-services", metric: "csat", target: 80, periodKind: "month", minN: 5 },
    {
      team: "technical-alignment",
      metric: "csat",
      target: 90,
      periodKind: "quarter",
      minN: 5,
      credit: "weighted",
    },
    {
      team: "help-desk",
      member: "alopez",
      metric: "csat",
      target: 85,
      periodKind: "quarter",
      minN: 10,
    },
  ] as const;
  for (const goal of goals) await createGoal({ ctx, input: { ...goal } });
  return goals.length;
}
