import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import { invalidCursor, isDatabaseInstant, UUID } from "../http/page-cursor.ts";

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

interface CursorPosition {
  at: string;
  id: string;
}

/**
 * Cursors are opaque to clients: base64url of the last row's (created_at, id). The timestamp
 * is kept as PostgreSQL's own text so microseconds survive the round trip.
 */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === "string" &&
      isDatabaseInstant(parsed[0]) &&
      typeof parsed[1] === "string" &&
      UUID.test(parsed[1])
    ) {
      return { at: parsed[0], id: parsed[1] };
    }
  } catch {
    // Falls through to the validation error below.
  }
  throw invalidCursor();
}

/** The column to select as `cursorAt` so the page can hand out its next cursor. */
export function cursorAt(createdAt: AnyColumn): SQL<string> {
  return sql<string>`${createdAt}::text`;
}

/** Rows strictly after the cursor in `order by created_at, id`. */
export function afterCursor(
  createdAt: AnyColumn,
  id: AnyColumn,
  cursor: string | undefined,
): SQL | undefined {
  if (!cursor) return undefined;
  const position = decodeCursor(cursor);
  return sql`(${createdAt}, ${id}) > (${position.at}::timestamptz, ${position.id}::uuid)`;
}

/** Cuts the `limit + 1` rows fetched into a page and the cursor of the next one. */
export function toPage<T extends { cursorAt: string; id: string }, U>(
  rows: T[],
  limit: number,
  present: (row: T) => U,
): Page<U> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data: data.map(present),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}
