import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { outboxEmails } from "../db/schema/index.ts";

export type OutboxEmail = typeof outboxEmails.$inferSelect;

/** A position in the newest-first listing: the last row seen. */
export interface OutboxCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: OutboxCursor): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");
}

/** Null when the cursor was not made by `encodeCursor`. */
export function decodeCursor(cursor: string): OutboxCursor | null {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const createdAt = new Date(at ?? "");
  if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id ?? "")) return null;
  return { createdAt, id: id! };
}

/** Emails kept by the local outbox, newest first, optionally to one address. */
export async function listOutbox({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { limit: number; after: OutboxCursor | null; to: string | undefined };
}): Promise<{ emails: OutboxEmail[]; next: string | null }> {
  const { limit, after, to } = input;
  const rows = await ctx.db
    .select()
    .from(outboxEmails)
    .where(
      and(
        to ? eq(sql`lower(${outboxEmails.to})`, to.toLowerCase()) : undefined,
        after
          ? or(
              lt(outboxEmails.createdAt, after.createdAt),
              and(eq(outboxEmails.createdAt, after.createdAt), lt(outboxEmails.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(outboxEmails.createdAt), desc(outboxEmails.id))
    .limit(limit + 1);
  const emails = rows.slice(0, limit);
  const last = emails.at(-1);
  return { emails, next: rows.length > limit && last ? encodeCursor(last) : null };
}
