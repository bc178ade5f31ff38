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

/**
 * A zone name: letters first, no colon. Raw offsets such as `+01:00` are refused: the runtime
 * reads them as ISO offsets (UTC+1) and PostgreSQL as POSIX ones (UTC-1).
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** True when the zone is an IANA zone name this runtime knows. */
export function isKnownZone(zone: string): boolean {
  if (!ZONE_NAME.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
