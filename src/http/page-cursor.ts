import { ApiError } from "./errors.ts";

/*
 * Keyset cursors: opaque to clients, base64url of the last row's sort instant and id. Whatever a
 * client sends back is checked to be exactly what this API hands out before any of it reaches
 * a statement, so a forged cursor is a 400 naming `cursor`, never a database error.
 */

/** An instant and id of the last row of a page, the instant at the clock's millisecond. */
export interface PageCursor {
  at: Date;
  id: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `Date.toISOString()` of a four-digit year: what `encodeCursor` writes. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * PostgreSQL's text of a timestamptz (`2026-11-18 17:00:00.123456+00`), or an instant as the API
 * takes one (at most nanoseconds, see `instantInput`).
 */
const DATABASE_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2})(?::?(\d{2}))?)$/;

/** True when `text` is an instant both the clock and the database read the same way. */
export function isDatabaseInstant(text: string): boolean {
  const parts = DATABASE_INSTANT.exec(text);
  if (!parts) return false;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0] = parts
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  // A calendar day that exists (year 1 on: PostgreSQL has no year 0, and JavaScript reads a
  // two-digit year as 19xx), a time of day and an offset within range (PostgreSQL's is ±15:59).
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  return (
    year! >= 1 &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    offsetHours < 16 &&
    offsetMinutes < 60
  );
}

export function invalidCursor(): ApiError {
  return new ApiError("validation_failed", "Invalid query: cursor is not a cursor this API gave.", {
    errors: [{ path: "cursor", message: "not a cursor this API gave", in: "query" }],
  });
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.id}`).toString("base64url");
}

/** The cursor, undefined without one; a 400 (`invalidCursor`) for anything else. */
export function decodeCursor(value: string | undefined): PageCursor | undefined {
  if (value === undefined) return undefined;
  const [at, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !at || !ISO_INSTANT.test(at) || !id || !UUID.test(id)) {
    throw invalidCursor();
  }
  const instant = new Date(at);
  // Only an instant that reads back as written (no 31 February rolled into March).
  if (Number.isNaN(instant.getTime()) || instant.toISOString() !== at) throw invalidCursor();
  return { at: instant, id };
}
