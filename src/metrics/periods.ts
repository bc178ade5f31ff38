import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { ApiError } from "../http/errors.ts";
import type { Interval } from "./query.ts";

export interface Bucket {
  /** First instant of the bucket (clipped to `from`). */
  start: Date;
  /** First instant after the bucket (clipped to `to`). */
  end: Date;
  /** The bucket's nominal start as wall time in the requested zone, e.g. `2026-11-01T00:00:00`. */
  local: string;
}

export interface Period {
  from: Date;
  to: Date;
  /** One bucket per interval step, or the whole period when no interval is asked for. */
  buckets: Bucket[];
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_BUCKETS = 1000;
const steps: Record<Interval, string> = {
  day: "1 day",
  week: "1 week",
  month: "1 month",
  quarter: "3 months",
};

/**
 * The first instant of a local wall time in the zone. PostgreSQL's `at time zone` takes the later
 * of a wall time that occurs twice (clocks going back at 01:00 repeat midnight in the Azores or
 * Havana): the earlier one is taken when it reads as the same wall time. A wall time that does
 * not occur (clocks skipping midnight) is PostgreSQL's, the first instant after the gap.
 */
function firstInstantSql(local: SQL, tz: string): SQL {
  return sql`coalesce((select min(c) from (values (${local} at time zone ${tz}),
      ((${local} at time zone ${tz}) - interval '1 hour'),
      ((${local} at time zone ${tz}) - interval '30 minutes')) v(c)
    where (c at time zone ${tz}) = ${local}), ${local} at time zone ${tz})`;
}

/** A date is the first instant of that day in the zone; an RFC 3339 instant is itself. */
function instantSql(value: string, tz: string): SQL {
  return DATE_ONLY.test(value)
    ? firstInstantSql(sql`${value}::timestamp`, tz)
    : sql`${value}::timestamptz`;
}

/**
 * The zone's canonical IANA name, as the rest of rapport (JavaScript's Intl) reads it. PostgreSQL
 * reads a name that is also an abbreviation (`CET`, `EET`, `MET`, `WET`) as that abbreviation's
 * fixed offset, without summer time; its canonical name (`Europe/Brussels`) has the zone's rules.
 */
export function canonicalZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    // Not a zone: PostgreSQL's error names it (see `zoneOrDateError`).
    return zone;
  }
}

/**
 * Resolves `[from, to)` and its buckets, whose edges are local midnights (Monday for weeks)
 * in `tz`, converted to instants by the database's zone rules (see `firstInstantSql`).
 */
export async function resolvePeriod(
  db: Db,
  input: { from: string; to: string; tz: string; interval: Interval | undefined },
): Promise<Period> {
  const { interval } = input;
  const tz = canonicalZone(input.tz);
  const range = sql`select ${instantSql(input.from, tz)} as lo, ${instantSql(input.to, tz)} as hi`;
  const rows = await queryRows<{
    lo: Date | string;
    hi: Date | string;
    start: Date | string | null;
    local: string | null;
  }>(
    db,
    interval
      ? sql`with range as (${range})
          select range.lo, range.hi, ${firstInstantSql(sql`g`, tz)} as start,
            to_char(g, 'YYYY-MM-DD"T"HH24:MI:SS') as local
          from range left join lateral generate_series(
            date_trunc(${interval}, range.lo at time zone ${tz}),
            range.hi at time zone ${tz}, ${steps[interval]}::interval
          ) g on range.lo < range.hi
          order by g
          limit ${MAX_BUCKETS + 2}`
      : sql`with range as (${range}) select range.lo, range.hi, null as start,
          to_char(range.lo at time zone ${tz}, 'YYYY-MM-DD"T"HH24:MI:SS') as local from range`,
  ).catch((error: unknown) => {
    throw zoneOrDateError(error);
  });
  const first = rows[0]!;
  const from = new Date(first.lo);
  const to = new Date(first.hi);
  if (!(from < to)) {
    throw new ApiError("validation_failed", "`from` must be before `to`.", {
      errors: [{ path: "from", message: "must be before `to`", in: "query" }],
    });
  }
  if (!interval) return { from, to, buckets: [{ start: from, end: to, local: first.local ?? "" }] };
  const starts = rows
    .filter((row) => row.start !== null)
    .map((row) => ({ at: new Date(row.start!), local: row.local! }))
    .filter((edge) => edge.at < to);
  if (starts.length > MAX_BUCKETS) {
    throw new ApiError(
      "validation_failed",
      `More than ${MAX_BUCKETS} buckets; use a longer interval.`,
      {
        errors: [
          { path: "interval", message: `gives more than ${MAX_BUCKETS} buckets`, in: "query" },
        ],
      },
    );
  }
  const buckets = starts.map((edge, index) => {
    const next = starts[index + 1]?.at ?? to;
    return { start: edge.at < from ? from : edge.at, end: next, local: edge.local };
  });
  return { from, to, buckets };
}

function zoneOrDateError(error: unknown): unknown {
  for (let current = error; current instanceof Error; current = current.cause as Error) {
    const code = (current as { code?: unknown }).code;
    if (code === "22023" || code === "22007" || code === "22008") {
      return new ApiError("validation_failed", "A date or the time zone is not valid.", {
        errors: [{ path: "tz", message: current.message, in: "query" }],
      });
    }
  }
  return error;
}

export type Grain = "month" | "day" | "hour" | "raw";

export interface Segment {
  bucket: number;
  grain: Grain;
  from: Date;
  to: Date;
  /** +1 adds the range's counts to the bucket, -1 takes them away. */
  sign: 1 | -1;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;

/** The last month start a statement can name (`+010000-...` is no timestamp). */
const LAST_MONTH_START = Date.UTC(9999, 11, 1);

/** The UTC month start nearest to an instant (any month start is exact; near is cheap). */
function nearestMonthStart(ms: number): number {
  const d = new Date(ms);
  const floor = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const ceil = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const nearest = ms - floor <= ceil - ms ? floor : ceil;
  return nearest <= LAST_MONTH_START ? nearest : floor;
}

/**
 * Splits each bucket into ranges the rollups hold. Counts are sums over responses, so a range
 * may also be taken away: a Berlin month is the nearest UTC month, plus the hour before it,
 * minus the hour at its end. Whole UTC months, then whole days and hours at the edges; the
 * sub-hour rest (zones or bounds off the hour) is read from the responses themselves.
 */
export function segmentsOf(buckets: Bucket[]): Segment[] {
  const segments: Segment[] = [];
  buckets.forEach((bucket, index) => {
    const push = (grain: Grain, from: number, to: number, sign: 1 | -1) => {
      if (from < to) {
        segments.push({ bucket: index, grain, from: new Date(from), to: new Date(to), sign });
      }
    };
    // [from, to) with a sign, or [to, from) with the opposite sign when reversed.
    const signed = (from: number, to: number, sign: 1 | -1) => {
      if (from < to) fine(from, to, sign);
      else if (to < from) fine(to, from, sign === 1 ? -1 : 1);
    };
    const fine = (a: number, b: number, sign: 1 | -1) => {
      const ha = ceilTo(a, HOUR);
      const hb = floorTo(b, HOUR);
      if (ha >= hb) return push("raw", a, b, sign);
      push("raw", a, ha, sign);
      push("raw", hb, b, sign);
      const da = ceilTo(ha, DAY);
      const db = floorTo(hb, DAY);
      if (da >= db) return push("hour", ha, hb, sign);
      push("hour", ha, da, sign);
      push("day", da, db, sign);
      push("hour", db, hb, sign);
    };
    const a = bucket.start.getTime();
    const b = bucket.end.getTime();
    const ma = nearestMonthStart(a);
    const mb = nearestMonthStart(b);
    if (ma < mb && b - a >= 20 * DAY) {
      push("month", ma, mb, 1);
      signed(a, ma, 1);
      signed(mb, b, 1);
    } else {
      fine(a, b, 1);
    }
  });
  return segments;
}
