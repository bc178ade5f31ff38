import type { ServiceContext } from "../context.ts";
import type { GoalCredit, GoalMetric } from "../db/schema/index.ts";
import { csatMetric, npsMetric, responseRateMetric } from "../metrics/figures.ts";
import type { MetricQuery } from "../metrics/query.ts";

/** One metric figure as goals, digests and the dashboard use it. */
export interface Figure {
  value: number | null;
  n: number;
  interval: { low: number; high: number } | null;
}

export interface FigureQuery {
  metric: GoalMetric;
  /** Team key. */
  team: string;
  /** Member external id, for a personal goal. */
  member?: string | null;
  credit: GoalCredit;
  from: Date;
  to: Date;
  timezone: string;
}

export const metricFunctions = {
  csat: csatMetric,
  nps: npsMetric,
  "response-rate": responseRateMetric,
} as const;

/**
 * The figure of one team (or member) over [from, to): the metrics module's own computation
 * (`GET /v1/metrics/...` with the same team, member, credit and period), never a second formula.
 */
export async function goalFigure({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: FigureQuery;
}): Promise<Figure> {
  const query: MetricQuery = {
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    groupBy: [],
    interval: undefined,
    tz: input.timezone,
    filters: { team: [input.team], ...(input.member ? { member: [input.member] } : {}) },
    credit: input.credit,
    minSample: 30,
  };
  const result = await metricFunctions[input.metric]({ ctx, input: query });
  const { overall } = result;
  return {
    value: overall.value,
    n: overall.n,
    interval: overall.interval ? { low: overall.interval.low, high: overall.interval.high } : null,
  };
}
