import { and, desc, eq, gte, isNotNull, lt, or, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { responses, touches } from "../db/schema/index.ts";
import { countOpenFollowups, oldestOpenFollowups } from "../followups/manage.ts";
import { attainmentFor } from "../goals/attainment.ts";
import { asKind, localParts, periodContaining } from "../goals/calendar.ts";
import { goalFigure } from "../goals/figures.ts";
import type { DigestComment, DigestContent, DigestFigure } from "./content.ts";

const COMMENTS = 3;
const FOLLOWUPS_LISTED = 5;

/** Gathers one team's digest for the week [from, to), with the week before for the trend. */
export async function composeDigest({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    team: { id: string; key: string; name: string };
    week: string;
    from: Date;
    to: Date;
    previousFrom: Date;
  };
}): Promise<DigestContent> {
  const { team, from, to, previousFrom } = input;
  const timeZone = ctx.config.DIGEST_TIMEZONE;
  const figures: DigestFigure[] = [];
  for (const [metric, label, unit] of [
    ["csat", "CSAT", "%"],
    ["nps", "NPS", ""],
  ] as const) {
    const query = { metric, team: team.key, credit: "shared", timezone: timeZone } as const;
    const [current, previous] = await Promise.all([
      goalFigure({ ctx, input: { ...query, from, to } }),
      goalFigure({ ctx, input: { ...query, from: previousFrom, to: from } }),
    ]);
    figures.push({ label, unit, current, previous });
  }

  // Goals as they stand for the month (and quarter) the reported week ends in.
  const last = localParts(new Date(to.getTime() - 1), timeZone);
  const month = periodContaining("month", last.year, last.month);
  const goals = [
    ...(await attainmentFor({ ctx, input: { period: month, teamId: team.id } })),
    ...(await attainmentFor({ ctx, input: { period: asKind(month, "quarter"), teamId: team.id } })),
  ];

  // Counted in full, as the dashboard counts them; the oldest are the longest open of all.
  const [counts, longestOpen] = await Promise.all([
    countOpenFollowups({ ctx, input: { teamId: team.id } }),
    oldestOpenFollowups({ ctx, input: { teamId: team.id, limit: FOLLOWUPS_LISTED } }),
  ]);
  const base = ctx.config.PUBLIC_BASE_URL;
  const oldest = longestOpen.map((followup) => ({
    id: followup.id,
    score: followup.response.score,
    scale: followup.response.scale,
    comment: followup.response.comment,
    openedAt: followup.openedAt,
    overdue: followup.overdue,
    url: `${base}/dashboard/followups/${followup.id}`,
  }));

  return {
    team: { key: team.key, name: team.name },
    week: input.week,
    from,
    to,
    timeZone,
    figures,
    goals,
    followups: { ...counts, oldest },
    comments: await bestComments(ctx, team.id, from, to),
    dashboardUrl: `${base}/dashboard/teams/${encodeURIComponent(team.key)}`,
  };
}

/**
 * The week's positive responses with a comment, credited to the team (it touched the work
 * item), best score first, then newest.
 */
async function bestComments(
  ctx: ServiceContext,
  teamId: string,
  from: Date,
  to: Date,
): Promise<DigestComment[]> {
  const positive = or(
    and(eq(responses.scale, "csat3"), eq(responses.score, 3)),
    and(eq(responses.scale, "csat5"), gte(responses.score, 4)),
    and(eq(responses.scale, "nps"), gte(responses.score, 9)),
  );
  const rows = await ctx.db
    .select({
      score: responses.score,
      scale: responses.scale,
      comment: responses.comment,
      respondedAt: responses.respondedAt,
    })
    .from(responses)
    .where(
      and(
        eq(responses.state, "recorded"),
        isNotNull(responses.comment),
        sql`length(trim(${responses.comment})) > 0`,
        gte(responses.respondedAt, from),
        lt(responses.respondedAt, to),
        positive,
        sql`exists (select 1 from ${touches} where ${touches.workItemId} = ${responses.workItemId} and ${touches.teamId} = ${teamId})`,
      ),
    )
    .orderBy(
      desc(
        sql`case ${responses.scale} when 'nps' then ${responses.score} / 10.0 when 'csat5' then ${responses.score} / 5.0 else ${responses.score} / 3.0 end`,
      ),
      desc(responses.respondedAt),
    )
    .limit(COMMENTS);
  return rows.map((row) => ({ ...row, comment: row.comment!.trim() }));
}
