import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import type { Segment } from "./periods.ts";
import { type CreditMode, creditDims, type GroupDim } from "./query.ts";

/** Filters resolved to database values: ids for team/member/client/survey, names for board. */
export interface IdFilters {
  team?: string[];
  member?: string[];
  client?: string[];
  survey?: string[];
  board?: string[];
}

/** What is counted: recorded responses by score, or sent invitations by answered (1) or not (0). */
export type FactSource = "responses" | "invitations";

export interface CountsInput {
  source: FactSource;
  segments: Segment[];
  /** Dimensions to group by besides the bucket; the survey is always returned. */
  groupBy: GroupDim[];
  filters: IdFilters;
  credit: CreditMode;
  /** `raw` skips the rollups (used to prove them right); `auto` uses them where they apply. */
  strategy: "auto" | "raw";
  /** Raw reads take credit lines from the stored table or recompute them from the touches. */
  lines?: "stored" | "live";
}

export interface CountRow {
  bucket: number;
  keys: Partial<Record<GroupDim, string>>;
  surveyId: string;
  score: number;
  /**
   * Responses counted in the request's credit mode, as exact decimal text: whole responses
   * (shared) or the sum of credit weights (weighted).
   */
  count: string;
}

type RollupDim = "all" | "team" | "member" | "client" | "board" | "escalation";

const keyColumns = ["team", "member", "client", "board", "escalation"] as const;

/** The one rollup dimension that answers this request exactly, or null when none does. */
export function rollupDimFor(input: CountsInput): RollupDim | null {
  if (input.strategy === "raw") return null;
  const used = new Set<string>(input.groupBy.filter((d) => d !== "survey"));
  for (const [dim, values] of Object.entries(input.filters)) {
    if (dim !== "survey" && values) used.add(dim);
  }
  if (used.size === 0) return "all";
  if (used.size > 1) return null;
  const dim = [...used][0] as RollupDim;
  if (input.groupBy.includes(dim as GroupDim)) return dim;
  // Without grouping by it, several teams (members) of one response would each count it once
  // in shared mode: only the response-level view, or a single key, sums exactly.
  const values = input.filters[dim as keyof IdFilters] ?? [];
  if (creditDims.has(dim as GroupDim) && values.length > 1 && input.credit === "shared")
    return null;
  return dim;
}

/** Counts per bucket, group, survey and score, summed exactly in the database. */
export async function countScores(db: Db, input: CountsInput): Promise<CountRow[]> {
  const rollupDim = rollupDimFor(input);
  const keys = keyColumns.filter((k) => input.groupBy.includes(k));
  const parts: SQL[] = [];
  if (rollupDim) {
    const rolled = input.segments.filter((s) => s.grain !== "raw");
    if (rolled.length > 0) parts.push(rollupPart(input, rollupDim, rolled, keys));
    const raw = input.segments.filter((s) => s.grain === "raw");
    if (raw.length > 0) parts.push(rawPart({ ...input, lines: "stored" }, raw, keys));
  } else {
    parts.push(rawPart(input, input.segments, keys));
  }
  if (parts.length === 0) return [];
  const keyList = keys.map((k) => sql.raw(`k_${k}`));
  const groupCols = sql.join(
    [sql.raw("bucket"), ...keyList, sql.raw("survey_id"), sql.raw("score")],
    sql`, `,
  );
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select ${groupCols}, sum(${sql.raw(input.credit)})::text as count
      from (${sql.join(parts, sql` union all `)}) parts
      group by ${groupCols}
      having sum(shared) <> 0 or sum(weighted) <> 0`,
  );
  return rows.map((row) => ({
    bucket: Number(row.bucket),
    keys: Object.fromEntries(keys.map((k) => [k, row[`k_${k}`] as string])),
    surveyId: String(row.survey_id),
    score: Number(row.score),
    count: String(row.count),
  }));
}

/** `column in (values)`; `false` for an empty list, undefined without a filter. */
export function inList(column: SQL, values: string[] | undefined, cast = ""): SQL | undefined {
  if (!values) return undefined;
  if (values.length === 0) return sql`false`;
  return sql`${column} in (${sql.join(
    values.map((v) => sql`${v}${sql.raw(cast)}`),
    sql`, `,
  )})`;
}

/**
 * Rollups and their pending deltas per source. Invitation rollups hold sent invitations by
 * send time with `score` 1 when answered (a recorded response) and 0 when not: the same shape
 * as the raw invitation facts below, so both paths sum alike.
 */
const rollupTables: Record<FactSource, readonly [string, string]> = {
  responses: ["metric_rollups", "metric_rollup_deltas"],
  invitations: ["invitation_rollups", "invitation_rollup_deltas"],
};

function rollupPart(
  input: CountsInput,
  dim: RollupDim,
  segments: Segment[],
  keys: readonly string[],
) {
  const values = sql.join(
    segments.map(
      (s) =>
        sql`(${s.bucket}::int, ${s.grain}::text, ${s.from.toISOString()}::timestamptz, ${s.to.toISOString()}::timestamptz, ${s.sign}::int)`,
    ),
    sql`, `,
  );
  const conditions: SQL[] = [
    sql`dim = ${dim}`,
    sql`grain = seg.grain`,
    sql`bucket >= seg.lo`,
    sql`bucket < seg.hi`,
  ];
  const keyFilter =
    dim === "all" ? undefined : inList(sql.raw("dim_key"), input.filters[dim as keyof IdFilters]);
  if (keyFilter) conditions.push(keyFilter);
  // Typed ids, so the survey column of the rollups' key narrows the index scan.
  const surveyFilter = inList(sql.raw("survey_id"), input.filters.survey, "::uuid");
  if (surveyFilter) conditions.push(surveyFilter);
  const where = sql.join(conditions, sql` and `);
  const keySelect = keys.map((k) => sql.raw(`, m.dim_key as k_${k}`));
  const [rollups, deltas] = rollupTables[input.source];
  return sql`select seg.b as bucket${sql.join(keySelect, sql``)}, m.survey_id, m.score,
      seg.sign * m.shared::bigint as shared, seg.sign * m.weighted as weighted
    from (values ${values}) as seg(b, grain, lo, hi, sign)
    cross join lateral (
      select dim_key, survey_id, score, shared, weighted from ${sql.raw(rollups)} where ${where}
      union all
      select dim_key, survey_id, score, shared, weighted from ${sql.raw(deltas)} where ${where}
    ) m`;
}

function factsOf(source: FactSource): SQL {
  return source === "responses"
    ? sql`select r.id, r.survey_id, r.client_id, r.work_item_id, r.score as value,
        r.responded_at as at from responses r where r.state = 'recorded'`
    : sql`select i.id, i.survey_id, i.client_id, i.work_item_id,
        (exists (select 1 from responses x where x.invitation_id = i.id
          and x.state = 'recorded'))::int as value,
        i.sent_at as at from invitations i where i.sent_at is not null`;
}

function rawPart(input: CountsInput, segments: Segment[], keys: readonly string[]) {
  const used = new Set<string>([...input.groupBy]);
  for (const [dim, values] of Object.entries(input.filters)) if (values) used.add(dim);
  const credited = used.has("team") || used.has("member");
  const lines = sql.raw(input.lines === "live" ? "work_item_credit_lines" : "work_item_credits");
  const values = sql.join(
    segments.map(
      (s) =>
        sql`(${s.bucket}::int, ${s.from.toISOString()}::timestamptz, ${s.to.toISOString()}::timestamptz, ${s.sign}::int)`,
    ),
    sql`, `,
  );
  const joins: SQL[] = [];
  if (used.has("board"))
    joins.push(sql`join work_items w on w.id = f.work_item_id and w.board is not null`);
  if (credited) joins.push(sql`join ${lines} c on c.work_item_id = f.work_item_id`);
  if (used.has("escalation")) {
    joins.push(sql`left join (select work_item_id, count(distinct team_id) as teams from ${lines}
      group by work_item_id) e on e.work_item_id = f.work_item_id`);
  }
  const conditions = [
    inList(sql`c.team_id::text`, input.filters.team),
    inList(sql`c.member_id::text`, input.filters.member),
    inList(sql`f.client_id::text`, input.filters.client),
    inList(sql`f.survey_id::text`, input.filters.survey),
    inList(sql`w.board`, input.filters.board),
  ].filter((c): c is SQL => c !== undefined);
  const keyExpr: Record<string, SQL> = {
    team: sql`c.team_id::text`,
    member: sql`c.member_id::text`,
    client: sql`f.client_id::text`,
    board: sql`w.board`,
    escalation: sql`case coalesce(e.teams, 0) when 0 then 'untouched' when 1 then 'single-team'
      else 'multi-team' end`,
  };
  const keySelect = keys.map((k) => sql`, ${keyExpr[k]!} as ${sql.raw(`k_${k}`)}`);
  const keyGroup = keys.map((k) => sql`, ${sql.raw(`k_${k}`)}`);
  const counted = credited
    ? sql`seg.sign * count(distinct f.id) as shared, seg.sign * sum(c.weight) as weighted`
    : sql`seg.sign * count(*) as shared, seg.sign * count(*)::numeric as weighted`;
  return sql`select seg.b as bucket${sql.join(keySelect, sql``)}, f.survey_id, f.value as score, ${counted}
    from (values ${values}) as seg(b, lo, hi, sign)
    join (${factsOf(input.source)}) f on f.at >= seg.lo and f.at < seg.hi
    ${sql.join(joins, sql` `)}
    ${conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
    group by seg.b, seg.sign${sql.join(keyGroup, sql``)}, f.survey_id, f.value`;
}
