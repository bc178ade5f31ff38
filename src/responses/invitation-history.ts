import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import {
  clicks,
  invitationEvents,
  invitations,
  responses,
  surveys,
  workItems,
} from "../db/schema/index.ts";

/**
 * Each invitation of one work item with its response, history and a summary of its clicks,
 * for support questions such as "did the client ever get the survey, and who clicked?".
 * Undefined when the work item is unknown.
 */
export async function invitationHistory({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { externalId: string; kind: "ticket" | "project" };
}) {
  const [item] = await ctx.db
    .select({ id: workItems.id })
    .from(workItems)
    .where(and(eq(workItems.kind, input.kind), eq(workItems.externalId, input.externalId)));
  if (!item) return undefined;
  const rows = await ctx.db
    .select({ invitation: invitations, surveyKey: surveys.key })
    .from(invitations)
    .innerJoin(surveys, eq(surveys.id, invitations.surveyId))
    .where(eq(invitations.workItemId, item.id))
    .orderBy(asc(invitations.createdAt));
  const ids = rows.map((row) => row.invitation.id);
  if (ids.length === 0) return [];
  const [events, answers, clickCounts] = await Promise.all([
    ctx.db
      .select()
      .from(invitationEvents)
      .where(inArray(invitationEvents.invitationId, ids))
      .orderBy(asc(invitationEvents.at)),
    ctx.db.select().from(responses).where(inArray(responses.invitationId, ids)),
    queryRows<{
      invitation_id: string;
      verdict: string;
      count: number;
      first_at: string;
      last_at: string;
    }>(
      ctx.db,
      sql`select invitation_id, verdict, count(*)::int as count, min(at) as first_at, max(at) as last_at
          from ${clicks} where invitation_id in ${ids} group by invitation_id, verdict`,
    ),
  ]);
  return rows.map(({ invitation, surveyKey }) => {
    const mine = clickCounts.filter((row) => row.invitation_id === invitation.id);
    return {
      invitation,
      surveyKey,
      response: answers.find((answer) => answer.invitationId === invitation.id),
      events: events.filter((event) => event.invitationId === invitation.id),
      clicks: {
        total: mine.reduce((sum, row) => sum + row.count, 0),
        byVerdict: Object.fromEntries(mine.map((row) => [row.verdict, row.count])),
        firstAt: minDate(mine.map((row) => row.first_at)),
        lastAt: maxDate(mine.map((row) => row.last_at)),
      },
    };
  });
}

const minDate = (values: string[]) =>
  values.length ? new Date(Math.min(...values.map((v) => new Date(v).getTime()))) : null;
const maxDate = (values: string[]) =>
  values.length ? new Date(Math.max(...values.map((v) => new Date(v).getTime()))) : null;
