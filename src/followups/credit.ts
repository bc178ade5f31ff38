import { asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { followups, members, teams, workItemCredits } from "../db/schema/index.ts";

export interface CaseCredit {
  teams: { id: string; key: string; name: string }[];
  members: { id: string; name: string }[];
}

/**
 * The teams and members a case is about: its work item's credit as the metrics apply it now, so
 * a time entry logged after the answer (or a touch moved away) changes the case as it changes
 * the figures. The team and member ids stored on the case keep who was credited when it opened.
 */
export async function caseCredit(
  ctx: Pick<ServiceContext, "db">,
  workItemIds: (string | null)[],
): Promise<Map<string, CaseCredit>> {
  const ids = [...new Set(workItemIds.filter((id): id is string => id !== null))];
  const byItem = new Map<string, CaseCredit>();
  if (ids.length === 0) return byItem;
  const rows = await ctx.db
    .selectDistinct({
      workItemId: workItemCredits.workItemId,
      team: { id: teams.id, key: teams.key, name: teams.name },
      member: { id: members.id, name: members.name },
    })
    .from(workItemCredits)
    .innerJoin(teams, eq(teams.id, workItemCredits.teamId))
    .innerJoin(members, eq(members.id, workItemCredits.memberId))
    .where(inArray(workItemCredits.workItemId, ids))
    .orderBy(asc(workItemCredits.workItemId), asc(teams.key), asc(members.name), asc(members.id));
  for (const row of rows) {
    const credit = byItem.get(row.workItemId) ?? { teams: [], members: [] };
    if (!credit.teams.some((team) => team.id === row.team.id)) credit.teams.push(row.team);
    if (!credit.members.some((member) => member.id === row.member.id)) {
      credit.members.push(row.member);
    }
    byItem.set(row.workItemId, credit);
  }
  return byItem;
}

/** Cases whose work item is credited to the team now (see `caseCredit`). */
export function creditedToTeam(teamId: string): SQL {
  return sql`exists (select 1 from ${workItemCredits}
    where ${workItemCredits.workItemId} = ${followups.workItemId}
      and ${workItemCredits.teamId} = ${teamId}::uuid)`;
}
