import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import type { Entry, Figure, MetricResult } from "./figures.ts";
import { allSurveys, publicNames, resolveFilters } from "./lookups.ts";
import { type Bucket, resolvePeriod } from "./periods.ts";
import type { GroupDim, MetricQuery } from "./query.ts";
import { type IdFilters, inList } from "./score-counts.ts";
import { percent, wilsonPercent } from "./statistics.ts";

export interface RetentionCounts {
  activeAtStart: number;
  stillActive: number;
}

/** The groups a client can belong to; `escalation` is a property of work, not of clients. */
export const retentionDims = ["team", "member", "client", "board", "survey"] as const;
type RetentionDim = (typeof retentionDims)[number];

/** Dimensions a client's work gives, from one touch of one work item. */
const workDims = ["team", "member", "board"] as const;

/**
 * Client retention for [from, to): clients active at `from` (activeSince <= from < endedAt)
 * that are still active at `to`, over those active at `from`. Per bucket with `interval`.
 *
 * A client belongs to the group of a team (member) that touched one of its work items before
 * `to`, of a board that held one of its work items opened before `to` (touched before `to`,
 * with a team or member), of a survey with an invitation sent to it before `to`, and to its
 * own client group. `to` is the bucket's end with `interval`. Groups overlap: a client served
 * by two teams counts in both, once in `overall`. Filters keep the clients that belong to a
 * filtered group; team, member and board filters and groups hold together on one touch of one
 * work item, like the credit lines of the other metrics.
 */
export async function retentionMetric(args: {
  ctx: ServiceContext;
  input: MetricQuery;
}): Promise<MetricResult<RetentionCounts>> {
  const { ctx, input } = args;
  const filters = await resolveFilters(ctx.db, input.filters);
  const period = await resolvePeriod(ctx.db, input);
  const whole: Bucket = { start: period.from, end: period.to, local: "" };
  const groupBy = input.groupBy as RetentionDim[];
  const buckets = input.interval ? period.buckets : [whole];
  const [overallRows, groupRows] = await Promise.all([
    retained(ctx, [whole], [], filters),
    groupBy.length > 0 || input.interval
      ? retained(ctx, buckets, groupBy, filters)
      : Promise.resolve([] as RetainedRow[]),
  ]);
  const figure = (row: RetainedRow | undefined): Figure<RetentionCounts> => {
    const atStart = row?.atStart ?? 0;
    const kept = row?.kept ?? 0;
    return {
      n: atStart,
      value: percent(kept, atStart),
      interval: wilsonPercent(kept, atStart),
      lowSample: atStart < input.minSample,
      counts: { activeAtStart: atStart, stillActive: kept },
    };
  };
  const names = await publicNames(ctx.db, {
    team: new Set(groupRows.map((r) => r.keys.team).filter((v): v is string => !!v)),
    member: new Set(groupRows.map((r) => r.keys.member).filter((v): v is string => !!v)),
    client: new Set(groupRows.map((r) => r.keys.client).filter((v): v is string => !!v)),
  });
  const surveyKeys = groupBy.includes("survey")
    ? new Map((await allSurveys(ctx.db)).map((s) => [s.id, s.key]))
    : new Map<string, string>();
  const entry = (bucket: Bucket, row: RetainedRow | undefined): Entry<RetentionCounts> => {
    const key: Partial<Record<GroupDim, string>> = {};
    for (const dim of groupBy) {
      const id = row?.keys[dim] ?? "";
      key[dim] =
        dim === "team" || dim === "member" || dim === "client"
          ? (names[dim].get(id) ?? id)
          : dim === "survey"
            ? (surveyKeys.get(id) ?? id)
            : id;
    }
    return {
      key,
      ...(input.interval
        ? { bucketStart: bucket.start.toISOString(), bucketLocal: bucket.local }
        : {}),
      ...figure(row),
    };
  };
  // A plain time series lists every bucket, empty ones included; groups only those with clients.
  const groups =
    groupBy.length === 0
      ? buckets.map((bucket, index) =>
          entry(
            bucket,
            groupRows.find((r) => r.bucket === index),
          ),
        )
      : groupRows
          .map((row) => entry(buckets[row.bucket]!, row))
          .sort(
            (a, b) =>
              (a.bucketStart ?? "").localeCompare(b.bucketStart ?? "") ||
              JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)),
          );
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    credit: input.credit,
    overall: figure(overallRows[0]),
    groups: input.interval || groupBy.length > 0 ? groups : [],
  };
}

interface RetainedRow {
  bucket: number;
  keys: Partial<Record<RetentionDim, string>>;
  atStart: number;
  kept: number;
}

/**
 * Clients active at each bucket's start, and those of them still active at its end, per group.
 * Each client's groups come from one pass over its work and invitations: the first instant it
 * joined each group (`joined`), so a bucket takes the groups joined before its end.
 */
async function retained(
  ctx: ServiceContext,
  buckets: Bucket[],
  groupBy: RetentionDim[],
  filters: IdFilters,
): Promise<RetainedRow[]> {
  const values = sql.join(
    buckets.map(
      (b, i) =>
        sql`(${i}::int, ${b.start.toISOString()}::timestamptz, ${b.end.toISOString()}::timestamptz)`,
    ),
    sql`, `,
  );
  // Buckets are in order: no group joined after the last end counts.
  const until = sql`${buckets.at(-1)!.end.toISOString()}::timestamptz`;
  // Ids compared as uuids, so an index on the column serves the filter.
  const clientFilter = (column: SQL) => inList(column, filters.client, "::uuid") ?? sql`true`;
  const joins: SQL[] = [];

  const byTouch = (["team", "member"] as const).some((d) => groupBy.includes(d) || filters[d]);
  const byWork = byTouch || groupBy.includes("board") || filters.board !== undefined;
  if (byWork) {
    const dims = workDims.filter((d) => groupBy.includes(d));
    const column: Record<(typeof workDims)[number], SQL> = {
      team: sql`x.team_id`,
      member: sql`x.member_id`,
      board: sql`w.board`,
    };
    const conditions = [
      clientFilter(sql`w.client_id`),
      inList(sql`x.team_id`, filters.team, "::uuid"),
      inList(sql`x.member_id`, filters.member, "::uuid"),
      inList(sql`w.board`, filters.board),
      groupBy.includes("board") ? sql`w.board is not null` : undefined,
      byTouch ? sql`x.at < ${until}` : sql`coalesce(w.opened_at, w.created_at) < ${until}`,
    ].filter((c): c is SQL => c !== undefined);
    const selected = dims.map((d) => sql`, ${column[d]} as ${sql.raw(`k_${d}`)}`);
    const grouped = dims.map((d) => sql`, ${sql.raw(`k_${d}`)}`);
    joins.push(sql`join (
        select w.client_id${sql.join(selected, sql``)},
          min(${byTouch ? sql`x.at` : sql`coalesce(w.opened_at, w.created_at)`}) as joined
        from work_items w ${byTouch ? sql`join touches x on x.work_item_id = w.id` : sql``}
        where ${sql.join(conditions, sql` and `)}
        group by w.client_id${sql.join(grouped, sql``)}
      ) work on work.client_id = c.id and work.joined < seg.hi`);
  }

  if (groupBy.includes("survey") || filters.survey) {
    const grouped = groupBy.includes("survey");
    const conditions = [
      clientFilter(sql`i.client_id`),
      inList(sql`i.survey_id`, filters.survey, "::uuid"),
      sql`i.sent_at < ${until}`,
    ].filter((c): c is SQL => c !== undefined);
    joins.push(sql`join (
        select i.client_id${grouped ? sql`, i.survey_id as k_survey` : sql``},
          min(i.sent_at) as joined
        from invitations i
        where ${sql.join(conditions, sql` and `)}
        group by i.client_id${grouped ? sql`, i.survey_id` : sql``}
      ) sent on sent.client_id = c.id and sent.joined < seg.hi`);
  }

  const keyOf: Record<RetentionDim, SQL> = {
    team: sql.raw("work.k_team::text"),
    member: sql.raw("work.k_member::text"),
    board: sql.raw("work.k_board"),
    survey: sql.raw("sent.k_survey::text"),
    client: sql`c.id::text`,
  };
  const keySelect = groupBy.map((d) => sql`, ${keyOf[d]} as ${sql.raw(`k_${d}`)}`);
  const keyGroup = groupBy.map((d) => sql`, ${sql.raw(`k_${d}`)}`);
  const rows = await queryRows<Record<string, unknown>>(
    ctx.db,
    sql`select seg.b${sql.join(keySelect, sql``)}, count(*)::int as at_start,
        count(*) filter (where c.ended_at is null or c.ended_at > seg.hi)::int as kept
      from (values ${values}) as seg(b, lo, hi)
      join clients c on c.active_since <= seg.lo and (c.ended_at is null or c.ended_at > seg.lo)
        and ${clientFilter(sql`c.id`)}
      ${sql.join(joins, sql` `)}
      group by seg.b${sql.join(keyGroup, sql``)}`,
  );
  return rows.map((row) => ({
    bucket: Number(row.b),
    keys: Object.fromEntries(groupBy.map((d) => [d, String(row[`k_${d}`])])),
    atStart: Number(row.at_start),
    kept: Number(row.kept),
  }));
}
