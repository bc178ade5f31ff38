import { ApiError } from "../http/errors.ts";

/** An opaque keyset cursor: the sort instant and id of the last row of a page. */
export interface PageCursor {
  at: Date;
  id: string;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.id}`).toString("base64url");
}

export function decodeCursor(value: string | undefined): PageCursor | undefined {
  if (value === undefined) return undefined;
  const [at, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const instant = at ? new Date(at) : undefined;
  if (!instant || Number.isNaN(instant.getTime()) || !id || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new ApiError(
      "validation_failed",
      "Invalid query: cursor is not a cursor this API gave.",
      {
        errors: [{ path: "cursor", message: "not a cursor this API gave", in: "query" }],
      },
    );
  }
  return { at: instant, id };
}
