import type { ServiceContext } from "../context.ts";
import { allSurveys, publicNames, resolveFilters, type SurveyInfo } from "./lookups.ts";
import { type Bucket, resolvePeriod, segmentsOf } from "./periods.ts";
import type { GroupDim, MetricQuery } from "./query.ts";
import { type CountRow, countScores, type FactSource, type IdFilters } from "./score-counts.ts";

/** One counted cell as the summaries see it: survey scale, score and its (maybe fractional) count. */
export interface Cell {
  scale: SurveyInfo["scale"];
  score: number;
  count: number;
}

export interface GroupCells {
  key: Partial<Record<GroupDim, string>>;
  bucket: Bucket | undefined;
  cells: Cell[];
}

export interface GroupedCells {
  from: Date;
  to: Date;
  overall: Cell[];
  groups: GroupCells[];
}

/**
 * Counts for the period overall and per bucket and group, with keys turned into public names.
 * `scales` limits the surveys read (CSAT or NPS); the survey filter narrows them further.
 */
export async function groupedCells(args: {
  ctx: ServiceContext;
  query: MetricQuery;
  source: FactSource;
  scales: SurveyInfo["scale"][] | undefined;
  strategy?: "auto" | "raw";
}): Promise<GroupedCells> {
  const { ctx, query, source, scales } = args;
  const db = ctx.db;
  const filters: IdFilters = await resolveFilters(db, query.filters);
  const surveys = await allSurveys(db);
  const surveyById = new Map(surveys.map((s) => [s.id, s]));
  if (scales) {
    const allowed = surveys.filter((s) => scales.includes(s.scale)).map((s) => s.id);
    filters.survey = filters.survey ? filters.survey.filter((id) => allowed.includes(id)) : allowed;
  }
  const period = await resolvePeriod(db, query);
  const common = { source, filters, credit: query.credit, strategy: args.strategy ?? "auto" };
  const [overallRows, groupRows] = await Promise.all([
    countScores(db, {
      ...common,
      groupBy: [],
      segments: segmentsOf([{ start: period.from, end: period.to, local: "" }]),
    }),
    query.groupBy.length > 0 || query.interval
      ? countScores(db, { ...common, groupBy: query.groupBy, segments: segmentsOf(period.buckets) })
      : Promise.resolve([] as CountRow[]),
  ]);
  const toCell = (row: CountRow): Cell => ({
    scale: surveyById.get(row.surveyId)?.scale ?? "nps",
    score: row.score,
    count: Number(row.count),
  });
  const names = await publicNames(db, {
    team: new Set(groupRows.map((r) => r.keys.team).filter((v): v is string => !!v)),
    member: new Set(groupRows.map((r) => r.keys.member).filter((v): v is string => !!v)),
    client: new Set(groupRows.map((r) => r.keys.client).filter((v): v is string => !!v)),
  });
  const groups = new Map<string, GroupCells>();
  if (query.interval && query.groupBy.length === 0) {
    // A plain time series lists every bucket, empty ones included.
    period.buckets.forEach((bucket, index) => {
      groups.set(JSON.stringify([index]), { key: {}, bucket, cells: [] });
    });
  }
  for (const row of groupRows) {
    const key: Partial<Record<GroupDim, string>> = {};
    for (const dim of query.groupBy) {
      if (dim === "survey") key.survey = surveyById.get(row.surveyId)?.key ?? row.surveyId;
      else if (dim === "team" || dim === "member" || dim === "client") {
        const id = row.keys[dim]!;
        key[dim] = names[dim].get(id) ?? id;
      } else key[dim] = row.keys[dim]!;
    }
    const id = JSON.stringify([
      query.interval ? row.bucket : 0,
      ...query.groupBy.map((d) => key[d]),
    ]);
    let group = groups.get(id);
    if (!group) {
      group = { key, bucket: query.interval ? period.buckets[row.bucket] : undefined, cells: [] };
      groups.set(id, group);
    }
    group.cells.push(toCell(row));
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      (a.bucket?.start.getTime() ?? 0) - (b.bucket?.start.getTime() ?? 0) ||
      JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)),
  );
  return { from: period.from, to: period.to, overall: overallRows.map(toCell), groups: ordered };
}
