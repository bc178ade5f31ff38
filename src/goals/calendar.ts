import type { GoalPeriodKind } from "../db/schema/index.ts";

/** A named reporting period such as `2026-11` (a month) or `2026-Q4` (a quarter). */
export interface Period {
  label: string;
  kind: GoalPeriodKind;
  year: number;
  /** First month of the period, 1..12. */
  month: number;
  months: number;
}

// Years 1900-9999, like every instant the API takes (`Date.UTC` reads 0026 as 1926).
const MONTH = /^(19\d\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/;
const QUARTER = /^(19\d\d|[2-9]\d{3})-Q([1-4])$/;

export function parsePeriod(label: string): Period | undefined {
  const month = MONTH.exec(label);
  const quarter = QUARTER.exec(label);
  const period: Period | undefined = month
    ? { label, kind: "month", year: Number(month[1]), month: Number(month[2]), months: 1 }
    : quarter
      ? {
          label,
          kind: "quarter",
          year: Number(quarter[1]),
          month: Number(quarter[2]) * 3 - 2,
          months: 3,
        }
      : undefined;
  // A period must end by the year 9999 too: 9999-12 and 9999-Q4 would end in 10000.
  if (period && period.year === 9999 && period.month + period.months > 12) return undefined;
  return period;
}

/** The month or quarter of `kind` that contains `month` of `year`. */
export function periodContaining(kind: GoalPeriodKind, year: number, month: number): Period {
  if (kind === "month") {
    return { label: `${year}-${String(month).padStart(2, "0")}`, kind, year, month, months: 1 };
  }
  const q = Math.ceil(month / 3);
  return { label: `${year}-Q${q}`, kind, year, month: q * 3 - 2, months: 3 };
}

/** The period of `kind` that contains the given period's first month (a month's quarter). */
export function asKind(period: Period, kind: GoalPeriodKind): Period {
  return periodContaining(kind, period.year, period.month);
}

/** [start, end) of a period, local midnights in `timeZone`. */
export function periodRange(period: Period, timeZone: string): { start: Date; end: Date } {
  const endMonth = period.month + period.months;
  return {
    start: zonedMidnight(period.year, period.month, 1, timeZone),
    end: zonedMidnight(
      period.year + Math.floor((endMonth - 1) / 12),
      ((endMonth - 1) % 12) + 1,
      1,
      timeZone,
    ),
  };
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 1 = Monday .. 7 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** The wall-clock reading of an instant in a time zone. */
export function localParts(at: Date, timeZone: string): LocalParts {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? "") + 1,
  };
}

const DAY_MS = 86_400_000;

/**
 * The first instant at which the wall clock in `timeZone` reads the given date and time: the
 * earlier one when clocks going back make it read so twice (midnight in the Azores or Havana).
 * A wall time the clocks skip is read with the offset from before the change, so a skipped
 * midnight (Asuncion in 2023) is the instant of the skip. Offsets are sampled a day either side,
 * where no second clock change can be.
 */
export function zonedTime(
  year: number,
  month: number,
  day: number,
  timeZone: string,
  hour = 0,
  minute = 0,
): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = wall - offsetMs(new Date(wall - DAY_MS), timeZone);
  const after = wall - offsetMs(new Date(wall + DAY_MS), timeZone);
  const readsWall = (at: number) => {
    const p = localParts(new Date(at), timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
  };
  const reading = [before, after].filter(readsWall);
  return new Date(reading.length > 0 ? Math.min(...reading) : before);
}

export function zonedMidnight(year: number, month: number, day: number, timeZone: string): Date {
  return zonedTime(year, month, day, timeZone);
}

function offsetMs(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const seconds = at.getUTCSeconds() * 1000 + at.getUTCMilliseconds();
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) + seconds - at.getTime();
}
