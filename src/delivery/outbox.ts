import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { outboxEmails } from "../db/schema/index.ts";
import { encodeCursor, type PageCursor } from "../http/page-cursor.ts";

export type OutboxEmail = typeof outboxEmails.$inferSelect;

/** Emails kept by the local outbox, newest first, optionally to one address. */
export async function listOutbox({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { limit: number; after: PageCursor | undefined; to: string | undefined };
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
              lt(outboxEmails.createdAt, after.at),
              and(eq(outboxEmails.createdAt, after.at), lt(outboxEmails.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(outboxEmails.createdAt), desc(outboxEmails.id))
    .limit(limit + 1);
  const emails = rows.slice(0, limit);
  const last = emails.at(-1);
  return {
    emails,
    next: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}
