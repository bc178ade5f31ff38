import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { escalationMetric } from "../metrics/escalation.ts";
import { csatMetric, npsMetric, responseRateMetric } from "../metrics/figures.ts";
import {
  CsatCountsSchema,
  MetricParams,
  metricResult,
  NpsCountsSchema,
  ResponseRateCountsSchema,
  RetentionCountsSchema,
  toMetricQuery,
} from "../metrics/params.ts";
import { retentionDims, retentionMetric } from "../metrics/retention.ts";

const metricsRead = requireScope("metrics:read");

const COMMON = `Answers \`{ overall, groups }\`: \`overall\` covers the whole period [from, to)
(each response once, within the filters); \`groups\` has one entry per bucket (with
\`interval\`) and group (with \`groupBy\`). Every entry has \`n\`, \`value\`, its counts, a 95%
\`interval\` and \`lowSample\` (n under \`minSample\`). Only recorded responses count:
quarantined and flagged ones never do. Each response is credited to every team and member that
touched its work item, late touches included (see \`credit\`).`;

const route = (path: string, summary: string, description: string, schema: z.ZodType) =>
  createRoute({
    method: "get",
    path,
    tags: ["Metrics"],
    summary,
    description: `${description}\n\n${COMMON}`,
    security: bearerSecurity,
    middleware: [metricsRead] as const,
    request: { query: MetricParams },
    responses: { 200: jsonContent(schema, summary), ...errorResponses(401, 403) },
  });

const csat = route(
  "/v1/metrics/csat",
  "CSAT % with counts per score",
  "CSAT % = positive / all recorded responses to CSAT surveys, by response time: on `csat3` the positive score is 3 (happy); on `csat5` it is 4 or 5. The interval is the Wilson score interval.",
  metricResult("CsatMetric", CsatCountsSchema, "CSAT %, 0-100."),
);

const nps = route(
  "/v1/metrics/nps",
  "NPS with promoters, passives and detractors",
  "NPS = % promoters (9-10) minus % detractors (0-6), from -100 to 100, over recorded responses to NPS surveys by response time. The interval is the normal interval NPS ± 1.96·SE with SE = sqrt((p_promoters + p_detractors − nps²) / n), nps as a fraction, clipped to -100..100.",
  metricResult("NpsMetric", NpsCountsSchema, "NPS, -100 to 100."),
);

const responseRate = route(
  "/v1/metrics/response-rate",
  "Response rate of invitations sent in the period",
  "Response rate = invitations sent in the period (by send time) that have a recorded response / invitations sent in the period, in %. Invitations are credited like responses (through their work item). The interval is the Wilson score interval.",
  metricResult("ResponseRateMetric", ResponseRateCountsSchema, "Response rate %, 0-100."),
);

const retention = route(
  "/v1/metrics/retention",
  "Client retention over [from, to)",
  "Client retention = clients active at `from` that are still active at `to`, divided by clients active at `from`, in %. A client is active at instant t when `activeSince` <= t and (`endedAt` is unset or `endedAt` > t). With `interval`, each bucket is its own [start, end). Groups (`groupBy` team, member, client, board, survey; combinable) and filters are sets of clients: a client belongs to a team (member) that touched one of its work items before `to`, to a board that held one of its work items opened before `to`, to a survey with an invitation sent to it before `to`, and to its own client group (`to` is the bucket's end with `interval`). Groups overlap: a client two teams served counts in both, and once in `overall`. Filters keep the clients in a filtered group; team, member and board hold together on one touch of one work item (a client on the `Projects` board touched by `help-desk` there). `n` is the clients active at the start; `credit` does not apply. The interval is the Wilson score interval.",
  metricResult("RetentionMetric", RetentionCountsSchema, "Retention %, 0-100."),
);

const EscalationFigure = (counts: z.ZodType) =>
  z.object({
    n: z.number(),
    value: z.number().nullable(),
    interval: z.object({ low: z.number(), high: z.number(), level: z.literal(0.95) }).nullable(),
    lowSample: z.boolean(),
    counts,
  });

const escalation = createRoute({
  method: "get",
  path: "/v1/metrics/escalation",
  tags: ["Metrics"],
  summary: "CSAT, NPS and resolution time for escalated versus single-team work",
  description: `The escalation view: work items touched by more than one team (\`multi-team\`), by one team (\`single-team\`) or by none (\`untouched\`). Each group has CSAT and NPS (same definitions and credit modes as their endpoints, grouped by \`escalation\`) and the open-to-close time of work items closed in [from, to) (median and mean hours). The filters narrow the times as they narrow CSAT and NPS: with \`team\` or \`member\`, only work items those teams or members touched. \`groupBy\` and \`interval\` are ignored. \`groupBy=escalation\` on the other metrics endpoints gives the same split with buckets.`,
  security: bearerSecurity,
  middleware: [metricsRead] as const,
  request: { query: MetricParams },
  responses: {
    200: jsonContent(
      z
        .object({
          from: z.string(),
          to: z.string(),
          credit: z.enum(["shared", "weighted"]),
          groups: z.array(
            z.object({
              escalation: z.enum(["multi-team", "single-team", "untouched"]),
              csat: EscalationFigure(CsatCountsSchema),
              nps: EscalationFigure(NpsCountsSchema),
              resolution: z.object({
                items: z.number(),
                medianHours: z.number().nullable(),
                meanHours: z.number().nullable(),
              }),
            }),
          ),
        })
        .openapi("EscalationMetric"),
      "Escalation view",
    ),
    ...errorResponses(401, 403),
  },
});

export const metricRoutes = createRouter()
  .openapi(csat, async (c) => {
    const input = toMetricQuery(c.req.valid("query"));
    return c.json(await csatMetric({ ctx: serviceContext(c.get("services")), input }), 200);
  })
  .openapi(nps, async (c) => {
    const input = toMetricQuery(c.req.valid("query"));
    return c.json(await npsMetric({ ctx: serviceContext(c.get("services")), input }), 200);
  })
  .openapi(responseRate, async (c) => {
    const input = toMetricQuery(c.req.valid("query"));
    return c.json(await responseRateMetric({ ctx: serviceContext(c.get("services")), input }), 200);
  })
  .openapi(retention, async (c) => {
    const input = toMetricQuery(c.req.valid("query"));
    const notApplicable = input.groupBy.filter(
      (dim) => !(retentionDims as readonly string[]).includes(dim),
    );
    if (notApplicable.length > 0) {
      throw new ApiError(
        "validation_failed",
        `Retention counts clients: no groupBy=${notApplicable.join(",")}.`,
        {
          errors: [
            {
              path: "groupBy",
              message: `use ${retentionDims.join(", ")} for retention`,
              in: "query",
            },
          ],
        },
      );
    }
    return c.json(await retentionMetric({ ctx: serviceContext(c.get("services")), input }), 200);
  })
  .openapi(escalation, async (c) => {
    const input = toMetricQuery(c.req.valid("query"));
    return c.json(await escalationMetric({ ctx: serviceContext(c.get("services")), input }), 200);
  });
