import { z } from "@hono/zod-openapi";

/**
 * A real date between the years 1900 and 9999: placeholders such as .NET's `0001-01-01` are not
 * dates, and PostgreSQL refuses the year 0 outright.
 */
export function isPlausibleInstant(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1900 && year <= 9999;
}

const PLAUSIBLE = "must be between the years 1900 and 9999";

/** An RFC 3339 date-time with an offset, as the API accepts one. */
export const instantInput = () => {
  const format = z.iso.datetime({ offset: true });
  // Judged only once the format holds, so a malformed value reports one problem, not two.
  return format.refine(
    (value) => !format.safeParse(value).success || isPlausibleInstant(new Date(value)),
    PLAUSIBLE,
  );
};

/** A YYYY-MM-DD date or an RFC 3339 date-time with an offset, between 1900 and 9999. */
export const instantOrDateInput = () =>
  z
    .string()
    .refine(
      (v) =>
        (/^\d{4}-\d{2}-\d{2}$/.test(v) && z.iso.date().safeParse(v).success) ||
        z.iso.datetime({ offset: true }).safeParse(v).success,
      "must be an RFC 3339 date-time with offset, or a YYYY-MM-DD date",
    )
    .refine((v) => Number.isNaN(Date.parse(v)) || isPlausibleInstant(new Date(v)), PLAUSIBLE);
