import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { isKnownZone } from "../config.ts";
import { goalCreditModes, goalMetrics, goalPeriodKinds, teams } from "../db/schema/index.ts";
import { type Attainment, attainmentFor } from "../goals/attainment.ts";
import { parsePeriod } from "../goals/calendar.ts";
import { createGoal, type GoalView, getGoal, listGoals, updateGoal } from "../goals/goals.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const METRIC_UNITS =
  "`csat` and `response-rate` targets are percentages (0-100); `nps` targets are -100..100.";

const Goal = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    team: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
    member: z.object({ id: z.uuid(), externalId: z.string(), name: z.string() }).nullable(),
    metric: z.enum(goalMetrics),
    target: z.number(),
    periodKind: z.enum(goalPeriodKinds),
    minN: z.int(),
    credit: z.enum(goalCreditModes),
    timezone: z.string(),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Goal");

const GoalFields = z.object({
  team: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .openapi({ description: "Team key.", example: "help-desk" }),
  member: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .nullish()
    .openapi({ description: "A member's PSA id, for a personal goal within the team." }),
  name: z.string().trim().max(200).nullish(),
  metric: z.enum(goalMetrics).openapi({ description: METRIC_UNITS }),
  target: z.number().min(-100).max(100),
  periodKind: z.enum(goalPeriodKinds),
  minN: z.int().min(1).max(1_000_000).default(30).openapi({
    description: "Below this many responses (or invitations) the answer is `not_enough_data`.",
  }),
  credit: z.enum(goalCreditModes).default("shared").openapi({
    description: "`shared`: every team that touched a work item counts its response in full.",
  }),
  timezone: z
    .string()
    .refine(isKnownZone, "must be an IANA time zone")
    .default("UTC")
    .openapi({ description: "Zone whose midnights bound the goal's months and quarters." }),
  active: z.boolean().default(true),
});

const targetInRange = (value: { metric?: string; target?: number }) =>
  value.target === undefined || value.metric === "nps" || value.target >= 0;

const CreateGoal = GoalFields.refine(targetInRange, {
  path: ["target"],
  message: "must be 0-100 for a percentage metric",
}).openapi("CreateGoal");

const UpdateGoal = z
  .object({
    team: GoalFields.shape.team.optional(),
    member: GoalFields.shape.member,
    name: GoalFields.shape.name,
    metric: GoalFields.shape.metric.optional(),
    target: GoalFields.shape.target.optional(),
    periodKind: GoalFields.shape.periodKind.optional(),
    minN: z.int().min(1).max(1_000_000).optional(),
    credit: z.enum(goalCreditModes).optional(),
    timezone: z.string().refine(isKnownZone, "must be an IANA time zone").optional(),
    active: z.boolean().optional(),
  })
  .openapi("UpdateGoal");

const AttainmentEntry = z
  .object({
    goal: Goal.openapi({
      description:
        "The goal as it is now. `team`, `member`, `metric`, `target`, `minN` and `credit` of the entry are those its figures were computed (or frozen) with.",
    }),
    team: Goal.shape.team.openapi({
      description: "The team the figures are of: the goal's team when they froze.",
    }),
    member: Goal.shape.member,
    metric: z.enum(goalMetrics),
    period: z.string().openapi({ example: "2026-11" }),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    target: z.number(),
    minN: z.int(),
    credit: z.enum(goalCreditModes),
    value: z.number().nullable().openapi({ description: "The actual figure; null without data." }),
    n: z.number().openapi({ description: "Responses counted (invitations for response rate)." }),
    interval: z
      .object({ low: z.number(), high: z.number() })
      .nullable()
      .openapi({ description: "95% interval, in the metric's unit." }),
    status: z.enum(["met", "not_met", "not_enough_data"]),
    final: z.boolean().openapi({
      description: "True once the period is frozen: these figures will never change again.",
    }),
    finalizedAt: z.iso.datetime().nullable(),
  })
  .openapi("GoalAttainment");

const IdParam = z.object({ id: z.uuid() });
const read = requireScope("metrics:read");
const admin = requireScope("admin");
const tags = ["Goals"];

const list = createRoute({
  method: "get",
  path: "/v1/goals",
  tags,
  summary: "List goals",
  security: bearerSecurity,
  middleware: [read] as const,
  request: { query: z.object({ team: z.string().optional() }) },
  responses: {
    200: jsonContent(z.object({ data: z.array(Goal) }), "Goals, by team."),
    ...errorResponses(401, 403),
  },
});

const attainment = createRoute({
  method: "get",
  path: "/v1/goals/attainment",
  tags,
  summary: "Goal attainment for a month or quarter",
  description: `Per goal of the period's kind (monthly goals for \`2026-11\`, quarterly goals for
\`2026-Q4\`): the actual value, n, 95% interval, target and status. \`met\` when the value reaches
the target, \`not_met\` below it, \`not_enough_data\` when n is under the goal's minimum.

Reproducible: a period is computed live until GOALS_FINALIZE_AFTER_HOURS after its end, then its
figures are frozen (\`final: true\`) with the goal's settings of that moment; later responses,
late touches and goal edits never change a frozen period: it is answered with the metric and
settings it was frozen with, also after the goal changed kind or was deactivated, and under the
team (and member) it was frozen with, also after the goal moved to another: \`team=\` selects
frozen periods by that team. A goal deactivated after a period ended still answers (and
freezes) that period. ${METRIC_UNITS}`,
  security: bearerSecurity,
  middleware: [read] as const,
  request: {
    query: z.object({
      period: z
        .string()
        .openapi({ description: "`YYYY-MM` or `YYYY-Qn`, years 1900-9999.", example: "2026-11" }),
      team: z.string().optional().openapi({
        description:
          "Only this team's goals (team key); frozen periods by the team they froze with.",
      }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ period: z.string(), data: z.array(AttainmentEntry) }),
      "Attainment per goal.",
    ),
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/goals/{id}",
  tags,
  summary: "One goal",
  security: bearerSecurity,
  middleware: [read] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(Goal, "The goal."), ...errorResponses(401, 403, 404) },
});

const create = createRoute({
  method: "post",
  path: "/v1/goals",
  tags,
  summary: "Create a goal",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateGoal } } } },
  responses: { 201: jsonContent(Goal, "The new goal."), ...errorResponses(401, 403) },
});

const update = createRoute({
  method: "patch",
  path: "/v1/goals/{id}",
  tags,
  summary: "Change a goal (frozen periods keep their settings)",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: UpdateGoal } } },
  },
  responses: { 200: jsonContent(Goal, "The changed goal."), ...errorResponses(401, 403, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/goals/{id}",
  tags,
  summary: "Deactivate a goal (its frozen attainment stays)",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(Goal, "The deactivated goal."), ...errorResponses(401, 403, 404) },
});

export function goalJson(goal: GoalView) {
  return {
    id: goal.id,
    name: goal.name,
    team: goal.team,
    member: goal.member,
    metric: goal.metric,
    target: goal.target,
    periodKind: goal.periodKind,
    minN: goal.minN,
    credit: goal.credit,
    timezone: goal.timezone,
    active: goal.active,
    createdAt: goal.createdAt.toISOString(),
    updatedAt: goal.updatedAt.toISOString(),
  };
}

function attainmentJson(entry: Attainment) {
  return {
    ...entry,
    goal: goalJson(entry.goal),
    from: entry.from.toISOString(),
    to: entry.to.toISOString(),
    finalizedAt: entry.finalizedAt?.toISOString() ?? null,
  };
}

async function teamIdOf(ctx: ReturnType<typeof serviceContext>, key: string | undefined) {
  if (key === undefined) return undefined;
  const [team] = await ctx.db.select({ id: teams.id }).from(teams).where(eq(teams.key, key));
  if (!team) {
    throw new ApiError("validation_failed", `No team has the key "${key}".`, {
      errors: [{ path: "team", message: "unknown team", in: "query" }],
    });
  }
  return team.id;
}

function notFound(): never {
  throw new ApiError("not_found", "No goal has this id.");
}

export const goalRoutes = createRouter()
  .openapi(list, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const teamId = await teamIdOf(ctx, c.req.valid("query").team);
    const rows = await listGoals({ ctx, input: { teamId } });
    return c.json({ data: rows.map(goalJson) }, 200);
  })
  .openapi(attainment, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const query = c.req.valid("query");
    const period = parsePeriod(query.period);
    if (!period) {
      throw new ApiError("validation_failed", "period must be YYYY-MM or YYYY-Qn.", {
        errors: [{ path: "period", message: "must be YYYY-MM or YYYY-Qn", in: "query" }],
      });
    }
    const teamId = await teamIdOf(ctx, query.team);
    const entries = await attainmentFor({ ctx, input: { period, teamId } });
    return c.json({ period: period.label, data: entries.map(attainmentJson) }, 200);
  })
  .openapi(get, async (c) => {
    const goal = await getGoal({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return goal ? c.json(goalJson(goal), 200) : notFound();
  })
  .openapi(create, async (c) => {
    const goal = await createGoal({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    return c.json(goalJson(goal), 201);
  })
  .openapi(update, async (c) => {
    const changes = c.req.valid("json");
    const goal = await updateGoal({
      ctx: serviceContext(c.get("services")),
      input: { id: c.req.valid("param").id, changes },
    });
    return goal ? c.json(goalJson(goal), 200) : notFound();
  })
  .openapi(remove, async (c) => {
    const goal = await updateGoal({
      ctx: serviceContext(c.get("services")),
      input: { id: c.req.valid("param").id, changes: { active: false } },
    });
    return goal ? c.json(goalJson(goal), 200) : notFound();
  });
