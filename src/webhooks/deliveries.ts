import { and, asc, desc, eq, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { type DeliveryStatus, webhookAttempts, webhookDeliveries } from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { decodeCursor, encodeCursor } from "../http/page-cursor.ts";

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

/** Deliveries newest first, one keyset page at a time. */
export async function listDeliveries({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: {
    subscription?: string | undefined;
    status?: DeliveryStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  };
}): Promise<{ data: DeliveryRow[]; nextCursor: string | null }> {
  const after = decodeCursor(input.cursor);
  const filters: (SQL | undefined)[] = [
    input.subscription ? eq(webhookDeliveries.subscriptionId, input.subscription) : undefined,
    input.status ? eq(webhookDeliveries.status, input.status) : undefined,
    after
      ? or(
          lt(webhookDeliveries.createdAt, after.at),
          and(eq(webhookDeliveries.createdAt, after.at), lt(webhookDeliveries.id, after.id)),
        )
      : undefined,
  ];
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(...filters))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(input.limit + 1);
  const data = rows.slice(0, input.limit);
  const last = data.at(-1);
  return {
    data,
    nextCursor:
      rows.length > input.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}

export async function getDelivery({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { id: string };
}): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] }> {
  const [delivery] = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, input.id));
  if (!delivery) throw new ApiError("not_found", "No webhook delivery has this id.");
  const attempts = await ctx.db
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, input.id))
    .orderBy(asc(webhookAttempts.at), asc(webhookAttempts.series), asc(webhookAttempts.number));
  return { delivery, attempts };
}

/**
 * Starts a new attempt series for a finished delivery: due now, with a fresh 24-hour retry
 * window. Earlier attempts stay listed under their series. A delivery still pending is a 409.
 */
export async function replayDelivery({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { id: string };
}): Promise<DeliveryRow> {
  const now = ctx.clock.now();
  const [replayed] = await ctx.db
    .update(webhookDeliveries)
    .set({
      status: "pending",
      series: sqlIncrement(),
      attempts: 0,
      firstAttemptAt: null,
      lastError: null,
      nextAttemptAt: now,
      updatedAt: now,
    })
    .where(and(eq(webhookDeliveries.id, input.id), ne(webhookDeliveries.status, "pending")))
    .returning();
  if (replayed) return replayed;
  const { delivery } = await getDelivery({ ctx, input });
  throw new ApiError(
    "conflict",
    `This delivery is still ${delivery.status}; replay it once it has succeeded or failed.`,
  );
}

function sqlIncrement() {
  return sql`${webhookDeliveries.series} + 1`;
}
