import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
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
 * The event types some active subscription wants. A change that touches several events asks
 * once, and builds (and reads the data for) only the events someone will receive.
 */
export async function subscribedEventTypes(
  ctx: Pick<ServiceContext, "db">,
): Promise<Set<WebhookEventType>> {
  const rows = await queryRows<{ type: WebhookEventType }>(ctx.db, subscribedTypesQuery);
  return new Set(rows.map((row) => row.type));
}

/** The same question as a scalar text array (SQL text), for a caller's fixed larger read. */
export const subscribedTypesArrayText = `(
  select array_agg(distinct event_type) from webhook_subscriptions, unnest(event_types) as event_type
  where active)`;

const subscribedTypesQuery = sql`select distinct event_type as type
  from webhook_subscriptions, unnest(event_types) as event_type where active`;

/** A text array as either driver answers it (postgres.js an array, PGlite may answer `{a,b}`). */
export function eventTypesOf(value: string[] | string | null | undefined): Set<WebhookEventType> {
  if (!value) return new Set();
  const items = Array.isArray(value) ? value : value.replace(/^\{|\}$/g, "").split(",");
  return new Set(items.filter(Boolean) as WebhookEventType[]);
}

/**
 * Queues an event for every active subscription that wants it, in one statement. Call it inside
 * the transaction that made the change (ctx.db is that transaction): the event exists exactly
 * when the change does, and the worker delivers it later.
 */
export async function enqueueWebhookEvent({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { type: WebhookEventType; data: Record<string, unknown> };
}): Promise<number> {
  const now = ctx.clock.now();
  const payload: WebhookEvent = {
    type: input.type,
    timestamp: now.toISOString(),
    data: input.data,
  };
  // Insert-select: no read-then-write, and no statement beyond this one when nobody listens.
  // `created_at` is the clock's instant, in milliseconds like the list's page cursor: a database
  // default would keep microseconds, and a cursor could not tell rows of one millisecond apart.
  const queued = await queryRows<{ id: string }>(
    ctx.db,
    sql`insert into ${webhookDeliveries} (subscription_id, event_id, event_type, payload, next_attempt_at, created_at)
        select id, ${randomUUID()}::uuid, ${input.type}, ${JSON.stringify(payload)}::jsonb, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        from ${webhookSubscriptions}
        where active and ${input.type} = any(event_types)
        returning id`,
  );
  return queued.length;
}
