import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { type CsatCounts, csatMetric, type Figure, type NpsCounts, npsMetric } from "./figures.ts";
import { resolveFilters } from "./lookups.ts";
import { resolvePeriod } from "./periods.ts";
import type { MetricQuery } from "./query.ts";
import { inList } from "./score-counts.ts";
import { round } from "./statistics.ts";

export const escalationGroups = ["multi-team", "single-team", "untouched"] as const;

export interface Resolution {
  /** Work items closed in the period (with a known open time). */
  items: number;
  medianHours: number | null;
  meanHours: number | null;
}

export interface EscalationGroup {
  escalation: (typeof escalationGroups)[number];
  csat: Figure<CsatCounts>;
  nps: Figure<NpsCounts>;
  resolution: Resolution;
}

/**
 * Shared goals across teams: CSAT, NPS and open-to-close time for work touched by more than
 * one team, by exactly one, and by none.
 */
export async function escalationMetric(args: { ctx: ServiceContext; input: MetricQuery }) {
  const { ctx } = args;
  const input: MetricQuery = { ...args.input, groupBy: ["escalation"], interval: undefined };
  const [csat, nps, resolution] = await Promise.all([
    csatMetric({ ctx, input }),
    npsMetric({ ctx, input }),
    resolutionTimes(ctx, input),
  ]);
  const empty = { n: 0, value: null, interval: null, lowSample: 0 < input.minSample };
  const groups: EscalationGroup[] = escalationGroups.map((escalation) => ({
    escalation,
    csat: csat.groups.find((g) => g.key.escalation === escalation) ?? {
      ...empty,
      counts: { positive: 0, scores: {} },
    },
    nps: nps.groups.find((g) => g.key.escalation === escalation) ?? {
      ...empty,
      counts: { promoters: 0, passives: 0, detractors: 0, scores: {} },
    },
    resolution: resolution.get(escalation) ?? { items: 0, medianHours: null, meanHours: null },
  }));
  return { from: csat.from, to: csat.to, credit: input.credit, groups };
}

async function resolutionTimes(ctx: ServiceContext, input: MetricQuery) {
  const filters = await resolveFilters(ctx.db, {
    client: input.filters.client,
    board: input.filters.board,
    team: input.filters.team,
    member: input.filters.member,
  });
  const period = await resolvePeriod(ctx.db, input);
  const conditions: SQL[] = [
    sql`w.closed_at >= ${period.from.toISOString()}::timestamptz`,
    sql`w.closed_at < ${period.to.toISOString()}::timestamptz`,
    sql`w.opened_at is not null`,
  ];
  for (const filter of [
    inList(sql`w.client_id::text`, filters.client),
    inList(sql`w.board`, filters.board),
  ]) {
    if (filter) conditions.push(filter);
  }
  if (filters.team || filters.member) {
    // The work the filtered teams (members) touched, as their CSAT and NPS count it: one credit
    // line of the item matches every team and member filter.
    const line = [
      inList(sql`wc.team_id::text`, filters.team),
      inList(sql`wc.member_id::text`, filters.member),
    ].filter((c): c is SQL => c !== undefined);
    conditions.push(sql`exists (select 1 from work_item_credits wc where wc.work_item_id = w.id
      and ${sql.join(line, sql` and `)})`);
  }
  const rows = await queryRows<{
    escalation: string;
    items: number;
    median: number | null;
    mean: number | null;
  }>(
    ctx.db,
    sql`select case coalesce(e.teams, 0) when 0 then 'untouched' when 1 then 'single-team'
          else 'multi-team' end as escalation,
        count(*)::int as items,
        percentile_cont(0.5) within group (order by h.hours)::float8 as median,
        avg(h.hours)::float8 as mean
      from work_items w
      cross join lateral (select extract(epoch from (w.closed_at - w.opened_at)) / 3600 as hours) h
      left join (select work_item_id, count(distinct team_id) as teams from touches
        group by work_item_id) e on e.work_item_id = w.id
      where ${sql.join(conditions, sql` and `)}
      group by 1`,
  );
  return new Map(
    rows.map((r) => [
      r.escalation,
      {
        items: Number(r.items),
        medianHours: r.median === null ? null : round(Number(r.median)),
        meanHours: r.mean === null ? null : round(Number(r.mean)),
      },
    ]),
  );
}
