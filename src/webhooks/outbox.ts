import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  type WebhookEventType,
  webhookDeliveries,
  webhookSubscriptions,
} from "../db/schema/index.ts";

/** The body of a `standard` delivery, as the Standard Webhooks specification shapes it. */
export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * Queues an event for every active subscription that wants it. Call it inside the transaction
 * that made the change (ctx.db is that transaction): the event exists exactly when the change
 * does, and the worker delivers it later.
 */
export async function enqueueWebhookEvent({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { type: WebhookEventType; data: Record<string, unknown> };
}): Promise<number> {
  const now = ctx.clock.now();
  const subscribers = await ctx.db
    .select({ id: webhookSubscriptions.id })
    .from(webhookSubscriptions)
    .where(
      and(
        eq(webhookSubscriptions.active, true),
        sql`${input.type} = any(${webhookSubscriptions.eventTypes})`,
      ),
    );
  if (subscribers.length === 0) return 0;
  const eventId = randomUUID();
  const payload: WebhookEvent = {
    type: input.type,
    timestamp: now.toISOString(),
    data: input.data,
  };
  await ctx.db.insert(webhookDeliveries).values(
    subscribers.map((subscriber) => ({
      subscriptionId: subscriber.id,
      eventId,
      eventType: input.type,
      payload: payload as unknown as Record<string, unknown>,
      nextAttemptAt: now,
    })),
  );
  return subscribers.length;
}
