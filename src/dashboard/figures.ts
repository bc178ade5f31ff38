import type { ServiceContext } from "../context.ts";
import { escalationMetric } from "../metrics/escalation.ts";
import { csatMetric, npsMetric, responseRateMetric } from "../metrics/figures.ts";
import type { Filters, GroupDim, Interval, MetricQuery } from "../metrics/query.ts";
import { retentionMetric } from "../metrics/retention.ts";
import type { TrendPoint } from "./charts.tsx";

export const TREND_WEEKS = 12;

/** The window every page shows: the last twelve weeks (Monday-based), today included, UTC. */
export interface Window {
  from: string;
  /** Exclusive, as the metrics API takes it: the day after the last day shown. */
  to: string;
  /** The last day included (today), for labels people read. */
  through: string;
}

export function windowAt(now: Date, weeks = TREND_WEEKS): Window {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const weekday = new Date(today).getUTCDay() || 7;
  const monday = today - (weekday - 1) * 86_400_000;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    from: day(monday - (weeks - 1) * 7 * 86_400_000),
    to: day(today + 86_400_000),
    through: day(today),
  };
}

export interface MetricCard {
  metric: "csat" | "nps" | "response-rate" | "retention";
  label: string;
  unit: string;
  min: number;
  max: number;
  value: number | null;
  n: number;
  interval: { low: number; high: number } | null;
  lowSample: boolean;
  points: TrendPoint[];
}

const cardShapes = {
  csat: { label: "CSAT", unit: "%", min: 0, max: 100, fn: csatMetric },
  nps: { label: "NPS", unit: "", min: -100, max: 100, fn: npsMetric },
  "response-rate": { label: "Response rate", unit: "%", min: 0, max: 100, fn: responseRateMetric },
  retention: { label: "Client retention", unit: "%", min: 0, max: 100, fn: retentionMetric },
} as const;

function query(
  window: Window,
  filters: Filters,
  groupBy: GroupDim[],
  interval?: Interval,
): MetricQuery {
  return {
    from: window.from,
    to: window.to,
    groupBy,
    interval,
    tz: "UTC",
    filters,
    credit: "shared",
    minSample: 30,
  };
}

/**
 * A card per metric: the window's figure (exactly what `GET /v1/metrics/<metric>?from&to` answers)
 * and its weekly trend. Retention is monthly: a client's stay is a slow signal.
 */
export async function metricCards(
  ctx: ServiceContext,
  window: Window,
  filters: Filters,
  metrics: Array<keyof typeof cardShapes>,
): Promise<MetricCard[]> {
  return Promise.all(
    metrics.map(async (metric) => {
      const shape = cardShapes[metric];
      const result = await shape.fn({
        ctx,
        input: query(window, filters, [], metric === "retention" ? "month" : "week"),
      });
      return {
        metric,
        label: shape.label,
        unit: shape.unit,
        min: shape.min,
        max: shape.max,
        value: result.overall.value,
        n: result.overall.n,
        interval: result.overall.interval,
        lowSample: result.overall.lowSample,
        points: result.groups.map((group) => ({
          label: (group.bucketLocal ?? "").slice(5, 10),
          complete: isWholeBucket(group, metric === "retention", window.to),
          value: group.value,
          n: group.n,
          interval: group.interval,
        })),
      };
    }),
  );
}

/**
 * A bucket the window holds whole: it ends by the window's end, and it starts where its week or
 * month does (the window's first one is cut where the window starts: its first instant is then
 * the window's, a later day than the bucket's own, in the dashboard's UTC).
 */
function isWholeBucket(
  group: { bucketLocal?: string | undefined; bucketStart?: string | undefined },
  monthly: boolean,
  to: string,
): boolean {
  const local = group.bucketLocal ?? "";
  if (group.bucketStart !== undefined && group.bucketStart.slice(0, 10) !== local.slice(0, 10)) {
    return false;
  }
  return bucketEnd(local, monthly) <= to;
}

/** The day after a week's or month's bucket (`YYYY-MM-DD...` local start), as the window's `to`. */
function bucketEnd(local: string, monthly: boolean): string {
  const [year, month, day] = [local.slice(0, 4), local.slice(5, 7), local.slice(8, 10)].map(Number);
  const end = monthly
    ? new Date(Date.UTC(year!, month!, 1))
    : new Date(Date.UTC(year!, month! - 1, day! + 7));
  return end.toISOString().slice(0, 10);
}

export interface GroupRow {
  key: string;
  csat: { value: number | null; n: number };
  nps: { value: number | null; n: number };
}

/** CSAT and NPS per team (or member) over the window, keyed by team key / member external id. */
export async function figuresBy(
  ctx: ServiceContext,
  window: Window,
  dim: "team" | "member",
  filters: Filters,
): Promise<Map<string, GroupRow>> {
  const [csat, nps] = await Promise.all([
    csatMetric({ ctx, input: query(window, filters, [dim]) }),
    npsMetric({ ctx, input: query(window, filters, [dim]) }),
  ]);
  const rows = new Map<string, GroupRow>();
  const row = (key: string) => {
    let found = rows.get(key);
    if (!found) {
      found = { key, csat: { value: null, n: 0 }, nps: { value: null, n: 0 } };
      rows.set(key, found);
    }
    return found;
  };
  for (const group of csat.groups) {
    const key = group.key[dim];
    if (key) row(key).csat = { value: group.value, n: group.n };
  }
  for (const group of nps.groups) {
    const key = group.key[dim];
    if (key) row(key).nps = { value: group.value, n: group.n };
  }
  return rows;
}

export function escalationFigures(ctx: ServiceContext, window: Window) {
  return escalationMetric({ ctx, input: query(window, {}, ["escalation"]) });
}
