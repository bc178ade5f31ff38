import { z } from "@hono/zod-openapi";
import { isKnownZone } from "../config.ts";
import { queryNumber } from "../http/openapi.ts";
import { instantOrDateInput } from "../instant.ts";
import {
  creditModes,
  type FilterDim,
  filterDims,
  groupDims,
  intervals,
  type MetricQuery,
} from "./query.ts";

const instantOrDate = instantOrDateInput();

const commaList = z.string().transform((v) =>
  v
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const filterParam = (what: string) =>
  commaList.optional().openapi({ description: `Only ${what} (comma-separated).` });

/** Query parameters shared by every metrics endpoint. */
export const MetricParams = z.object({
  from: instantOrDate.openapi({
    description:
      "Start of the period, inclusive: an RFC 3339 instant, or a date meaning midnight in `tz`.",
    example: "2026-01-01",
  }),
  to: instantOrDate.openapi({
    description: "End of the period, exclusive; same forms as `from`.",
    example: "2027-01-01",
  }),
  groupBy: z
    .string()
    .optional()
    .transform((v, c) => {
      const dims = (v ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean);
      for (const dim of dims) {
        if (!(groupDims as readonly string[]).includes(dim)) {
          c.addIssue({
            code: "custom",
            message: `unknown group \`${dim}\`; use ${groupDims.join(", ")}`,
          });
          return z.NEVER;
        }
      }
      return [...new Set(dims)] as MetricQuery["groupBy"];
    })
    .openapi({
      type: "string",
      description: `Comma-separated: ${groupDims.join(", ")}. \`escalation\` splits work touched by more than one team (\`multi-team\`), one team (\`single-team\`) or none (\`untouched\`).`,
      example: "team",
    }),
  interval: z.enum(intervals).optional().openapi({
    description:
      "Buckets: day, week (from Monday), month or quarter, with edges at local midnight in `tz`.",
  }),
  tz: z
    .string()
    .default("UTC")
    .refine(isKnownZone, "must be an IANA time zone such as Europe/Berlin")
    .openapi({
      description: "IANA time zone for bucket edges and date-only bounds.",
      example: "Europe/Berlin",
    }),
  credit: z.enum(creditModes).default("shared").openapi({
    description:
      "`shared`: every team and member that touched the work item counts the response once, in full (team figures overlap; `overall` counts each response once). `weighted`: each (member, team) pair that touched the item gets the share of its touch minutes on the item; team and member shares are the sums of their pairs' shares; when no minutes are known, each pair gets an equal share (so a team's share is its number of touching members over all touching member-team pairs). Counts are then fractional.",
  }),
  minSample: queryNumber(z.coerce.number().int().min(0).max(1_000_000).default(30), {
    type: "integer",
    minimum: 0,
    maximum: 1_000_000,
    default: 30,
    description: "`lowSample` is true when `n` is below this.",
  }),
  team: filterParam("these team keys"),
  member: filterParam("these member external ids"),
  client: filterParam("these client external ids"),
  survey: filterParam("these survey keys"),
  board: filterParam("these boards"),
});

export type MetricParams = z.infer<typeof MetricParams>;

export function toMetricQuery(params: MetricParams): MetricQuery {
  const filters: MetricQuery["filters"] = {};
  for (const dim of filterDims as readonly FilterDim[]) {
    if (params[dim] !== undefined) filters[dim] = params[dim];
  }
  return {
    from: params.from,
    to: params.to,
    groupBy: params.groupBy,
    interval: params.interval,
    tz: params.tz,
    filters,
    credit: params.credit,
    minSample: params.minSample,
  };
}

const IntervalSchema = z
  .object({ low: z.number(), high: z.number(), level: z.literal(0.95) })
  .nullable()
  .openapi({ description: "95% interval in the value's unit; null when n is 0." });

const entryFields = {
  n: z.number().openapi({ description: "The sample size (fractional in weighted mode)." }),
  value: z.number().nullable(),
  interval: IntervalSchema,
  lowSample: z.boolean().openapi({ description: "n is under `minSample` (default 30)." }),
};

const groupFields = {
  key: z.record(z.string(), z.string()).openapi({
    description:
      "The group: team key, member or client external id, board, survey key, escalation.",
  }),
  bucketStart: z
    .string()
    .optional()
    .openapi({ description: "The bucket's first instant (with `interval`)." }),
  bucketLocal: z
    .string()
    .optional()
    .openapi({ description: "The bucket's start as wall time in `tz`." }),
};

/** `{ from, to, credit, overall, groups }` with the metric's own counts. */
export function metricResult<C extends z.ZodType>(name: string, counts: C, value: string) {
  const figure = z.object({
    ...entryFields,
    value: z.number().nullable().openapi({ description: value }),
    counts,
  });
  return z
    .object({
      from: z.string(),
      to: z.string(),
      credit: z.enum(creditModes),
      overall: figure,
      groups: z.array(figure.extend(groupFields)),
    })
    .openapi(name);
}

export const CsatCountsSchema = z.object({
  positive: z.number(),
  scores: z.record(z.string(), z.record(z.string(), z.number())).openapi({
    description: "Counts per score for each scale present: `csat3` (1-3), `csat5` (1-5).",
  }),
});

export const NpsCountsSchema = z.object({
  promoters: z.number(),
  passives: z.number(),
  detractors: z.number(),
  scores: z.record(z.string(), z.number()).openapi({ description: "Counts per score 0-10." }),
});

export const ResponseRateCountsSchema = z.object({
  invitations: z.number(),
  responses: z.number(),
});

export const RetentionCountsSchema = z.object({
  activeAtStart: z.number(),
  stillActive: z.number(),
});
