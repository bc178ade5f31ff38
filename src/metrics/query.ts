/** What a metrics request asks for, after parsing; shared by every metric. */

export const groupDims = ["team", "member", "client", "board", "survey", "escalation"] as const;
export type GroupDim = (typeof groupDims)[number];

export const intervals = ["day", "week", "month", "quarter"] as const;
export type Interval = (typeof intervals)[number];

export const creditModes = ["shared", "weighted"] as const;
export type CreditMode = (typeof creditModes)[number];

export const filterDims = ["team", "member", "client", "survey", "board"] as const;
export type FilterDim = (typeof filterDims)[number];

/** Filters as the caller wrote them: team keys, member and client external ids, survey keys, boards. */
export type Filters = Partial<Record<FilterDim, string[]>>;

export interface MetricQuery {
  /** `from`/`to` as given: an RFC 3339 instant or a YYYY-MM-DD date (midnight in `tz`). */
  from: string;
  to: string;
  groupBy: GroupDim[];
  interval: Interval | undefined;
  tz: string;
  filters: Filters;
  credit: CreditMode;
  minSample: number;
}

/** Dimensions that split a response's credit between teams and members. */
export const creditDims = new Set<GroupDim | FilterDim>(["team", "member"]);
