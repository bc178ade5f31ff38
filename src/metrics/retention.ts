import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import type { Entry, Figure, MetricResult } from "./figures.ts";
import { resolveFilters } from "./lookups.ts";
import { type Bucket, resolvePeriod } from "./periods.ts";
import type { MetricQuery } from "./query.ts";
import { percent, wilsonPercent } from "./statistics.ts";

export interface RetentionCounts {
  activeAtStart: number;
  stillActive: number;
}

/**
 * Client retention for [from, to): clients active at `from` (activeSince <= from < endedAt)
 * that are still active at `to`, over those active at `from`. Per bucket with `interval`.
 */
export async function retentionMetric(args: {
  ctx: ServiceContext;
  input: MetricQuery;
}): Promise<MetricResult<RetentionCounts>> {
  const { ctx, input } = args;
  const filters = await resolveFilters(ctx.db, { client: input.filters.client });
  const period = await resolvePeriod(ctx.db, input);
  const whole: Bucket = { start: period.from, end: period.to, local: "" };
  const figures = await retained(
    ctx,
    [whole, ...(input.interval ? period.buckets : [])],
    filters.client,
  );
  const figure = (index: number): Figure<RetentionCounts> => {
    const row = figures.get(index) ?? { atStart: 0, kept: 0 };
    return {
      n: row.atStart,
      value: percent(row.kept, row.atStart),
      interval: wilsonPercent(row.kept, row.atStart),
      lowSample: row.atStart < input.minSample,
      counts: { activeAtStart: row.atStart, stillActive: row.kept },
    };
  };
  const groups: Entry<RetentionCounts>[] = input.interval
    ? period.buckets.map((bucket, index) => ({
        key: {},
        bucketStart: bucket.start.toISOString(),
        bucketLocal: bucket.local,
        ...figure(index + 1),
      }))
    : [];
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    credit: input.credit,
    overall: figure(0),
    groups,
  };
}

async function retained(ctx: ServiceContext, buckets: Bucket[], clientIds: string[] | undefined) {
  const values = sql.join(
    buckets.map(
      (b, i) =>
        sql`(${i}::int, ${b.start.toISOString()}::timestamptz, ${b.end.toISOString()}::timestamptz)`,
    ),
    sql`, `,
  );
  let clientFilter: SQL = sql``;
  if (clientIds) {
    clientFilter =
      clientIds.length === 0
        ? sql`and false`
        : sql`and c.id::text in (${sql.join(
            clientIds.map((id) => sql`${id}`),
            sql`, `,
          )})`;
  }
  const rows = await queryRows<{ b: number; at_start: number; kept: number }>(
    ctx.db,
    sql`select seg.b, count(*)::int as at_start,
        count(*) filter (where c.ended_at is null or c.ended_at > seg.hi)::int as kept
      from (values ${values}) as seg(b, lo, hi)
      join clients c on c.active_since <= seg.lo and (c.ended_at is null or c.ended_at > seg.lo)
      ${clientFilter}
      group by seg.b`,
  );
  return new Map(
    rows.map((r) => [Number(r.b), { atStart: Number(r.at_start), kept: Number(r.kept) }]),
  );
}
