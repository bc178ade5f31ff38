import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { deadLetters } from "../db/schema/index.ts";
import { decodeCursor, encodeCursor } from "../http/page-cursor.ts";

export type DeadLetter = typeof deadLetters.$inferSelect;

type Ctx = Pick<ServiceContext, "db" | "clock">;

// Credentials and signatures never reach the table, whatever their header name.
const SECRET_HEADER = /authorization|cookie|signature|secret|token|password|api-?key/i;

/** The headers worth keeping with a dead letter: everything but credentials and signatures. */
export function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!SECRET_HEADER.test(name)) kept[name] = value.slice(0, 1000);
  });
  return kept;
}

export async function recordDeadLetter({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: {
    source: string;
    integrationId: string;
    reason: string;
    field: string;
    body: string;
    headers: Record<string, string>;
  };
}): Promise<DeadLetter> {
  const [row] = await ctx.db
    .insert(deadLetters)
    .values({ ...input, receivedAt: ctx.clock.now() })
    .returning();
  return row!;
}

export async function getDeadLetter({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string };
}): Promise<DeadLetter | undefined> {
  const [row] = await ctx.db.select().from(deadLetters).where(eq(deadLetters.id, input.id));
  return row;
}

/** Newest first; the cursor is the last row's position, opaque to callers. */
export async function listDeadLetters({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { limit: number; cursor?: string | undefined };
}): Promise<{ data: DeadLetter[]; nextCursor: string | null }> {
  const after = decodeCursor(input.cursor);
  const rows = await ctx.db
    .select()
    .from(deadLetters)
    .where(
      after
        ? sql`(${deadLetters.receivedAt}, ${deadLetters.id}) < (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)`
        : undefined,
    )
    .orderBy(desc(deadLetters.receivedAt), desc(deadLetters.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    data: page,
    nextCursor:
      rows.length > input.limit && last ? encodeCursor({ at: last.receivedAt, id: last.id }) : null,
  };
}

/** Marks a letter replayed; answers false when another replay got there first. */
export async function markReplayed({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string };
}): Promise<boolean> {
  const updated = await ctx.db
    .update(deadLetters)
    .set({ replayedAt: ctx.clock.now() })
    .where(and(eq(deadLetters.id, input.id), isNull(deadLetters.replayedAt)))
    .returning({ id: deadLetters.id });
  return updated.length > 0;
}

/** A replay that still cannot be mapped keeps the letter, with the new reason. */
export async function recordReplayFailure({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string; reason: string; field: string };
}): Promise<void> {
  await ctx.db
    .update(deadLetters)
    .set({ reason: input.reason, field: input.field })
    .where(eq(deadLetters.id, input.id));
}
