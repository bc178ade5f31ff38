import type { ServiceContext } from "../context.ts";
import type { Cell, GroupCells } from "./grouped.ts";
import { groupedCells } from "./grouped.ts";
import type { GroupDim, MetricQuery } from "./query.ts";
import { type Interval, npsInterval, percent, round, wilsonPercent } from "./statistics.ts";

export interface Figure<C> {
  n: number;
  value: number | null;
  interval: Interval | null;
  lowSample: boolean;
  counts: C;
}

export type Entry<C> = Figure<C> & {
  key: Partial<Record<GroupDim, string>>;
  bucketStart?: string;
  bucketLocal?: string;
};

export interface MetricResult<C> {
  from: string;
  to: string;
  credit: MetricQuery["credit"];
  overall: Figure<C>;
  groups: Entry<C>[];
}

const scaleScores = {
  csat3: [1, 2, 3],
  csat5: [1, 2, 3, 4, 5],
  nps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
} as const;

export interface CsatCounts {
  positive: number;
  /** Counts per score, per survey scale present. */
  scores: Partial<Record<"csat3" | "csat5", Record<string, number>>>;
}

/** CSAT % = positive / all: csat3 positive is 3, csat5 positive is 4 or 5. */
export function csatFigure(cells: Cell[], minSample: number): Figure<CsatCounts> {
  let n = 0;
  let positive = 0;
  const scores: CsatCounts["scores"] = {};
  for (const cell of cells) {
    if (cell.scale === "nps") continue;
    scores[cell.scale] ??= Object.fromEntries(scaleScores[cell.scale].map((s) => [String(s), 0]));
    const table = scores[cell.scale]!;
    table[String(cell.score)] = (table[String(cell.score)] ?? 0) + cell.count;
    n += cell.count;
    if (cell.scale === "csat3" ? cell.score === 3 : cell.score >= 4) positive += cell.count;
  }
  for (const table of Object.values(scores)) {
    for (const score of Object.keys(table)) table[score] = round(table[score]!);
  }
  return {
    n: round(n),
    value: percent(positive, n),
    interval: wilsonPercent(positive, n),
    lowSample: round(n) < minSample,
    counts: { positive: round(positive), scores },
  };
}

export interface NpsCounts {
  promoters: number;
  passives: number;
  detractors: number;
  scores: Record<string, number>;
}

/** NPS = % promoters (9-10) minus % detractors (0-6), from -100 to 100. */
export function npsFigure(cells: Cell[], minSample: number): Figure<NpsCounts> {
  const scores: Record<string, number> = Object.fromEntries(
    scaleScores.nps.map((s) => [String(s), 0]),
  );
  let n = 0;
  let promoters = 0;
  let detractors = 0;
  for (const cell of cells) {
    if (cell.scale !== "nps") continue;
    scores[String(cell.score)] = (scores[String(cell.score)] ?? 0) + cell.count;
    n += cell.count;
    if (cell.score >= 9) promoters += cell.count;
    else if (cell.score <= 6) detractors += cell.count;
  }
  for (const score of Object.keys(scores)) scores[score] = round(scores[score]!);
  return {
    n: round(n),
    value: n > 0 ? round(((promoters - detractors) / n) * 100) : null,
    interval: npsInterval(promoters, detractors, n),
    lowSample: round(n) < minSample,
    counts: {
      promoters: round(promoters),
      passives: round(n - promoters - detractors),
      detractors: round(detractors),
      scores,
    },
  };
}

export interface ResponseRateCounts {
  invitations: number;
  responses: number;
}

/** Response rate = invitations sent in the period that got a recorded response / those sent. */
export function responseRateFigure(cells: Cell[], minSample: number): Figure<ResponseRateCounts> {
  let n = 0;
  let answered = 0;
  for (const cell of cells) {
    n += cell.count;
    if (cell.score === 1) answered += cell.count;
  }
  return {
    n: round(n),
    value: percent(answered, n),
    interval: wilsonPercent(answered, n),
    lowSample: round(n) < minSample,
    counts: { invitations: round(n), responses: round(answered) },
  };
}

function toEntry<C>(group: GroupCells, figure: Figure<C>): Entry<C> {
  return {
    key: group.key,
    ...(group.bucket
      ? { bucketStart: group.bucket.start.toISOString(), bucketLocal: group.bucket.local }
      : {}),
    ...figure,
  };
}

async function metric<C>(
  ctx: ServiceContext,
  query: MetricQuery,
  source: "responses" | "invitations",
  scales: Array<"csat3" | "csat5" | "nps"> | undefined,
  summarise: (cells: Cell[], minSample: number) => Figure<C>,
  strategy?: "auto" | "raw",
): Promise<MetricResult<C>> {
  const grouped = await groupedCells({ ctx, query, source, scales, strategy });
  return {
    from: grouped.from.toISOString(),
    to: grouped.to.toISOString(),
    credit: query.credit,
    overall: summarise(grouped.overall, query.minSample),
    groups: grouped.groups.map((g) => toEntry(g, summarise(g.cells, query.minSample))),
  };
}

export function csatMetric(args: { ctx: ServiceContext; input: MetricQuery }) {
  return metric(args.ctx, args.input, "responses", ["csat3", "csat5"], csatFigure);
}

export function npsMetric(args: { ctx: ServiceContext; input: MetricQuery }) {
  return metric(args.ctx, args.input, "responses", ["nps"], npsFigure);
}

export function responseRateMetric(args: { ctx: ServiceContext; input: MetricQuery }) {
  return metric(args.ctx, args.input, "invitations", undefined, responseRateFigure);
}
