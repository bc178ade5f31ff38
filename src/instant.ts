import { z } from "@hono/zod-openapi";

/**
 * A real date between the years 1900 and 9999: placeholders such as .NET's `0001-01-01` are not
 * dates, and PostgreSQL refuses the year 0 outright.
 */
export function isPlausibleInstant(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1900 && year <= 9999;
}

/**
 * The range check after a format check that aborts on failure: a malformed value reports one
 * problem, not two, and a well-formed one is parsed once.
 */
const plausible = <T extends z.ZodType<string>>(format: T) =>
  format
    .refine(
      (value) => isPlausibleInstant(new Date(value)),
      "must be between the years 1900 and 9999",
    )
    .refine(hasStorableOffset, "must have a UTC offset within ±15:59");

/** PostgreSQL keeps offsets up to ±15:59; RFC 3339 allows more. */
function hasStorableOffset(value: string): boolean {
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  return !offset || Number(offset[2]) < 16;
}

/**
 * RFC 3339 lets the `T` and `Z` be lower case; the format check takes upper case only. Any
 * other letter stays invalid once upper-cased, so nothing else is let through.
 */
const upperCased = <T extends z.ZodType<string>>(format: T) =>
  z.preprocess(
    (value: string) => (typeof value === "string" ? value.toUpperCase() : value),
    format,
  );

/**
 * Fractions of a second finer than nanoseconds come from no clock; PostgreSQL refuses a date
 * text past 128 characters, and keeps microseconds.
 */
const hasClockFraction = (value: string) => !/\.\d{10,}/.test(value);

/** An RFC 3339 date-time with an offset, as the API accepts one. */
export const instantInput = () =>
  plausible(upperCased(z.iso.datetime({ offset: true, abort: true }))).refine(
    hasClockFraction,
    "must have at most 9 digits after the seconds' decimal point",
  );

/** A YYYY-MM-DD date or an RFC 3339 date-time with an offset, between 1900 and 9999. */
export const instantOrDateInput = () =>
  plausible(
    upperCased(
      z
        .string()
        .refine(
          (v) =>
            (/^\d{4}-\d{2}-\d{2}$/.test(v) && z.iso.date().safeParse(v).success) ||
            z.iso.datetime({ offset: true }).safeParse(v).success,
          {
            message: "must be an RFC 3339 date-time with offset, or a YYYY-MM-DD date",
            abort: true,
          },
        ),
    ),
  );

/** The current second's `YYYY-MM-DDTHH:MM:SS.` (one entry: most callers ask about now). */
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** Milliseconds of the years 0000-9999, whose ISO form has a four-digit year. */
const FOUR_DIGIT_YEARS = [-62_167_219_200_000, 253_402_300_799_999] as const;

/**
 * `new Date(ms).toISOString()`, formatting the date and time once per second: the request log and
 * every click stamp the present instant, and V8 formats a date through a general printf.
 */
export function isoTimestamp(ms: number): string {
  if (!(ms >= FOUR_DIGIT_YEARS[0] && ms <= FOUR_DIGIT_YEARS[1]) || !Number.isInteger(ms)) {
    return new Date(ms).toISOString();
  }
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
