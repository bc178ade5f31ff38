import { OpenAPIHono } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import type { Context } from "hono";
import { grants } from "../apikeys/scopes.ts";
import { members, teams } from "../db/schema/index.ts";
import { countOpenFollowups } from "../followups/manage.ts";
import { attainmentFor } from "../goals/attainment.ts";
import { asKind, localParts, periodContaining } from "../goals/calendar.ts";
import { serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { EscalationsPage, MemberPage, OverviewPage, TeamPage, TeamsPage } from "./figure-views.tsx";
import { escalationFigures, figuresBy, metricCards, windowAt } from "./figures.ts";
import { type DashboardEnv, requireSession } from "./http.ts";
import { type PageFrame, renderPage } from "./layout.tsx";
import { csrfTokenFor } from "./sessions.ts";

function frame(c: Context<DashboardEnv>, title: string, section: PageFrame["section"]): PageFrame {
  const session = c.get("session");
  return {
    title,
    section,
    session: { keyName: session.apiKey.name, csrf: csrfTokenFor(session.token) },
  };
}

async function currentGoals(ctx: ReturnType<typeof serviceContext>, teamId?: string) {
  const now = localParts(ctx.clock.now(), "UTC");
  const month = periodContaining("month", now.year, now.month);
  return [
    ...(await attainmentFor({ ctx, input: { period: month, teamId } })),
    ...(await attainmentFor({ ctx, input: { period: asKind(month, "quarter"), teamId } })),
  ];
}

function allTeams(ctx: ReturnType<typeof serviceContext>) {
  return ctx.db
    .select({ id: teams.id, key: teams.key, name: teams.name, leadEmail: teams.leadEmail })
    .from(teams)
    .orderBy(asc(teams.name));
}

/** Overview, team, member and escalation pages: the metrics module's figures, drawn. */
export const dashboardPages = new OpenAPIHono<DashboardEnv>();

dashboardPages.get("/dashboard", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const window = windowAt(ctx.clock.now());
  const [cards, teamRows, byTeam, goals, followups] = await Promise.all([
    metricCards(ctx, window, {}, ["csat", "nps", "response-rate", "retention"]),
    allTeams(ctx),
    figuresBy(ctx, window, "team", {}),
    currentGoals(ctx),
    countOpenFollowups({ ctx, input: {} }),
  ]);
  const page = OverviewPage({
    ...frame(c, "Overview", "overview"),
    window,
    cards,
    teams: teamRows,
    byTeam,
    goals,
    followups,
  });
  return c.html(await renderPage(page));
});

dashboardPages.get("/dashboard/teams", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const window = windowAt(ctx.clock.now());
  const [teamRows, byTeam] = await Promise.all([allTeams(ctx), figuresBy(ctx, window, "team", {})]);
  const page = TeamsPage({ ...frame(c, "Teams", "teams"), window, teams: teamRows, byTeam });
  return c.html(await renderPage(page));
});

dashboardPages.get("/dashboard/teams/:key", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const key = c.req.param("key");
  const [team] = await ctx.db
    .select({ id: teams.id, key: teams.key, name: teams.name, leadEmail: teams.leadEmail })
    .from(teams)
    .where(eq(teams.key, key));
  if (!team) throw new ApiError("not_found", "There is no team with this key.");
  // The lead's address is directory data: shown, as the API does, only to `responses:read`.
  if (!grants(c.get("session").apiKey.scopes, "responses:read")) team.leadEmail = null;
  const window = windowAt(ctx.clock.now());
  const filters = { team: [team.key] };
  const [cards, memberRows, byMember, goals, followups] = await Promise.all([
    metricCards(ctx, window, filters, ["csat", "nps", "response-rate"]),
    ctx.db
      .select({ externalId: members.externalId, name: members.name })
      .from(members)
      .where(eq(members.teamId, team.id))
      .orderBy(asc(members.name)),
    figuresBy(ctx, window, "member", filters),
    currentGoals(ctx, team.id),
    countOpenFollowups({ ctx, input: { teamId: team.id } }),
  ]);
  const page = TeamPage({
    ...frame(c, team.name, "teams"),
    team,
    window,
    cards,
    members: memberRows,
    byMember,
    goals,
    followups,
  });
  return c.html(await renderPage(page));
});

dashboardPages.get("/dashboard/members/:externalId", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const [row] = await ctx.db
    .select({
      externalId: members.externalId,
      name: members.name,
      teamKey: teams.key,
      teamName: teams.name,
    })
    .from(members)
    .leftJoin(teams, eq(teams.id, members.teamId))
    .where(eq(members.externalId, c.req.param("externalId")));
  if (!row) throw new ApiError("not_found", "There is no member with this id.");
  const window = windowAt(ctx.clock.now());
  const cards = await metricCards(ctx, window, { member: [row.externalId] }, ["csat", "nps"]);
  const member = {
    externalId: row.externalId,
    name: row.name,
    team: row.teamKey && row.teamName ? { key: row.teamKey, name: row.teamName } : null,
  };
  const page = MemberPage({ ...frame(c, row.name, "teams"), member, window, cards });
  return c.html(await renderPage(page));
});

dashboardPages.get("/dashboard/escalations", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const window = windowAt(ctx.clock.now());
  const result = await escalationFigures(ctx, window);
  const page = EscalationsPage({
    ...frame(c, "Escalations", "escalations"),
    window,
    groups: result.groups,
  });
  return c.html(await renderPage(page));
});
